import { parseKeyring, type HashKeyring } from '../domain/shared/citizen-key.js';
import { noteSecretRead } from './secret-reads.js';

/**
 * The citizen hash keyring, held in this module's memory only. Deployed, secrets.ts loads it from
 * Secrets Manager (and refreshes it, so a rotation reaches running containers) and it is never
 * copied into process.env, where anything that dumps the environment would show it. The local
 * runtime has no Secrets Manager and hands its key over as CITIZEN_HASH_KEY.
 */
let held: { readonly source: string; readonly ring: HashKeyring; readonly loadedAt: number } | undefined;

export const setHashKeyring = (secret: string, now = Date.now()): HashKeyring => {
  if (held?.source !== secret) held = { source: secret, ring: parseKeyring(secret), loadedAt: now };
  else held = { ...held, loadedAt: now };
  return held.ring;
};

export const hashKeyringAge = (now = Date.now()): number => (held ? now - held.loadedAt : Infinity);

/** The keyring; throws when it was never loaded (fail closed: no hash without the key). */
export const hashKeyring = (): HashKeyring => {
  noteSecretRead('citizenHashKey');
  const local = process.env.CITIZEN_HASH_KEY;
  if (local) return setHashKeyring(local, held?.loadedAt);
  if (!held) throw new Error('the citizen hash keys are not loaded');
  return held.ring;
};
