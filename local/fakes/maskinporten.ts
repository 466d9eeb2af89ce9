import { randomBytes } from 'node:crypto';
import { decodeProtectedHeader, jwtVerify, type CryptoKey, type KeyObject } from 'jose';
import { json, startFakeServer, type FakeServer } from './server.js';

/**
 * Fake of Maskinporten's token endpoint. Refuses what the real one refuses: a wrong grant type,
 * a grant not signed by the registered key (`kid`), a wrong audience (MP-110), an expired grant
 * or one living longer than 120 s, an `iat` off by more than 10 s, and a reused `jti`. Tokens it
 * issues are opaque; the registry fakes ask it whether a token is valid for a scope.
 */
export interface MaskinportenFakeOptions {
  readonly clientId: string;
  readonly kid: string;
  readonly publicKey: CryptoKey | KeyObject;
  /** Token lifetime per scope, seconds (default 120). */
  readonly lifetimeFor?: (scope: string) => number;
}

export interface MaskinportenFake extends FakeServer {
  /** The audience grants must name: this fake's own URL with a trailing slash. */
  readonly audience: string;
  readonly tokenUrl: string;
  /** True when the Authorization header carries a live token that includes `scope`. */
  allows(authorization: string | undefined, scope: string): boolean;
  /** Grants accepted so far (the token cache keeps this low). */
  readonly grants: () => number;
}

const refuse = (error: string, description: string) => json(400, { error, error_description: description });

export const startMaskinportenFake = async (opts: MaskinportenFakeOptions): Promise<MaskinportenFake> => {
  const seenJti = new Set<string>();
  const tokens = new Map<string, { scopes: Set<string>; exp: number }>();
  let grants = 0;
  let audience = '';
  const server = await startFakeServer('maskinporten', async (req) => {
    if (req.method !== 'POST' || req.url.pathname !== '/token') return json(404, { error: 'not_found' });
    const form = new URLSearchParams(req.body.toString('utf8'));
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return refuse('unsupported_grant_type', 'grant_type must be jwt-bearer');
    const assertion = form.get('assertion') ?? '';
    let header;
    try {
      header = decodeProtectedHeader(assertion);
    } catch {
      return refuse('invalid_grant', 'MP-100 the assertion is not a JWT');
    }
    if (!['RS256', 'RS384', 'RS512'].includes(String(header.alg)) || header.kid !== opts.kid) return refuse('invalid_client', 'MP-122 unknown key');
    let claims;
    try {
      ({ payload: claims } = await jwtVerify(assertion, opts.publicKey, { issuer: opts.clientId, clockTolerance: 10 }));
    } catch {
      return refuse('invalid_grant', 'MP-101 invalid or expired grant');
    }
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!aud.includes(audience)) return refuse('invalid_grant', 'MP-110 invalid audience');
    const now = Math.floor(Date.now() / 1000);
    if (typeof claims.iat !== 'number' || Math.abs(claims.iat - now) > 10) return refuse('invalid_grant', 'MP-111 iat out of range');
    if (typeof claims.exp !== 'number' || claims.exp - claims.iat > 120) return refuse('invalid_grant', 'MP-112 exp too far ahead');
    if (typeof claims.jti !== 'string' || seenJti.has(claims.jti)) return refuse('invalid_grant', 'MP-113 jti reused');
    seenJti.add(claims.jti);
    const scope = typeof claims.scope === 'string' ? claims.scope : '';
    if (!scope) return refuse('invalid_scope', 'MP-130 no scope');
    const lifetime = Math.min(...scope.split(' ').map((s) => opts.lifetimeFor?.(s) ?? 120));
    const token = randomBytes(24).toString('base64url');
    tokens.set(token, { scopes: new Set(scope.split(' ')), exp: Date.now() + lifetime * 1000 });
    grants++;
    return json(200, { access_token: token, token_type: 'Bearer', expires_in: lifetime, scope });
  });
  audience = `${server.url}/`;
  return {
    ...server,
    audience,
    tokenUrl: `${server.url}/token`,
    grants: () => grants,
    allows: (authorization, scope) => {
      const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
      const t = token ? tokens.get(token) : undefined;
      return Boolean(t && t.exp > Date.now() && t.scopes.has(scope));
    },
  };
};
