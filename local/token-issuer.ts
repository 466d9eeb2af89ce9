import { SignJWT, exportJWK, generateKeyPair, importJWK, jwtVerify, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';

/**
 * Locally the platform is its own identity provider: it signs RS256 tokens for POST /dev/token
 * and verifies bearer tokens exactly as API Gateway's JWT authorizer would — signature with the
 * issuer's public key only (no "none", no HS/RS confusion), issuer, audience, expiry, not-before.
 */
export const LOCAL_AUDIENCE = 'research-dispatch';
const TOKEN_LIFETIME = '8h';

export interface TokenIssuer {
  readonly issuer: string;
  readonly audience: string;
  readonly publicJwk: JWK;
  sign(claims: Record<string, unknown> & { sub: string }, opts?: { expiresIn?: string | number; notBefore?: string | number }): Promise<string>;
  verify(token: string): Promise<JWTPayload>;
}

/**
 * The handlers' configuration that makes them verify this issuer's tokens (functions/shared/auth.ts):
 * issuer, audience and its public key set inline, as the local runtime and tests set it.
 */
export const authEnv = (issuer: TokenIssuer): Record<string, string> => ({
  AUTH_ISSUER: issuer.issuer,
  AUTH_AUDIENCE: issuer.audience,
  AUTH_JWKS: JSON.stringify({ keys: [{ ...issuer.publicJwk, alg: 'RS256', use: 'sig' }] }),
});

export const createTokenIssuer = async (issuer: string, keyFile?: string, audience = LOCAL_AUDIENCE): Promise<TokenIssuer> => {
  let privateKey: CryptoKey;
  let publicKey: CryptoKey;
  if (keyFile && existsSync(keyFile)) {
    // A persisted key keeps tokens valid across restarts of a non-fresh local platform.
    const saved = JSON.parse(await readFile(keyFile, 'utf8')) as { privateJwk: JWK; publicJwk: JWK };
    privateKey = (await importJWK(saved.privateJwk, 'RS256')) as CryptoKey;
    publicKey = (await importJWK(saved.publicJwk, 'RS256')) as CryptoKey;
  } else {
    ({ privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true }));
    if (keyFile) {
      await writeFile(keyFile, JSON.stringify({ privateJwk: await exportJWK(privateKey), publicJwk: await exportJWK(publicKey) }), { mode: 0o600 });
    }
  }
  const publicJwk = await exportJWK(publicKey);
  return {
    issuer,
    audience,
    publicJwk,
    sign: async (claims, opts = {}) => {
      const jwt = new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime(opts.expiresIn ?? TOKEN_LIFETIME);
      if (opts.notBefore !== undefined) jwt.setNotBefore(opts.notBefore);
      return jwt.sign(privateKey);
    },
    verify: async (token) => (await jwtVerify(token, publicKey, { issuer, audience, algorithms: ['RS256'], clockTolerance: 5 })).payload,
  };
};
