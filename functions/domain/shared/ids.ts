import { randomBytes } from 'node:crypto';

/** Eleven digits in a row: what a national ID looks like to anyone scanning a key, a URL or a log line. */
const NIN_LIKE = /\d{11}/;

/**
 * Opaque ids that sort by creation time (ms, base36) and cannot be guessed (64 random bits). An id
 * never holds eleven digits in a row: about 3 % of hex tails would, and some of those pass the
 * national ID's checks, so an id could be taken for a person's ID in a URL, a key or a log (and
 * trip the checks that keep IDs out of them). Such a draw is drawn again.
 */
export const newId = (prefix: string, now = Date.now()): string => {
  const time = now.toString(36).padStart(9, '0');
  for (;;) {
    const id = `${prefix}_${time}${randomBytes(8).toString('hex')}`;
    if (!NIN_LIKE.test(id)) return id;
  }
};

export const nowIso = (): string => new Date().toISOString();
