import { SignJWT, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { authenticate } from '../../../functions/shared/auth.js';
import { DomainError } from '../../../functions/shared/errors.js';
import { generateOperationsKey, signOperation } from '../../../ops/operation-token.js';

/**
 * The deployed way: the handler finds the issuer's keys by OpenID discovery (as API Gateway's
 * authorizer does), once per container, and fails closed while they cannot be read.
 */
let server: Server;
let issuer: string;
let privateKey: CryptoKey;
let down = false;
const hits = { discovery: 0, jwks: 0 };
let jwks: unknown;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  privateKey = pair.privateKey;
  jwks = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] };
  server = createServer((req, res) => {
    if (down) return res.writeHead(503).end('down');
    if (req.url === '/realm/.well-known/openid-configuration') {
      hits.discovery++;
      return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer, jwks_uri: `${issuer}/keys` }));
    }
    if (req.url === '/realm/keys') {
      hits.jwks++;
      return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = server.address() as { port: number };
  issuer = `http://127.0.0.1:${addr.port}/realm`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const configure = (extra: Record<string, string> = {}) => {
  for (const k of ['AUTH_JWKS', 'OPS_PUBLIC_JWK', 'RD_LOCAL']) delete process.env[k];
  Object.assign(process.env, { AUTH_ISSUER: issuer, AUTH_AUDIENCE: 'rd,other', ...extra });
};
beforeEach(() => {
  down = false;
  hits.discovery = 0;
  hits.jwks = 0;
});

const sign = (claims: Record<string, unknown>, opts: { aud?: string; iss?: string; exp?: number; kid?: string } = {}) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: opts.kid ?? 'k1' })
    .setIssuer(opts.iss ?? issuer)
    .setAudience(opts.aud ?? 'rd')
    .setIssuedAt()
    .setExpirationTime(opts.exp ?? Math.floor(Date.now() / 1000) + 600)
    .sign(privateKey);

const call = (token: string | undefined, routeKey = 'GET /projects') =>
  authenticate({ routeKey, headers: token ? { Authorization: `Bearer ${token}` } : {} }).then(
    (p) => ({ ok: p }),
    (e: unknown) => ({ status: e instanceof DomainError ? e.status : 500, code: e instanceof DomainError ? e.code : String(e) }),
  );

describe('verifying the bearer token in the handler', () => {
  it('fails closed with 503 while the issuer cannot be read, and asks again only after a pause', async () => {
    configure({ AUTH_AUDIENCE: 'rd,first' });
    down = true;
    const token = await sign({ sub: 'ola', role: 'researcher', org: 'uio' });
    expect(await call(token)).toEqual({ status: 503, code: 'AUTH_UNAVAILABLE' });
    expect(await call(token)).toEqual({ status: 503, code: 'AUTH_UNAVAILABLE' });
    down = false;
    // Within the retry pause the failed discovery is not repeated per request.
    expect(await call(token)).toEqual({ status: 503, code: 'AUTH_UNAVAILABLE' });
  });

  it('discovers the keys once and verifies a thousand requests without fetching them again', async () => {
    configure();
    const token = await sign({ sub: 'ola', role: 'researcher', org: 'uio' });
    for (let i = 0; i < 1000; i++) expect(await call(token)).toEqual({ ok: { sub: 'ola', role: 'researcher', org: 'uio' } });
    expect(hits).toEqual({ discovery: 1, jwks: 1 });
  });

  it('refuses with 401 what the authorizer would refuse', async () => {
    configure();
    const other = await generateKeyPair('RS256');
    const claims = { sub: 'siri', role: 'superuser', org: 'uio' };
    const cases = {
      'no token': undefined,
      'wrong audience': await sign(claims, { aud: 'elsewhere' }),
      'wrong issuer': await sign(claims, { iss: 'https://evil.example/' }),
      expired: await sign(claims, { exp: Math.floor(Date.now() / 1000) - 60 }),
      'another key, same kid': await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer(issuer).setAudience('rd').setExpirationTime('1h').sign(other.privateKey),
      'alg none': `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ ...claims, iss: issuer, aud: 'rd', exp: 9e9 })).toString('base64url')}.`,
      'staff role without org': await sign({ sub: 'x', role: 'researcher' }),
    };
    for (const [what, token] of Object.entries(cases)) expect(await call(token), what).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
  });

  it('accepts an operations-signed token on the halt route only, short-lived, from the configured key', async () => {
    const key = await generateOperationsKey();
    configure({ OPS_PUBLIC_JWK: JSON.stringify(key.publicJwk) });
    const halt = 'POST /operations/halt';
    expect(await call(await signOperation(key, 'ops-cli:oda', halt), halt)).toEqual({ ok: { sub: 'ops-cli:oda', role: 'operations' } });
    expect(await call(await signOperation(key, 'ops-cli:oda', halt), 'POST /operations/resume')).toMatchObject({ status: 401 });
    expect(await call(await signOperation(key, 'ops-cli:oda', 'POST /operations/resume'), 'POST /operations/resume')).toMatchObject({ status: 401 });
    expect(await call(await signOperation(await generateOperationsKey(), 'ops-cli:oda', halt), halt)).toMatchObject({ status: 401 });
    configure();
    expect(await call(await signOperation(key, 'ops-cli:oda', halt), halt)).toMatchObject({ status: 401 });
  });

  it('takes an inline key set only in the local runtime', async () => {
    configure({ AUTH_JWKS: JSON.stringify(jwks) });
    await expect(authenticate({ routeKey: 'GET /projects', headers: { authorization: `Bearer ${await sign({ sub: 'ola', role: 'researcher', org: 'uio' })}` } })).rejects.toThrow(/local runtime only/);
  });
});
