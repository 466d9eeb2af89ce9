import { describe, expect, it } from 'vitest';
import { buildApp } from '../../bin/build-app.js';
import { INTEGRATION_CONTEXT, integrationSettings } from '../../lib/integration-config.js';
import { AUDIENCE, INTEGRATIONS, ISSUER, resourcesOf, synth } from './synth.js';

/** A deployed stage has no stand-ins: without the national integrations, synth fails and says what is missing. */
const build = (context: Record<string, unknown>) => () =>
  buildApp({ builtinCloudFormationValidation: false, context: { 'aws:cdk:bundling-stacks': [], jwtIssuer: ISSUER, jwtAudience: AUDIENCE, ...context } });

describe('national integration settings of a deployed stage', () => {
  it('synth without any integration settings fails, naming every missing one', () => {
    let message = '';
    try {
      build({})();
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('national integrations');
    for (const key of Object.keys(INTEGRATION_CONTEXT)) expect(message).toContain(key);
  });

  it('synth with one setting missing names that one only', () => {
    const { digipostKeySecretArn: _, ...rest } = INTEGRATIONS;
    expect(build(rest)).toThrow(/missing context: digipostKeySecretArn \(/);
  });

  it('refuses a plain-http endpoint for a deployed stage', () => {
    expect(build({ ...INTEGRATIONS, fregBaseUrl: 'http://freg.example.invalid' })).toThrow(/FREG_BASE_URL \(https\)/);
  });

  it('test_should_refuse_a_stage_that_cannot_read_the_general_research_reservation_unless_research_letters_are_portal_only', () => {
    // An empty definition list (after trimming) reads nothing: paper and mailbox would ignore the reservation.
    expect(build({ ...INTEGRATIONS, privacyResearchPvkIds: ' , ' })).toThrow(/PRIVACY_RESEARCH_PVK_IDS/);
    // Declared portal-only for research, the stage is accepted and its functions are told so.
    const of = (ctx: Record<string, string>) => (k: string) => ctx[k];
    const settings = integrationSettings(of({ ...INTEGRATIONS, privacyResearchPvkIds: ' , ', researchChannels: 'portal-only' }));
    expect(settings.env.RESEARCH_CHANNELS).toBe('portal-only');
    expect(() => integrationSettings(of({ ...INTEGRATIONS, researchChannels: 'everything' }))).toThrow(/RESEARCH_CHANNELS/);
  });

  it('passes the endpoints and secret ARNs to the dispatch worker, and publishes the callbacks without a JWT authorizer', () => {
    const s = synth();
    const fns = resourcesOf(s.stateless, 'AWS::Lambda::Function').map(([, p]) => p);
    const worker = fns.find((p) => JSON.stringify(p.Environment ?? {}).includes('EPROM_BASE_URL') && String(p.Description ?? '').includes('dispatch'));
    expect(worker).toBeDefined();
    const vars = (worker!.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(vars.FREG_BASE_URL).toBe(INTEGRATIONS.fregBaseUrl);
    expect(vars.MASKINPORTEN_KEY_SECRET_ARN).toBe(INTEGRATIONS.maskinportenKeySecretArn);
    expect(JSON.stringify(vars)).not.toContain('NATIONAL_INTEGRATIONS');
    const routes = resourcesOf(s.stateless, 'AWS::ApiGatewayV2::Route').map(([, p]) => p);
    const callback = routes.find((r) => r.RouteKey === 'PUT /api/MessageToCitizen');
    expect(callback?.AuthorizationType ?? 'NONE').toBe('NONE');
  });
});
