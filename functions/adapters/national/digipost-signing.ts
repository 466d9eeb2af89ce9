import { createHash, createSign, createVerify, type KeyObject } from 'node:crypto';

/**
 * Digipost request signing, on its own: every request carries `X-Digipost-UserId` (the sender),
 * `Date`, `X-Content-SHA256` (base64 SHA-256 of the body) and `X-Digipost-Signature`, an
 * RSA-SHA256 signature by the enterprise key over a canonical string.
 *
 * NARROW SEAM: the exact canonical string is not in the stored public material. This module is the
 * only place that builds it (method, path, the three headers in lower case, the query); if
 * Digipost's differs, only `canonical` changes.
 */
export interface SignedHeaders {
  readonly 'X-Digipost-UserId': string;
  readonly Date: string;
  readonly 'X-Content-SHA256': string;
  readonly 'X-Digipost-Signature': string;
}

export const contentSha256 = (body: Uint8Array | string): string => createHash('sha256').update(body).digest('base64');

export const canonical = (method: string, path: string, query: string, h: { date: string; sha: string; userId: string }): string =>
  `${method.toUpperCase()}\n${path.toLowerCase()}\ndate: ${h.date}\nx-content-sha256: ${h.sha}\nx-digipost-userid: ${h.userId}\n${query}\n`;

export class DigipostSigner {
  constructor(
    private readonly userId: string,
    private readonly key: () => Promise<KeyObject>,
  ) {}

  async sign(method: string, url: string, body: Uint8Array | string, now = new Date()): Promise<SignedHeaders> {
    const u = new URL(url);
    const date = now.toUTCString();
    const sha = contentSha256(body);
    const signature = createSign('RSA-SHA256')
      .update(canonical(method, u.pathname, u.search.slice(1), { date, sha, userId: this.userId }))
      .sign(await this.key(), 'base64');
    return { 'X-Digipost-UserId': this.userId, Date: date, 'X-Content-SHA256': sha, 'X-Digipost-Signature': signature };
  }
}

/** The receiving side's check (used by the local fake; a real server does the same with its copy of our public key). */
export const verifyDigipostSignature = (publicKey: KeyObject, method: string, pathAndQuery: string, body: Uint8Array | string, headers: Record<string, string | undefined>): boolean => {
  const userId = headers['x-digipost-userid'];
  const date = headers['date'];
  const sha = headers['x-content-sha256'];
  const sig = headers['x-digipost-signature'];
  if (!userId || !date || !sha || !sig) return false;
  if (sha !== contentSha256(body)) return false;
  const u = new URL(pathAndQuery, 'http://x');
  return createVerify('RSA-SHA256')
    .update(canonical(method, u.pathname, u.search.slice(1), { date, sha, userId }))
    .verify(publicKey, sig, 'base64');
};
