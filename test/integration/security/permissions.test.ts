import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawAdapters } from '../../../functions/adapters/index.js';
import { createTaskForDelivery } from '../../../functions/domain/letters/form-tasks.js';
import { syntheticNins } from '../../../functions/domain/lists/nin-generator.js';
import { apiRoutes, routeKey } from '../../../functions/handlers/routes.js';
import { request, startTestPlatform, type Identity, type TestPlatform } from '../../setup/platform.js';

/**
 * The permission matrix over EVERY route in `apiRoutes` (a route without a row fails the test) ×
 * every kind of caller, plus an unauthenticated call (401). "A" = allowed: the request got past
 * authorisation (any status but 401/403/404; a 400/409 from a minimal body or the resource's state
 * still proves the gate let the caller through). 403 = this role may not; "H" (hidden) = the caller
 * may not know the project exists, so 403 or 404 (API.md allows either) — and nothing of the project
 * may appear in the answer.
 *
 * Fixtures are real: a project with a letter, an internal form task, a list and a round, and a
 * form task delivered to the citizen, so that every path resolves.
 */
let p: TestPlatform;
beforeAll(async () => {
  // Pollers off: release and test-send only enqueue; no letter needs to reach anyone here.
  p = await startTestPlatform({ pollers: false });
});
afterAll(async () => {
  await p?.stop();
});

const [citizenNin, testNin] = syntheticNins(2, 31_000) as [string, string];
const who = {
  member: { sub: 'ola', role: 'researcher', org: 'uio' },
  nonMember: { sub: 'per', role: 'researcher', org: 'uio' },
  foreignResearcher: { sub: 'fred', role: 'researcher', org: 'ntnu' },
  superuser: { sub: 'siri', role: 'superuser', org: 'uio' },
  foreignSuperuser: { sub: 'sven', role: 'superuser', org: 'ntnu' },
  operations: { sub: 'otto', role: 'operations' },
  citizen: { sub: citizenNin, role: 'citizen' },
} satisfies Record<string, Identity>;
type Who = keyof typeof who;
const CALLERS = Object.keys(who) as Who[];

type Outcome = 'A' | 'H' | 401 | 403;
const A = 'A' as const;
const H = 'H' as const;
/** Expected outcome per caller, in the order of CALLERS: member, nonMember, foreignResearcher, superuser, foreignSuperuser, operations, citizen. */
type Row = readonly [Outcome, Outcome, Outcome, Outcome, Outcome, Outcome, Outcome];

// The kinds of access, as API.md states them; named so the table below reads as the contract.
//                        member nonMem foreignR super  fSuper  ops    citizen
const anyResearcher: Row = [A, A, A, 403, 403, 403, 403];
const anyStaff: Row = [A, A, A, A, A, A, 403];
const read: Row = [A, H, H, A, H, A, 403];
const edit: Row = [A, H, H, 403, 403, 403, 403];
const review: Row = [403, 403, 403, A, H, 403, 403];
const check: Row = [A, H, H, A, H, 403, 403];
const pause: Row = [403, 403, 403, A, H, A, 403];
const opsOnly: Row = [403, 403, 403, 403, 403, A, 403];
/** The second pair of eyes on a failover (georedundant stages): operations or any superuser. */
const opsOrSuperuser: Row = [403, 403, 403, A, A, A, 403];
const responses: Row = [A, H, H, 403, 403, 403, 403];
const citizenOnly: Row = [403, 403, 403, 403, 403, 403, A];
/** National services' callbacks: no role gets in with a JWT; only the agreed API key does (tested in test/integration/national). */
/** Cancel: the project's researchers, its organisation's superusers, operations. */
const cancel: Row = [A, H, H, A, H, A, 403];
/** Public routes (no bearer token; see ApiRoute.public): anyone, a token changes nothing. */
const everyone: Row = [A, A, A, A, A, A, A];

interface Fixture {
  projectId: string;
  letterId: string;
  formTaskId: string;
  listId: string;
  roundId: string;
}
const f: Fixture = { projectId: '', letterId: '', formTaskId: '', listId: '', roundId: '' };

const content = { nb: { subject: 'Hei', body: 'Tekst uten lenker' }, nn: { subject: 'Hei', body: 'Tekst utan lenkjer' } };
const questions = [{ id: 'q1', text: { nb: 'Hvordan har du det?' }, type: 'text' }];

interface Case {
  readonly expect: Row;
  /** The request body; a function when it depends on the caller (e.g. their organisation). */
  readonly body?: unknown; // unknown already covers (id: Identity) => unknown
  /** The route needs no token: an anonymous call gets past the gate too (never 401/403). */
  readonly public?: true;
}

/** One row per route, keyed like `apiRoutes` ("METHOD /path"). */
const TABLE: Record<string, Case> = {
  'POST /projects': { expect: anyResearcher, body: (id: Identity) => ({ title: 'Ny', organization: id.org ?? 'uio' }) },
  'GET /projects': { expect: anyStaff },
  'GET /projects/{projectId}': { expect: read },
  'POST /projects/{projectId}/submit': { expect: edit },
  'POST /projects/{projectId}/approve': { expect: review, body: { comment: 'ok' } },
  'POST /projects/{projectId}/reject': { expect: review, body: { comment: 'nei' } },
  'POST /projects/{projectId}/pause': { expect: pause, body: { reason: 'test' } },
  'POST /projects/{projectId}/resume': { expect: opsOnly },
  'POST /projects/{projectId}/members': { expect: edit, body: { sub: 'nina' } },
  'PUT /projects/{projectId}/settings': { expect: review, body: { frequencyCap: 3 } },
  'POST /projects/{projectId}/settings/approve': { expect: review, body: { minors: 'exclude' } },
  'PUT /projects/{projectId}/link-domains': { expect: edit, body: { allowedLinkDomains: [] } },
  'GET /projects/{projectId}/audit': { expect: read },
  'GET /projects/{projectId}/audit/verify': { expect: read },
  'GET /projects/{projectId}/checklist': { expect: read },
  'POST /projects/{projectId}/letters': { expect: edit, body: { title: 'L2', kind: 'letter', content } },
  'GET /projects/{projectId}/letters': { expect: read },
  'GET /projects/{projectId}/letters/{letterId}': { expect: read },
  'PUT /projects/{projectId}/letters/{letterId}': { expect: edit, body: { content } },
  'POST /projects/{projectId}/letters/{letterId}/check': { expect: check },
  'POST /projects/{projectId}/letters/{letterId}/approve': { expect: review, body: { version: 1 } },
  'POST /projects/{projectId}/form-tasks': { expect: edit, body: { title: 'F2', form: { type: 'internal', questions } } },
  'GET /projects/{projectId}/form-tasks': { expect: read },
  'GET /projects/{projectId}/form-tasks/{formTaskId}': { expect: read },
  'GET /projects/{projectId}/form-tasks/{formTaskId}/responses': { expect: responses },
  'GET /citizen/tasks': { expect: citizenOnly },
  'POST /citizen/tasks/{taskId}/answers': { expect: citizenOnly, body: { answers: { q1: 'bra' } } },
  'POST /projects/{projectId}/recipient-lists': { expect: edit, body: { recipients: [{ nin: testNin }] } },
  'POST /projects/{projectId}/recipient-lists/upload-url': { expect: edit },
  'GET /projects/{projectId}/recipient-lists': { expect: read },
  'GET /projects/{projectId}/recipient-lists/{listId}': { expect: read },
  'PUT /citizen/reservations/research': { expect: citizenOnly },
  'DELETE /citizen/reservations/research': { expect: citizenOnly },
  'GET /citizen/reservations': { expect: citizenOnly },
  'POST /citizen/projects/{projectId}/withdraw': { expect: citizenOnly },
  'POST /projects/{projectId}/rounds/{roundId}/release': { expect: edit },
  'POST /projects/{projectId}/rounds/{roundId}/confirm-canary': { expect: check },
  'POST /projects/{projectId}/letters/{letterId}/test-send': { expect: edit, body: { nins: [testNin] } },
  // A deliberately incomplete body (400): proves the gate without halting the namespace.
  'POST /operations/halt': { expect: opsOnly, body: {} },
  'POST /operations/resume': { expect: opsOnly },
  'GET /operations/status': { expect: opsOnly },
  'GET /projects/{projectId}/sent-since': { expect: opsOnly },
  'POST /operations/contacts/lookup': { expect: opsOnly, body: { nin: testNin } },
  'POST /operations/redrive': { expect: opsOnly, body: {} },
  // Single-region here: past the gate, the body is refused (400) and confirming is NOT_GEOREDUNDANT (409).
  'POST /operations/failover': { expect: opsOnly, body: {} },
  'POST /operations/failover/{failoverId}/confirm': { expect: opsOrSuperuser },
  // Single-region here: past the gate, listing is NOT_GEOREDUNDANT (409).
  'GET /operations/failovers': { expect: opsOnly },
  'GET /citizen/inbox': { expect: citizenOnly },
  'PUT /registry/reservations': { expect: opsOnly, body: { nins: [testNin], reserved: false } },
  'PUT /registry/population': { expect: opsOnly, body: { nins: [testNin] } },
  'PUT /registry/outage': { expect: opsOnly, body: { registry: 'contact', down: false } },
  // Called by the national services with their API key, not a token: public routes whose handler
  // authenticates the key; a body that is not a callback is refused as such (400), whoever sends it.
  'PUT /api/MessageToCitizen': { expect: everyone, public: true, body: {} },
  'PUT /api/PersonvernInnstilling': { expect: everyone, public: true, body: {} },
  'POST /projects/{projectId}/rounds': { expect: edit, body: () => ({ letterId: f.letterId, listId: f.listId }) },
  'GET /projects/{projectId}/rounds': { expect: read },
  'GET /projects/{projectId}/rounds/{roundId}': { expect: read },
  'POST /projects/{projectId}/rounds/{roundId}/override': { expect: review, body: { reason: 'overstyrt etter vurdering' } },
  'POST /projects/{projectId}/rounds/{roundId}/cancel': { expect: cancel },
  // Authenticated by its HMAC signature, not a token: an unsigned empty body is refused as such (400).
  'POST /form-callbacks/{formTaskId}': { expect: everyone, public: true, body: {} },
  'GET /operations/statistics': { expect: opsOnly },
  'GET /openapi.json': { expect: everyone, public: true },
  'GET /projects/{projectId}/rounds/{roundId}/preview': { expect: read },
  'GET /projects/{projectId}/rounds/{roundId}/report': { expect: read },
};

const pathOf = (template: string): string =>
  template
    .replace('{projectId}', f.projectId)
    .replace('{letterId}', f.letterId)
    .replace('{formTaskId}', f.formTaskId)
    .replace('{taskId}', f.formTaskId)
    .replace('{listId}', f.listId)
    .replace('{roundId}', f.roundId)
    // Single-region here: confirming is NOT_GEOREDUNDANT (409) before any failover is looked up.
    .replace('{failoverId}', 'fo-permissions');

const call = (id: Identity | undefined, method: string, path: string, body: unknown) => {
  if (!id) {
    const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
    return request(`${p.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  }
  const c = p.as(id);
  switch (method) {
    case 'GET':
      return c.get(path);
    case 'DELETE':
      return c.delete(path);
    case 'PUT':
      return c.put(path, body);
    default:
      return c.post(path, body);
  }
};

describe('the permission matrix over every route', () => {
  beforeAll(async () => {
    const member = p.as(who.member);
    const project = await member.post('/projects', { title: 'Hemmelig matrise', organization: 'uio' });
    expect(project.status, project.text).toBe(201);
    f.projectId = project.body.projectId;
    const ft = await member.post(`/projects/${f.projectId}/form-tasks`, { title: 'Skjema', form: { type: 'internal', questions } });
    expect(ft.status, ft.text).toBe(201);
    f.formTaskId = ft.body.formTaskId;
    const letter = await member.post(`/projects/${f.projectId}/letters`, { title: 'L', kind: 'letter', content });
    expect(letter.status, letter.text).toBe(201);
    f.letterId = letter.body.letterId;
    const list = await member.post(`/projects/${f.projectId}/recipient-lists`, `nin\n${syntheticNins(3, 31_100).join('\n')}\n`, 'text/csv');
    expect(list.status, list.text).toBe(201);
    f.listId = list.body.listId;
    const round = await member.post(`/projects/${f.projectId}/rounds`, { letterId: f.letterId, listId: f.listId });
    expect(round.status, round.text).toBe(201);
    f.roundId = round.body.roundId;
    // The citizen has the form task, as if it had been delivered to them.
    await createTaskForDelivery(rawAdapters(), { nin: citizenNin, projectId: f.projectId, formTaskId: f.formTaskId, deliveryId: 'dlv_perm', language: 'nb', now: new Date().toISOString() });
  });

  it('has exactly one row per route of apiRoutes (a new route without a row fails here)', () => {
    const keys = apiRoutes.map(routeKey).sort();
    expect(Object.keys(TABLE).sort()).toEqual(keys);
  });

  for (const route of apiRoutes) {
    const key = routeKey(route);
    const row = TABLE[key];
    const label = row ? CALLERS.map((c, i) => `${c}=${row.expect[i]}`).join(' ') : 'NO ROW';
    it(`${key}${route.localOnly ? ' (local only)' : ''}: anonymous=${route.public ? 'A' : 401} ${label}`, async () => {
      expect(row, `no permission row for ${key}`).toBeDefined();
      // routes.ts (what the stack leaves without authorizer) and this table agree on what is public.
      expect(Boolean(row!.public), `public in routes.ts vs the table for ${key}`).toBe(Boolean(route.public));
      const path = pathOf(route.path);
      expect(path).not.toMatch(/\{\w+\}/);
      const bodyFor = (id: Identity | undefined) => (typeof row!.body === 'function' ? (row!.body as (i: Identity) => unknown)(id ?? who.member) : row!.body);

      const anon = await call(undefined, route.method, path, bodyFor(undefined));
      if (route.public) {
        expect([401, 403, 404, 500], `anonymous → ${anon.text}`).not.toContain(anon.status);
      } else {
        expect(anon.status, `anonymous → ${anon.text}`).toBe(401);
        expect(anon.body?.error?.code).toBe('UNAUTHENTICATED');
      }

      for (const [i, caller] of CALLERS.entries()) {
        const expected = row!.expect[i]!;
        const res = await call(who[caller], route.method, path, bodyFor(who[caller]));
        const why = `${caller} → ${res.status} ${res.text.slice(0, 300)}`;
        expect(res.status, why).not.toBe(500);
        if (expected === 'A') {
          expect([401, 403, 404], why).not.toContain(res.status);
        } else {
          if (expected === 'H') expect([403, 404], why).toContain(res.status);
          else expect(res.status, why).toBe(expected);
          expect(typeof res.body?.error?.code, why).toBe('string');
          // A refusal discloses nothing of the project.
          expect(res.text, why).not.toContain('Hemmelig matrise');
        }
        // Nobody's national ID comes back in an answer to someone else (the citizen's own inbox aside).
        if (caller !== 'citizen') expect(res.text, why).not.toContain(citizenNin);
      }
    });
  }

  it('refuses a token whose role is not one of the four, or a staff token without an organisation', async () => {
    const path = `/projects/${f.projectId}`;
    const unknownRole = await p.issuer.sign({ sub: 'x', role: 'admin', org: 'uio' });
    const noOrg = await p.issuer.sign({ sub: 'ola', role: 'researcher' });
    for (const token of [unknownRole, noOrg]) {
      const res = await request(`${p.url}${path}`, { method: 'GET', headers: { authorization: `Bearer ${token}` } });
      expect(res.status, res.text).toBe(401);
      expect(res.text).not.toContain('Hemmelig matrise');
    }
  });
});
