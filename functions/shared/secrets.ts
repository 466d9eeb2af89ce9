import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { config } from './config.js';
import { hashKeyringAge, setHashKeyring } from './hash-keys.js';

/**
 * Deployed, the citizen hash keyring lives in Secrets Manager and the Lambda gets only its ARN
 * (CITIZEN_HASH_KEY_SECRET_ARN), so no key is in a template or a function's configuration. It is
 * read before the first event and again every REFRESH_MS, so a rotated keyring (a new current
 * version) reaches every container within minutes; it is kept in memory only (hash-keys.ts).
 * Locally CITIZEN_HASH_KEY is set directly.
 */
const REFRESH_MS = 5 * 60_000;
let loading: Promise<void> | undefined;

const load = async (arn: string): Promise<void> => {
  const res = await new SecretsManagerClient({ region: config.region() }).send(new GetSecretValueCommand({ SecretId: arn }));
  if (!res.SecretString) throw new Error('the citizen hash key secret is empty');
  setHashKeyring(res.SecretString);
};

export const ensureSecrets = async (): Promise<void> => {
  const arn = process.env.CITIZEN_HASH_KEY_SECRET_ARN;
  if (process.env.CITIZEN_HASH_KEY || !arn) return;
  const age = hashKeyringAge();
  if (age < REFRESH_MS) return;
  loading ??= load(arn).finally(() => (loading = undefined));
  try {
    await loading;
  } catch (e) {
    // A failed refresh keeps the keyring already held; with none held there is nothing to hash with.
    if (age === Infinity) throw e;
  }
};

/** As a middy middleware: secrets are in place before the handler runs. */
export const secretsMiddleware = () => ({ before: async () => ensureSecrets() });
