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

/** An issuer's key pair as JWKs: what its key file holds, and what the API's own thread is handed (local/api-thread.ts). */
export interface IssuerKeys {
  readonly privateJwk: JWK;
  readonly publicJwk: JWK;
}

export const createTokenIssuer = async (issuer: string, keyFile?: string, audience = LOCAL_AUDIENCE): Promise<TokenIssuer & { readonly keys: IssuerKeys }> => {
  let keys: IssuerKeys;
  if (keyFile && existsSync(keyFile)) {
    // A persisted key keeps tokens valid across restarts of a non-fresh local platform.
    keys = JSON.parse(await readFile(keyFile, 'utf8')) as IssuerKeys;
  } else {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    keys = { privateJwk: await exportJWK(privateKey), publicJwk: await exportJWK(publicKey) };
    if (keyFile) await writeFile(keyFile, JSON.stringify(keys), { mode: 0o600 });
  }
  return { ...(await tokenIssuerOf(issuer, keys, audience)), keys };
};

/** The issuer of a key pair already made (another thread's). */
export const tokenIssuerOf = async (issuer: string, keys: IssuerKeys, audience = LOCAL_AUDIENCE): Promise<TokenIssuer> => {
  const privateKey = (await importJWK(keys.privateJwk, 'RS256')) as CryptoKey;
  const publicKey = (await importJWK(keys.publicJwk, 'RS256')) as CryptoKey;
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
