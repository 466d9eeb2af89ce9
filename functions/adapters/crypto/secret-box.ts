import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { SealedSecretRefusedError, type SecretBox } from '../../domain/letters/ports.js';

/**
 * SecretBox with AES-256-GCM (node:crypto): a random 96-bit IV per seal, a 128-bit tag, and the
 * context plus the key version as additional authenticated data. Sealed form:
 *   `sb1.<key version>.<iv>.<ciphertext>.<tag>` (base64url parts)
 *
 * The key is the CallbackSealKey secret (Secrets Manager deployed, CALLBACK_SEAL_KEY locally):
 * either a bare key (version k1) or a keyring `{"current": "k2", "keys": {"k1": "…", "k2": "…"}}`,
 * like the citizen hash key — rotating adds a version and makes it current, and what older
 * versions sealed still opens while they are kept. Each version's text is stretched to the 32-byte
 * AES key with HKDF-SHA256, so a generated alphanumeric secret serves as it is.
 */
const FORMAT = 'sb1';
const VERSION = /^k[1-9][0-9]{0,5}$/;

interface SealKeyring {
  readonly current: string;
  readonly keys: ReadonlyMap<string, Buffer>;
}

const stretch = (text: string): Buffer => Buffer.from(hkdfSync('sha256', text, Buffer.alloc(0), 'research-dispatch/secret-box/aes-256-gcm', 32));

/** The secret's text as a keyring; throws (fail closed) on anything short or malformed. */
export const parseSealKeyring = (secret: string): SealKeyring => {
  const text = secret.trim();
  if (!text.startsWith('{')) {
    if (text.length < 32) throw new Error('the callback seal key is too short');
    return { current: 'k1', keys: new Map([['k1', stretch(text)]]) };
  }
  const parsed = JSON.parse(text) as { current?: unknown; keys?: unknown };
  const entries = Object.entries(parsed.keys && typeof parsed.keys === 'object' ? (parsed.keys as Record<string, unknown>) : {});
  for (const [v, k] of entries) {
    if (!VERSION.test(v) || typeof k !== 'string' || k.length < 32) throw new Error('the callback seal keyring has a malformed key version');
  }
  if (typeof parsed.current !== 'string' || !entries.some(([v]) => v === parsed.current)) throw new Error('the callback seal keyring names no usable current key');
  return { current: parsed.current, keys: new Map(entries.map(([v, k]) => [v, stretch(k as string)])) };
};

const aad = (version: string, context: string) => Buffer.from(`${FORMAT}.${version}.${context}`, 'utf8');

export class AesGcmSecretBox implements SecretBox {
  private parsed: { readonly source: string; readonly ring: SealKeyring } | undefined;

  /** `key` reads the secret's text (cached and refreshed by the caller: functions/shared/secrets.ts). */
  constructor(private readonly key: () => Promise<string>) {}

  private async ring(): Promise<SealKeyring> {
    const source = await this.key();
    if (this.parsed?.source !== source) this.parsed = { source, ring: parseSealKeyring(source) };
    return this.parsed.ring;
  }

  async seal(plain: string, context: string): Promise<string> {
    const ring = await this.ring();
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', ring.keys.get(ring.current)!, iv);
    cipher.setAAD(aad(ring.current, context));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [FORMAT, ring.current, iv.toString('base64url'), body.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  }

  async open(sealed: string, context: string): Promise<string> {
    const parts = sealed.split('.');
    const [format, version, iv, body, tag] = parts;
    if (parts.length !== 5 || format !== FORMAT || !version || iv === undefined || body === undefined || tag === undefined) throw new SealedSecretRefusedError();
    const key = (await this.ring()).keys.get(version);
    if (!key) throw new SealedSecretRefusedError();
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'), { authTagLength: 16 });
      decipher.setAAD(aad(version, context));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      // A wrong tag, IV or context: the same refusal, whichever it was.
      throw new SealedSecretRefusedError();
    }
  }
}
