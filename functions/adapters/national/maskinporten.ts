import { randomUUID } from 'node:crypto';
import { SignJWT, importJWK, importPKCS8, type JWK, type CryptoKey } from 'jose';
import { z } from 'zod';
import { jsonBody, type OutboundHttp } from './http.js';

/**
 * Maskinporten's JWT grant (felleslosninger docs, maskinporten_protocol_jwtgrant): a grant signed
 * with the client's pre-registered key (RS256, `kid`) is exchanged for an access token. Tokens are
 * cached per scope set until shortly before `expires_in`; every grant has a fresh `jti`. Neither
 * the grant nor the token is ever logged or put in an error message.
 */
export interface SigningKey {
  readonly kid: string;
  readonly key: CryptoKey;
}

export interface MaskinportenOptions {
  readonly tokenUrl: string;
  /** `https://maskinporten.no/` (test: `https://test.maskinporten.no/`). */
  readonly audience: string;
  readonly clientId: string;
  readonly signingKey: () => Promise<SigningKey>;
  readonly http: OutboundHttp;
  /** The cache's clock (tests); grants are always stamped with the wall clock. */
  readonly now?: () => number;
  /** Renew this long before the token expires (default 20 s: covers a slow batch and clock skew). */
  readonly marginMs?: number;
}

export class MaskinportenError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'MaskinportenError';
  }
}

const tokenAnswer = z.object({
  access_token: z.string().min(1),
  token_type: z.string().regex(/^bearer$/i),
  expires_in: z.number().int().positive(),
  scope: z.string().optional(),
});

const errorAnswer = z.object({ error: z.string(), error_description: z.string().optional() });

export class MaskinportenTokenClient {
  private readonly cache = new Map<string, { token: string; renewAt: number }>();
  private readonly pending = new Map<string, Promise<string>>();
  private readonly now: () => number;

  constructor(private readonly opts: MaskinportenOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** A bearer token for exactly this scope set. */
  async token(scopes: readonly string[]): Promise<string> {
    const key = [...new Set(scopes)].sort().join(' ');
    const cached = this.cache.get(key);
    if (cached && cached.renewAt > this.now()) return cached.token;
    let p = this.pending.get(key);
    if (!p) {
      p = this.fetchToken(key).finally(() => this.pending.delete(key));
      this.pending.set(key, p);
    }
    return p;
  }

  private async fetchToken(scope: string): Promise<string> {
    const { kid, key } = await this.opts.signingKey();
    // The grant's times are the wall clock (Maskinporten allows ±10 s); `now` drives the cache only.
    const iat = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({ scope })
      .setProtectedHeader({ alg: 'RS256', kid })
      .setAudience(this.opts.audience)
      .setIssuer(this.opts.clientId)
      .setIssuedAt(iat)
      .setExpirationTime(iat + 110)
      .setJti(randomUUID())
      .sign(key);
    const res = await this.opts.http.fetch('maskinporten', this.opts.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }).toString(),
    });
    const body = await jsonBody(res);
    if (!res.ok) {
      const err = errorAnswer.safeParse(body);
      // The error code and description are Maskinporten's own text (e.g. MP-110), never our data.
      throw new MaskinportenError(`maskinporten refused the grant: ${err.success ? err.data.error : `HTTP ${res.status}`}`, res.status);
    }
    const parsed = tokenAnswer.safeParse(body);
    if (!parsed.success) throw new MaskinportenError('maskinporten answered something that is not a token');
    const lifetimeMs = parsed.data.expires_in * 1000;
    const margin = Math.min(this.opts.marginMs ?? 20_000, lifetimeMs / 2);
    this.cache.set(scope, { token: parsed.data.access_token, renewAt: this.now() + lifetimeMs - margin });
    return parsed.data.access_token;
  }
}

/**
 * The signing key from its stored form: a JSON object `{kid, privateKeyPem}` or a private JWK with
 * `kid` (as kept in Secrets Manager or in the local key file).
 */
export const parseSigningKey = async (stored: string): Promise<SigningKey> => {
  const json = JSON.parse(stored) as Record<string, unknown>;
  if (typeof json.kid !== 'string' || !json.kid) throw new Error('the Maskinporten key has no kid');
  if (typeof json.privateKeyPem === 'string') return { kid: json.kid, key: await importPKCS8(json.privateKeyPem, 'RS256') };
  return { kid: json.kid, key: (await importJWK(json as JWK, 'RS256')) as CryptoKey };
};
