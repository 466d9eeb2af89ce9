import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  errors,
  importJWK,
  jwtVerify,
  type CryptoKey,
  type JWK,
  type JWSHeaderParameters,
  type FlattenedJWSInput,
  type JWTPayload,
  type KeyObject,
} from 'jose';
import { config } from './config.js';
import { DomainError, UnauthenticatedError } from './errors.js';
import { logger } from './logger.js';
import { parsePrincipal, type Principal } from './principal.js';

/**
 * Who is calling is decided here, and only here, from the bearer token itself — never from the
 * event's `requestContext.authorizer` claims. Those are written by API Gateway's JWT authorizer,
 * but an event can also come from anyone allowed `lambda:InvokeFunction` on the function (an IAM
 * identity policy in the account suffices whatever the resource policy says), and such a caller
 * writes whatever claims it likes. So each handler verifies the token as the authorizer does:
 * signature against the issuer's published keys (asymmetric algorithms only), issuer, audience,
 * expiry, not-before. The key set is fetched once per container and cached (jose refetches only
 * for an unknown key id, at most every 30 s, and after 10 minutes); keys that cannot be read fail
 * closed with 503, and nothing runs.
 *
 * One other signer is accepted: the operations signing key (OPS_PUBLIC_JWK, its private half held
 * by operators only), for the break-glass halt CLI that invokes the operations function without
 * API Gateway. Its tokens are short-lived, name the one route they are for as their audience, and
 * carry the operations role; they are refused on every other route.
 *
 * Configuration (set by the stack on every API function, by the local runtime locally):
 * AUTH_ISSUER, AUTH_AUDIENCE (comma-separated); the keys are discovered from the issuer
 * (`/.well-known/openid-configuration` → `jwks_uri`), or, locally only, given inline as AUTH_JWKS.
 */

/** `iss` of the tokens the operations signing key makes (ops/direct-halt.ts). */
export const OPERATIONS_ISSUER = 'research-dispatch:operations';
/** Routes an operations-signed token may call: the break-glass halt only. */
export const OPERATION_TOKEN_ROUTES: readonly string[] = ['POST /operations/halt'];
/** Longest lifetime (exp − iat) of an operations-signed token. */
export const OPERATION_TOKEN_MAX_AGE_S = 300;

/** Signature algorithms accepted: asymmetric only (no `none`, no HS256 with a public key as secret). */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
const FETCH_TIMEOUT_MS = 3_000;
/** After a failed discovery, requests within this window fail at once instead of asking again. */
const DISCOVERY_RETRY_MS = 10_000;

export class AuthUnavailableError extends DomainError {
  constructor() {
    super('AUTH_UNAVAILABLE', 503, 'The identity provider’s keys cannot be read just now; nothing was done. Try again shortly');
  }
}

type KeySet = (header: JWSHeaderParameters, token: FlattenedJWSInput) => Promise<CryptoKey | KeyObject>;

class KeysUnreadable extends Error {}

interface Verifier {
  readonly issuer: string;
  readonly audience: string[];
  readonly keys: KeySet;
  readonly opsKey?: Promise<CryptoKey | Uint8Array>;
}

const loopback = (url: URL) => url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';

const fetchJson = async (url: URL): Promise<unknown> => {
  if (url.protocol !== 'https:' && !loopback(url)) throw new Error(`${url.origin} is not https`);
  const res = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), redirect: 'error' });
  if (!res.ok) throw new Error(`${url.origin} answered ${res.status}`);
  return res.json();
};

/** The issuer's key set, found by OpenID discovery as API Gateway's authorizer finds it. */
const discoveredKeys = (issuer: string): KeySet => {
  let remote: Promise<KeySet> | undefined;
  let failedAt = 0;
  const resolve = () => {
    if (!remote) {
      if (Date.now() - failedAt < DISCOVERY_RETRY_MS) return Promise.reject(new KeysUnreadable('discovery failed recently'));
      remote = fetchJson(new URL(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`)).then((doc) => {
        const uri = (doc as { jwks_uri?: unknown }).jwks_uri;
        if (typeof uri !== 'string') throw new Error('the discovery document names no jwks_uri');
        const url = new URL(uri);
        if (url.protocol !== 'https:' && !loopback(url)) throw new Error('jwks_uri is not https');
        return createRemoteJWKSet(url, { timeoutDuration: FETCH_TIMEOUT_MS, cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000 });
      });
      remote.catch(() => {
        remote = undefined;
        failedAt = Date.now();
      });
    }
    return remote;
  };
  return async (header, token) => {
    let set: KeySet;
    try {
      set = await resolve();
    } catch (e) {
      throw e instanceof KeysUnreadable ? e : new KeysUnreadable(e instanceof Error ? e.message : 'discovery failed');
    }
    try {
      return await set(header, token);
    } catch (e) {
      // A key set that was read but holds no such key: the token is at fault. Anything else
      // (timeout, network, a malformed answer): the keys are unreadable.
      if (e instanceof errors.JWKSNoMatchingKey || e instanceof errors.JWKSMultipleMatchingKeys || e instanceof errors.JOSENotSupported) throw e;
      throw new KeysUnreadable(e instanceof Error ? e.message : 'key set unreadable');
    }
  };
};

const csv = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

const build = (): Verifier => {
  const issuer = process.env.AUTH_ISSUER ?? '';
  const audience = csv(process.env.AUTH_AUDIENCE);
  if (!issuer || audience.length === 0) throw new Error('missing configuration AUTH_ISSUER / AUTH_AUDIENCE');
  const inline = process.env.AUTH_JWKS;
  let keys: KeySet;
  if (inline) {
    // A key set in the environment is the local runtime's own issuer; a deployed stage discovers.
    if (!config.isLocal()) throw new Error('AUTH_JWKS is for the local runtime only');
    keys = createLocalJWKSet(JSON.parse(inline) as { keys: JWK[] });
  } else keys = discoveredKeys(issuer);
  const ops = process.env.OPS_PUBLIC_JWK;
  return { issuer, audience, keys, ...(ops ? { opsKey: importJWK(JSON.parse(ops) as JWK) } : {}) };
};

let held: { readonly key: string; readonly verifier: Verifier } | undefined;

/** Built once per configuration (a container has one; the local runtime may restart with another). */
const verifier = (): Verifier => {
  const key = [process.env.AUTH_ISSUER, process.env.AUTH_AUDIENCE, process.env.AUTH_JWKS, process.env.OPS_PUBLIC_JWK, process.env.RD_LOCAL].join('\u0000');
  if (held?.key !== key) held = { key, verifier: build() };
  return held.verifier;
};

const bearer = (headers: Readonly<Record<string, string | undefined>> | undefined): string | undefined => {
  const value = Object.entries(headers ?? {}).find(([k]) => k.toLowerCase() === 'authorization')?.[1] ?? '';
  return /^Bearer\s+([A-Za-z0-9_\-.]+)$/i.exec(value.trim())?.[1];
};

const verifyOperationToken = async (v: Verifier, token: string, routeKey: string): Promise<JWTPayload> => {
  if (!v.opsKey || !OPERATION_TOKEN_ROUTES.includes(routeKey)) throw new UnauthenticatedError();
  const { payload } = await jwtVerify(token, await v.opsKey, {
    issuer: OPERATIONS_ISSUER,
    audience: routeKey,
    algorithms: ALGORITHMS,
    requiredClaims: ['exp', 'iat', 'sub'],
    maxTokenAge: OPERATION_TOKEN_MAX_AGE_S,
    clockTolerance: 5,
  });
  if (payload.exp! - payload.iat! > OPERATION_TOKEN_MAX_AGE_S || payload.role !== 'operations') throw new UnauthenticatedError();
  return payload;
};

/**
 * The caller of an API event, from its verified bearer token. 401 when there is none or it does
 * not verify, 503 when the issuer's keys cannot be read.
 */
export const authenticate = async (event: { readonly routeKey: string; readonly headers?: Readonly<Record<string, string | undefined>> }): Promise<Principal> => {
  const token = bearer(event.headers);
  if (!token) throw new UnauthenticatedError();
  const v = verifier();
  let payload: JWTPayload;
  try {
    // The issuer picks the verifier; each then checks the signature with its own keys.
    const iss = decodeJwt(token).iss;
    payload =
      iss === OPERATIONS_ISSUER
        ? await verifyOperationToken(v, token, event.routeKey)
        : (await jwtVerify(token, v.keys, { issuer: v.issuer, audience: v.audience, algorithms: ALGORITHMS, requiredClaims: ['exp'], clockTolerance: 5 })).payload;
  } catch (e) {
    if (e instanceof KeysUnreadable) {
      logger.error('identity provider keys unreadable', { reason: e.message });
      throw new AuthUnavailableError();
    }
    throw new UnauthenticatedError();
  }
  const principal = parsePrincipal(payload);
  if (!principal) throw new UnauthenticatedError();
  return principal;
};
