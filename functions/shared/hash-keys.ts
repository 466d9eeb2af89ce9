import { parseKeyring, type HashKeyring } from '../domain/shared/citizen-key.js';
import { noteSecretRead } from './secret-reads.js';

/**
 * The citizen hash keyring, held in this module's memory only. Deployed, secrets.ts loads it from
 * Secrets Manager (and refreshes it, so a rotation reaches running containers) and it is never
 * copied into process.env, where anything that dumps the environment would show it. The local
 * runtime has no Secrets Manager and hands its key over as CITIZEN_HASH_KEY.
 */
let held: { readonly source: string; readonly ring: HashKeyring } | undefined;

/** Parsed again only when the secret changed (a rotation). */
export const setHashKeyring = (secret: string): HashKeyring => {
  if (held?.source !== secret) held = { source: secret, ring: parseKeyring(secret) };
  return held.ring;
};

/** The keyring; throws when it was never loaded (fail closed: no hash without the key). */
export const hashKeyring = (): HashKeyring => {
  noteSecretRead('citizenHashKey');
  const local = process.env.CITIZEN_HASH_KEY;
  if (local) return setHashKeyring(local);
  if (!held) throw new Error('the citizen hash keys are not loaded');
  return held.ring;
};
