import { describe, expect, it } from 'vitest';
import { resourcesOf, synth, AUDIENCE, ISSUER } from './synth.js';

/**
 * Handlers verify the bearer token themselves (functions/shared/auth.ts), so every API function
 * is told the issuer and audience API Gateway's authorizer uses; the only service allowed to
 * invoke them through their resource policy is this API (apigateway.amazonaws.com with the API's
 * SourceArn); and the operations function holds the public half of the operations signing key
 * the halt CLI signs its direct invoke with.
 */
const OPS_JWK = JSON.stringify({ kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0', alg: 'ES256', use: 'sig' });
const app = synth(undefined, { opsPublicKey: OPS_JWK });
const fns = resourcesOf(app.stateless, 'AWS::Lambda::Function');
const apiFns = fns.filter(([, p]) => String(p.Description).startsWith('research-dispatch API: '));
const envOf = (p: Record<string, unknown>) => (p.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};

describe('direct invokes carry no trusted claims', () => {
  it('tells every API function the issuer and audience to verify tokens against', () => {
    expect(apiFns.length).toBeGreaterThan(5);
    for (const [id, p] of apiFns) {
      expect(envOf(p), id).toMatchObject({ AUTH_ISSUER: ISSUER, AUTH_AUDIENCE: AUDIENCE });
      expect(envOf(p), id).not.toHaveProperty('AUTH_JWKS');
    }
  });

  it('lets only this API invoke the API functions by resource policy', () => {
    const apiId = resourcesOf(app.stateless, 'AWS::ApiGatewayV2::Api')[0]![0];
    const perms = resourcesOf(app.stateless, 'AWS::Lambda::Permission');
    for (const [fnId] of apiFns) {
      const own = perms.filter(([, p]) => JSON.stringify(p.FunctionName).includes(`"${fnId}"`));
      expect(own.length, fnId).toBeGreaterThan(0);
      for (const [pid, p] of own) {
        expect(p.Principal, pid).toBe('apigateway.amazonaws.com');
        expect(p.Action, pid).toBe('lambda:InvokeFunction');
        expect(JSON.stringify(p.SourceArn), pid).toContain(`{"Ref":"${apiId}"}`);
      }
    }
  });

  it('gives the operations function, and only it, the public operations signing key', () => {
    const ops = apiFns.find(([, p]) => p.Description === 'research-dispatch API: operations')!;
    expect(envOf(ops[1]).OPS_PUBLIC_JWK).toBe(OPS_JWK);
    for (const [id, p] of fns.filter(([fid]) => fid !== ops[0])) expect(envOf(p), id).not.toHaveProperty('OPS_PUBLIC_JWK');
  });

  it('refuses an operations key that is not a public key', () => {
    expect(() => synth(undefined, { opsPublicKey: JSON.stringify({ kty: 'EC', crv: 'P-256', x: 'a', y: 'b', d: 'secret' }) })).toThrow(/opsPublicKey/);
  });
});
