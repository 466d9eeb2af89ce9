import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { config } from './config.js';

/**
 * Deployed, the citizen hash key lives in Secrets Manager and the Lambda gets only its ARN
 * (CITIZEN_HASH_KEY_SECRET_ARN), so the key is never in a template or a function's configuration.
 * It is read once per container, before the first event; locally CITIZEN_HASH_KEY is set directly.
 */
let loading: Promise<void> | undefined;

export const ensureSecrets = (): Promise<void> =>
  (loading ??= (async () => {
    const arn = process.env.CITIZEN_HASH_KEY_SECRET_ARN;
    if (process.env.CITIZEN_HASH_KEY || !arn) return;
    const res = await new SecretsManagerClient({ region: config.region() }).send(new GetSecretValueCommand({ SecretId: arn }));
    if (!res.SecretString) throw new Error('the citizen hash key secret is empty');
    process.env.CITIZEN_HASH_KEY = res.SecretString;
  })().catch((e: unknown) => {
    loading = undefined;
    throw e;
  }));

/** As a middy middleware: secrets are in place before the handler runs. */
export const secretsMiddleware = () => ({ before: async () => ensureSecrets() });
