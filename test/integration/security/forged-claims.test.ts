import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adapters, rawAdapters } from '../../../functions/adapters/index.js';
import { syntheticNins } from '../../../functions/domain/lists/nin-generator.js';
import { handler as citizensHandler } from '../../../functions/handlers/citizens/index.js';
import { handler as operationsHandler } from '../../../functions/handlers/operations/index.js';
import { handler as projectsHandler } from '../../../functions/handlers/projects/index.js';
import { lambdaContext } from '../../../local/api-server.js';
import { LOCAL_ISSUER } from '../../../local/platform.js';
import { createTokenIssuer } from '../../../local/token-issuer.js';
import { startTestPlatform, type TestPlatform } from '../../setup/platform.js';
import { completeChecklist } from '../checklist.js';

/**
 * A handler invoked directly (lambda:InvokeFunction, no API Gateway) with an event whose
 * requestContext claims say whatever the caller wants: the claims are not trusted. Without a
 * token that verifies against the issuer's keys, the handler answers 401 and acts on nothing; with
 * one, the token (not the claims) says who calls.
 */
type Handler = (e: APIGatewayProxyEventV2WithJWTAuthorizer, c: Context) => Promise<APIGatewayProxyStructuredResultV2>;

let p: TestPlatform;
beforeAll(async () => {
  p = await startTestPlatform({ pollers: false });
});
afterAll(async () => p?.stop());

const ola = { sub: 'ola', role: 'researcher', org: 'uio' } as const;
const siri = { sub: 'siri', role: 'superuser', org: 'uio' } as const;
const ops = { sub: 'otto', role: 'operations' } as const;
const [victim] = syntheticNins(1, 81_000) as [string];

/** The event a caller with lambda:InvokeFunction can write: any claims, any headers. */
const forged = (routeKey: string, opts: { claims: Record<string, string>; token?: string; params?: Record<string, string>; body?: unknown }): APIGatewayProxyEventV2WithJWTAuthorizer => {
  const [method, path] = routeKey.split(' ') as [string, string];
  return {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString: '',
    headers: { 'content-type': 'application/json', ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}) },
    pathParameters: opts.params,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'forged',
      authorizer: { principalId: '', integrationLatency: 0, jwt: { claims: opts.claims, scopes: [] } },
      domainName: 'forged',
      domainPrefix: 'forged',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '', userAgent: 'forger' },
      requestId: 'forged',
      routeKey,
      stage: '$default',
      time: new Date().toISOString(),
      timeEpoch: Date.now(),
    },
  };
};

const invoke = async (h: Handler, e: APIGatewayProxyEventV2WithJWTAuthorizer) => {
  const res = await h(e, lambdaContext('forged'));
  return { status: res.statusCode, body: res.body ? (JSON.parse(res.body) as { error?: { code: string } } & Record<string, unknown>) : undefined };
};

/** Tokens a forger can make: signed by a key of their own for the same issuer, or expired. */
const badTokens = async (claims: Record<string, string> & { sub: string }) => {
  const own = await createTokenIssuer(LOCAL_ISSUER);
  return {
    'signed by another key': await own.sign(claims),
    expired: await p.issuer.sign(claims, { expiresIn: Math.floor(Date.now() / 1000) - 120 }),
    'not a JWT': 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJvdHRvIn0.',
  };
};

describe('a direct invoke with forged requestContext claims', () => {
  it('halt: forged operations claims, no or bad token → 401, dispatch not halted; a valid token halts', async () => {
    const claims = { sub: 'otto', role: 'operations' };
    const body = { reason: 'forged halt' };
    expect(await invoke(operationsHandler, forged('POST /operations/halt', { claims, body }))).toMatchObject({ status: 401, body: { error: { code: 'UNAUTHENTICATED' } } });
    for (const [what, token] of Object.entries(await badTokens(claims))) {
      const res = await invoke(operationsHandler, forged('POST /operations/halt', { claims, token, body }));
      expect(res.status, what).toBe(401);
    }
    expect((await adapters().operations.state.read()).halted).toBe(false);

    const ok = await invoke(operationsHandler, forged('POST /operations/halt', { claims: { sub: 'someone-else', role: 'citizen' }, token: await p.token(ops), body: { reason: 'real halt' } }));
    expect(ok.status).toBe(200);
    expect(await adapters().operations.state.read()).toMatchObject({ halted: true, by: 'otto' });
    expect((await p.as(ops).post('/operations/resume')).status).toBe(200);
  });

  it('four-eyes: the submitter forging another superuser’s claims cannot approve; the token decides who approves', async () => {
    const projectId = (await p.as(ola).post('/projects', { title: 'Forged', organization: 'uio' })).body.projectId as string;
    expect((await p.as(ola).post(`/projects/${projectId}/submit`)).status).toBe(200);
    const checklist = await completeChecklist(p.as(siri), projectId);
    const route = 'POST /projects/{projectId}/approve';
    const claims = { sub: 'siri', role: 'superuser', org: 'uio' };
    expect((await invoke(projectsHandler, forged(route, { claims, params: { projectId }, body: { checklist } }))).status).toBe(401);
    for (const [what, token] of Object.entries(await badTokens(claims))) {
      expect((await invoke(projectsHandler, forged(route, { claims, token, params: { projectId }, body: { checklist } }))).status, what).toBe(401);
    }
    // Ola's own valid token with Siri's claims: Ola is the caller, and a researcher may not approve.
    expect((await invoke(projectsHandler, forged(route, { claims, token: await p.token(ola), params: { projectId }, body: { checklist } }))).status).toBe(403);
    expect((await p.as(siri).get(`/projects/${projectId}`)).body).toMatchObject({ status: 'in_review' });

    const ok = await invoke(projectsHandler, forged(route, { claims: { sub: 'ola', role: 'superuser', org: 'uio' }, token: await p.token(siri), params: { projectId }, body: { checklist } }));
    expect(ok).toMatchObject({ status: 200, body: { status: 'approved', reviewedBy: 'siri' } });
  });

  it('contact lookup and another citizen’s reservation: forged claims read and change nothing', async () => {
    const lookup = 'POST /operations/contacts/lookup';
    const opsClaims = { sub: 'otto', role: 'operations' };
    const refused = await invoke(operationsHandler, forged(lookup, { claims: opsClaims, body: { nin: victim } }));
    expect(refused).toMatchObject({ status: 401 });
    expect(refused.body).not.toHaveProperty('items');
    for (const token of Object.values(await badTokens(opsClaims))) {
      expect((await invoke(operationsHandler, forged(lookup, { claims: opsClaims, token, body: { nin: victim } }))).status).toBe(401);
    }
    expect(await invoke(operationsHandler, forged(lookup, { claims: opsClaims, token: await p.token(ops), body: { nin: victim } }))).toMatchObject({ status: 200, body: { items: [] } });

    expect((await p.as({ sub: victim, role: 'citizen' }).put('/citizen/reservations/research')).body).toEqual({ research: true });
    const clear = 'DELETE /citizen/reservations/research';
    const asVictim = { sub: victim, role: 'citizen' };
    expect((await invoke(citizensHandler, forged(clear, { claims: asVictim }))).status).toBe(401);
    for (const token of Object.values(await badTokens(asVictim))) {
      expect((await invoke(citizensHandler, forged(clear, { claims: asVictim, token }))).status).toBe(401);
    }
    // A real citizen's token with the victim's claims clears the caller's own reservation, not the victim's.
    const [other] = syntheticNins(1, 82_000) as [string];
    expect((await invoke(citizensHandler, forged(clear, { claims: asVictim, token: await p.token({ sub: other, role: 'citizen' }) }))).status).toBe(200);
    expect(await rawAdapters().reservations.reservedAmong([victim])).toEqual(new Set([victim]));
  });
});
