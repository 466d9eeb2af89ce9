import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../bin/build-app.js';
import type { Routing } from '../../lib/stateless-stack.js';

export const ISSUER = 'https://issuer.test.invalid/realms/rd';
export const AUDIENCE = 'rd-test-audience';

const arn = (name: string) => `arn:aws:secretsmanager:eu-north-1:111111111111:secret:rd/${name}-AbCdEf`;
/** A deployed stage's national integrations (lib/integration-config.ts): all required settings. */
export const INTEGRATIONS = {
  maskinportenTokenUrl: 'https://test.maskinporten.no/token',
  maskinportenAudience: 'https://test.maskinporten.no/',
  maskinportenClientId: 'rd-client',
  maskinportenKeySecretArn: arn('maskinporten'),
  krrBaseUrl: 'https://test.kontaktregisteret.no',
  fregBaseUrl: 'https://folkeregisteret-api-konsument.sits.no',
  epromBaseUrl: 'https://proms.hemitdev.org/PromsWebApi',
  epromApiKeySecretArn: arn('eprom'),
  epromCallbackKeySecretArn: arn('eprom-callback'),
  privacyResearchPvkIds: 'pvk-research',
  digipostBaseUrl: 'https://api.test.digipost.no',
  digipostSenderId: '123456',
  digipostKeySecretArn: arn('digipost'),
  digipostReturnAddress: JSON.stringify({ name: 'RD', line: 'Postboks 1', postalCode: '0101', city: 'OSLO' }),
  senderOrganisationName: 'Research Dispatch',
  /** The console's origin: the one page allowed to upload lists from a browser. */
  uploadOrigins: 'https://console.test.invalid',
};

/**
 * Synthesises the app as `cdk synth` does, minus esbuild (bundling-stacks: []), with issuer and
 * audience from context so the tests can see they are taken from there. The built-in CloudFormation
 * schema validation (a WebAssembly engine, ~5 s to load per test file) runs once, in the cdk-nag
 * test's real synth, instead of in every synth here.
 */
export const synth = (routing?: Routing, context: Record<string, string> = {}) => {
  const built = buildApp(
    {
      builtinCloudFormationValidation: false,
      context: { 'aws:cdk:bundling-stacks': [], jwtIssuer: ISSUER, jwtAudience: AUDIENCE, ...INTEGRATIONS, ...context },
    },
    { routing },
  );
  return {
    ...built,
    stacks: { stateful: built.stateful, stateless: built.stateless },
    stateful: Template.fromStack(built.stateful),
    stateless: Template.fromStack(built.stateless),
  };
};

type Json = Record<string, unknown>;
export type Resources = Record<string, { Type: string; Properties?: Json; DeletionPolicy?: string; Metadata?: Json }>;

export const resourcesOf = (t: Template, type: string): [string, Json][] => Object.entries(t.findResources(type) as Resources).map(([id, r]) => [id, r.Properties ?? {}]);

/**
 * The logical id in the stateful template that a stateless value refers to, following the
 * Fn::ImportValue of a cross-stack reference back to the export's GetAtt/Ref.
 */
export const importedLogicalId = (stateful: Template, value: unknown): string | undefined => {
  const name = (value as { 'Fn::ImportValue'?: unknown })?.['Fn::ImportValue'];
  if (typeof name !== 'string') return undefined;
  const outputs = stateful.toJSON().Outputs as Record<string, { Value: unknown; Export?: { Name?: unknown } }>;
  const out = Object.values(outputs).find((o) => o.Export?.Name === name);
  const v = out?.Value as { 'Fn::GetAtt'?: [string, string]; Ref?: string } | undefined;
  return v?.['Fn::GetAtt']?.[0] ?? v?.Ref;
};

/** Logical ids of the stateful queues that are some queue's dead-letter target. */
export const dlqIds = (stateful: Template): Set<string> =>
  new Set(
    resourcesOf(stateful, 'AWS::SQS::Queue').flatMap(([, p]) => {
      const target = (p.RedrivePolicy as { deadLetterTargetArn?: { 'Fn::GetAtt'?: [string, string] } } | undefined)?.deadLetterTargetArn?.['Fn::GetAtt']?.[0];
      return target ? [target] : [];
    }),
  );
