import { IntegrationConfigError, readNationalConfig } from '../functions/adapters/national/config.js';
import type { IntegrationSecret } from './access-matrix.js';

/**
 * The national integrations of a deployed stage, from CDK context. A deployed stage must name every
 * endpoint and secret ARN: there are no stand-ins in AWS, so `cdk synth` fails here, naming what
 * is missing, instead of deploying a platform that cannot check a reservation. The result is the
 * environment the Lambdas read (functions/adapters/national/config.ts), validated by that same
 * reader.
 */
export const INTEGRATION_CONTEXT = {
  maskinportenTokenUrl: 'MASKINPORTEN_TOKEN_URL',
  maskinportenAudience: 'MASKINPORTEN_AUDIENCE',
  maskinportenClientId: 'MASKINPORTEN_CLIENT_ID',
  maskinportenKeySecretArn: 'MASKINPORTEN_KEY_SECRET_ARN',
  krrBaseUrl: 'KRR_BASE_URL',
  fregBaseUrl: 'FREG_BASE_URL',
  epromBaseUrl: 'EPROM_BASE_URL',
  epromApiKeySecretArn: 'EPROM_API_KEY_SECRET_ARN',
  epromCallbackKeySecretArn: 'EPROM_CALLBACK_KEY_SECRET_ARN',
  privacyResearchPvkIds: 'PRIVACY_RESEARCH_PVK_IDS',
  digipostBaseUrl: 'DIGIPOST_BASE_URL',
  digipostSenderId: 'DIGIPOST_SENDER_ID',
  digipostKeySecretArn: 'DIGIPOST_KEY_SECRET_ARN',
  digipostReturnAddress: 'DIGIPOST_RETURN_ADDRESS',
  senderOrganisationName: 'SENDER_ORGANISATION_NAME',
} as const;

/** Optional settings, passed on when given. */
export const OPTIONAL_INTEGRATION_CONTEXT = {
  privacyBaseUrl: 'PRIVACY_BASE_URL',
  privacyGuardianAccessPvkId: 'PRIVACY_GUARDIAN_ACCESS_PVK_ID',
  privacyMirrorMaxAgeMs: 'PRIVACY_MIRROR_MAX_AGE_MS',
  senderOrganisationNr: 'SENDER_ORGANISATION_NR',
  /** `portal-only`: a stage that reads no research definition sends research letters by the portal only. */
  researchChannels: 'RESEARCH_CHANNELS',
} as const;

export interface IntegrationSettings {
  /** Environment for the Lambdas that talk to the national services. */
  readonly env: Readonly<Record<string, string>>;
  /** Secret ARNs, by name: a function may read those its access-matrix row names. */
  readonly secretArns: Readonly<Record<IntegrationSecret, string>>;
}

export const integrationSettings = (context: (name: string) => string | undefined): IntegrationSettings => {
  const env: Record<string, string> = {};
  const missing: string[] = [];
  for (const [key, envVar] of Object.entries(INTEGRATION_CONTEXT)) {
    const v = context(key);
    if (v) env[envVar] = v;
    else missing.push(key);
  }
  if (missing.length) {
    throw new Error(`a deployed stage needs the national integrations configured; missing context: ${missing.join(', ')} ` + `(cdk.json or -c ${missing[0]}=…; secrets as Secrets Manager ARNs)`);
  }
  for (const [key, envVar] of Object.entries(OPTIONAL_INTEGRATION_CONTEXT)) {
    const v = context(key);
    if (v) env[envVar] = v;
  }
  try {
    readNationalConfig(env, false);
  } catch (e) {
    if (e instanceof IntegrationConfigError) throw new Error(`the national integrations are misconfigured: ${e.missing.join(', ')}`, { cause: e });
    throw e;
  }
  return {
    env,
    secretArns: {
      maskinportenKey: env.MASKINPORTEN_KEY_SECRET_ARN!,
      epromApiKey: env.EPROM_API_KEY_SECRET_ARN!,
      epromCallbackKey: env.EPROM_CALLBACK_KEY_SECRET_ARN!,
      digipostKey: env.DIGIPOST_KEY_SECRET_ARN!,
    },
  };
};
