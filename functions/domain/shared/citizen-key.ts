import { createHmac } from 'node:crypto';

/**
 * The keyed hash that stands in for a national ID wherever the citizen is not the record's own
 * key: audit details, contact lookups, pseudonymous form responses. Keyed (HMAC), so it cannot be
 * reversed by hashing all ~10^11 candidate IDs without the key.
 */
export const citizenKey = (nin: string, key: string): string =>
  createHmac('sha256', key).update(nin).digest('base64url').slice(0, 32);
