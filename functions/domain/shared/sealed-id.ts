import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * A national ID sealed into a short-lived record that must name a person yet never hold the ID in
 * the clear (a marked wave's plan: the guardians its letters went to). AES-256-GCM, a random
 * 96-bit IV per seal, a 128-bit tag, `context` bound as additional authenticated data. The key is
 * derived (HKDF-SHA256, a label of its own) from the citizen hash key version the record's round
 * was released with: the worker holds that key already, and what it seals opens as long as that
 * version is live, which is as long as the round can be worked on (keyOfVersion fails closed).
 * Sealed form: `<iv>.<ciphertext>.<tag>`, base64url parts (no `:`, `+`, `;` or `~`).
 */
const LABEL = 'research-dispatch/sealed-id/aes-256-gcm';

// Derived at each call (microseconds; a wave seals a few): the domain keeps no state between calls.
const keyOf = (hashKey: string): Buffer => Buffer.from(hkdfSync('sha256', hashKey, Buffer.alloc(0), LABEL, 32));

export const sealId = (nin: string, hashKey: string, context: string): string => {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyOf(hashKey), iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const body = Buffer.concat([cipher.update(nin, 'utf8'), cipher.final()]);
  return [iv, body, cipher.getAuthTag()].map((b) => b.toString('base64url')).join('.');
};

/** The sealed ID, or undefined when it does not open (changed, sealed for another context or under another key). */
export const openId = (sealed: string, hashKey: string, context: string): string | undefined => {
  const [iv, body, tag, ...rest] = sealed.split('.');
  if (iv === undefined || body === undefined || tag === undefined || rest.length > 0) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyOf(hashKey), Buffer.from(iv, 'base64url'), { authTagLength: 16 });
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
};
