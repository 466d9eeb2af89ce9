import { SignJWT, generateKeyPair } from 'jose';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTokenIssuer } from '../../../local/token-issuer.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, startTestPlatform, type TestPlatform } from '../../setup/platform.js';

let p: TestPlatform;
const stateDir = mkdtempSync(join(tmpdir(), 'rd-slice-'));
beforeAll(async () => {
  p = await startTestPlatform({ pollers: false, stateDir });
});
afterAll(async () => {
  await p?.stop();
});

const researcher = { sub: 'ola.researcher', role: 'researcher', org: 'uio', name: 'Ola' } as const;

describe('the projects slice through the HTTP API, on DynamoDB Local', () => {
  it('answers health without a token', async () => {
    const res = await request(`${p.url}/health`, {});
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true });
  });

  it('keeps idle connections open far longer than fetch reuses them (no keep-alive ECONNRESET race)', async () => {
    // fetch (undici) drops an idle socket at the advertised timeout minus 2 s; with Node's default
    // of 5 s a test that sat busy for ~5 s between two calls could reuse a socket the server was
    // closing (see local/api-server.ts). The server now advertises 65 s.
    const res = await fetch(`${p.url}/health`);
    await res.text();
    expect(res.headers.get('keep-alive')).toBe('timeout=65');
  });

  it('issues a dev token that creates and reads a project', async () => {
    const tokenRes = await request(`${p.url}/dev/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(researcher),
    });
    expect(tokenRes.status).toBe(200);
    const auth = { authorization: `Bearer ${tokenRes.body.token}`, 'content-type': 'application/json' };
    const created = await request(`${p.url}/projects`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ title: 'Hjertestudien', organization: 'uio', allowedLinkDomains: ['Example.org'] }),
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ title: 'Hjertestudien', organization: 'uio', purpose: 'research', status: 'draft', allowedLinkDomains: ['example.org'] });
    const read = await request(`${p.url}/projects/${created.body.projectId}`, { headers: auth });
    expect(read.status).toBe(200);
    expect(read.body.projectId).toBe(created.body.projectId);
    const list = await request(`${p.url}/projects`, { headers: auth });
    expect(list.body.items.map((x: { projectId: string }) => x.projectId)).toContain(created.body.projectId);
  });

  it('hides a project from a researcher who is not a member (404, not 403)', async () => {
    const created = await p.as(researcher).post('/projects', { title: 'Skjult', organization: 'uio' });
    const other = await p.as({ sub: 'kari', role: 'researcher', org: 'uio' }).get(`/projects/${created.body.projectId}`);
    expect(other.status).toBe(404);
    expect(other.body.error.code).toBe('NOT_FOUND');
    const foreignSuper = await p.as({ sub: 'su', role: 'superuser', org: 'ntnu' }).get(`/projects/${created.body.projectId}`);
    expect(foreignSuper.status).toBe(404);
    const ownSuper = await p.as({ sub: 'su2', role: 'superuser', org: 'uio' }).get(`/projects/${created.body.projectId}`);
    expect(ownSuper.status).toBe(200);
    const ops = await p.as({ sub: 'ops', role: 'operations' }).get(`/projects/${created.body.projectId}`);
    expect(ops.status).toBe(200);
  });

  it('refuses a project in another organisation and a citizen caller', async () => {
    const foreign = await p.as(researcher).post('/projects', { title: 'X', organization: 'ntnu' });
    expect(foreign.status).toBe(403);
    const citizen = await p.as({ sub: '01017012345', role: 'citizen' }).get('/projects');
    expect(citizen.status).toBe(403);
    expect(citizen.text).not.toContain('01017012345');
  });

  it('answers bad input with 400 and the fields, and malformed JSON with a code', async () => {
    const bad = await p.as(researcher).post('/projects', { title: '', organization: 'uio', purpose: 'marketing' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_FAILED');
    expect(bad.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['purpose', 'title']);
    const malformed = await p.as(researcher).post('/projects', '{"title": ', 'application/json');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('MALFORMED_JSON');
    const unknownField = await p.as(researcher).post('/projects', { title: 'T', organization: 'uio', status: 'approved' });
    expect(unknownField.status).toBe(400);
  });

  it('refuses bodies over 10 MB with 413', async () => {
    const res = await p.as(researcher).post('/projects', 'x'.repeat(10 * 1024 * 1024 + 10), 'application/json');
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('answers an unknown path with 404 NOT_FOUND', async () => {
    const res = await p.as(researcher).get('/nope');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
  });
});

describe('bearer tokens are verified as the JWT authorizer would', () => {
  const claims = { sub: 'ola', role: 'researcher', org: 'uio' };
  const call = (token?: string) => request(`${p.url}/projects`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
  const expect401 = async (token?: string) => {
    const res = await call(token);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHENTICATED');
  };

  it('accepts a valid token', async () => {
    expect((await call(await p.issuer.sign(claims))).status).toBe(200);
  });
  it('refuses a missing token', () => expect401());
  it('refuses an expired token', async () => expect401(await p.issuer.sign(claims, { expiresIn: Math.floor(Date.now() / 1000) - 60 })));
  it('refuses a token that is not yet valid', async () => expect401(await p.issuer.sign(claims, { notBefore: '10m' })));
  it('refuses a tampered token', async () => {
    const [h, , s] = (await p.issuer.sign(claims)).split('.');
    const forged = Buffer.from(JSON.stringify({ ...claims, role: 'operations', iss: p.issuer.issuer, aud: p.issuer.audience, exp: 9999999999 })).toString('base64url');
    await expect401(`${h}.${forged}.${s}`);
  });
  it('refuses alg "none"', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const body = Buffer.from(JSON.stringify({ ...claims, iss: p.issuer.issuer, aud: p.issuer.audience, exp: 9999999999 })).toString('base64url');
    await expect401(`${header}.${body}.`);
  });
  it('refuses HS256 signed with the public key (algorithm confusion)', async () => {
    const secret = new TextEncoder().encode(JSON.stringify(p.issuer.publicJwk));
    const token = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuer(p.issuer.issuer).setAudience(p.issuer.audience).setExpirationTime('1h').sign(secret);
    await expect401(token);
  });
  it('refuses a token signed by another key', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    await expect401(await new SignJWT(claims).setProtectedHeader({ alg: 'RS256' }).setIssuer(p.issuer.issuer).setAudience(p.issuer.audience).setExpirationTime('1h').sign(privateKey));
  });
  it('refuses a token with the right key but another issuer or audience', async () => {
    const keyFile = join(stateDir, 'signing-key.json');
    const otherIssuer = await createTokenIssuer('https://evil.example/', keyFile);
    await expect401(await otherIssuer.sign(claims));
    const otherAudience = await createTokenIssuer(p.issuer.issuer, keyFile, 'another-api');
    await expect401(await otherAudience.sign(claims));
    // The same key file with the right issuer and audience is accepted: the refusals above are about iss/aud.
    const same = await createTokenIssuer(p.issuer.issuer, keyFile);
    expect((await call(await same.sign(claims))).status).toBe(200);
  });
  it('refuses a staff token without an organisation', async () => expect401(await p.issuer.sign({ sub: 'x', role: 'researcher' })));
});
