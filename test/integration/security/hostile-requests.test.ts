import fc from 'fast-check';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticNins } from '../../../functions/domain/lists/nin-generator.js';
import { apiRoutes, areas, routeKey, type ApiRoute } from '../../../functions/handlers/routes.js';
import type { Route } from '../../../functions/shared/http.js';
import { startTestPlatform, type Identity, type TestPlatform } from '../../setup/platform.js';

/**
 * Hostile requests through the HTTP API: random and garbage JSON bodies for every POST/PUT route,
 * deeply nested JSON, huge strings, wrong types, prototype-pollution keys, and hostile IDs in
 * paths. Each gets a 4xx with a machine-readable code (or a 2xx when it happens to be valid),
 * never a 500, and a refused write leaves nothing behind.
 */
let p: TestPlatform;
beforeAll(async () => {
  // Pollers off: a fuzzed body that happens to be valid must not start deliveries.
  p = await startTestPlatform({ pollers: false });
});
afterAll(async () => {
  await p?.stop();
});

const [citizenNin, listNin] = syntheticNins(2, 32_000) as [string, string];
const who = {
  member: { sub: 'ola', role: 'researcher', org: 'uio' },
  superuser: { sub: 'siri', role: 'superuser', org: 'uio' },
  operations: { sub: 'otto', role: 'operations' },
  citizen: { sub: citizenNin, role: 'citizen' },
} satisfies Record<string, Identity>;

const f = { projectId: '', letterId: '', formTaskId: '', listId: '', roundId: '' };
const content = { nb: { subject: 'Hei', body: 'Tekst uten lenker' } };

/** The caller whose role the route admits, so the hostile body reaches the parser and the domain. */
const callerOf = (route: ApiRoute): Identity => {
  const path = route.path;
  if (path.startsWith('/operations') || path.startsWith('/registry') || path.endsWith('/resume')) return who.operations;
  if (path.startsWith('/citizen')) return who.citizen;
  if (/\/(approve|reject|settings|override|pause)$/.test(path)) return who.superuser;
  return who.member;
};

const pathOf = (template: string, override?: string): string =>
  template.replace(/\{(\w+)\}/g, (_, name: string) => {
    if (override !== undefined) return override;
    switch (name) {
      case 'projectId':
        return f.projectId;
      case 'letterId':
        return f.letterId;
      case 'formTaskId':
      case 'taskId':
        return f.formTaskId;
      case 'listId':
        return f.listId;
      default:
        return f.roundId;
    }
  });

/** Raw HTTP, so that bodies can be any bytes and paths are sent exactly as written (fetch would normalise `..`). */
const raw = async (method: string, path: string, identity: Identity | undefined, body?: string | Buffer, contentType = 'application/json') => {
  const url = new URL(p.url);
  const headers: Record<string, string | number> = {};
  if (identity) headers.authorization = `Bearer ${await p.token(identity)}`;
  if (body !== undefined) {
    headers['content-type'] = contentType;
    headers['content-length'] = Buffer.byteLength(body);
  }
  return new Promise<{ status: number; text: string; json: any }>((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        let json: any;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, text, json });
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
};

/** 2xx, or a 4xx with the API's error shape; never a 5xx. */
const expectHandled = (res: { status: number; text: string; json: any }, what: string) => {
  const why = `${what} → ${res.status} ${res.text.slice(0, 300)}`;
  expect(res.status, why).toBeLessThan(500);
  if (res.status >= 300) {
    expect(res.status, why).toBeGreaterThanOrEqual(400);
    expect(typeof res.json?.error?.code, why).toBe('string');
    expect(res.json.error.code, why).toMatch(/^[A-Z][A-Z0-9_]+$/);
    expect(typeof res.json.error.message, why).toBe('string');
  }
};

const writeRoutes = apiRoutes.filter((r) => r.method === 'POST' || r.method === 'PUT');
const paramRoutes = apiRoutes.filter((r) => r.path.includes('{'));

/** What a project holds, to prove a refused write left nothing behind. */
const snapshot = async () => {
  const c = p.as(who.member);
  const [projects, letters, tasks, lists, rounds, letter] = await Promise.all([
    c.get('/projects'),
    c.get(`/projects/${f.projectId}/letters`),
    c.get(`/projects/${f.projectId}/form-tasks`),
    c.get(`/projects/${f.projectId}/recipient-lists`),
    c.get(`/projects/${f.projectId}/rounds`),
    c.get(`/projects/${f.projectId}/letters/${f.letterId}`),
  ]);
  return {
    projects: projects.body.items.length,
    letters: letters.body.items.length,
    formTasks: tasks.body.items.length,
    lists: lists.body.items.length,
    rounds: rounds.body.items.length,
    letterVersion: letter.body.latestVersion,
  };
};

const FIELD_NAMES = [
  'title',
  'organization',
  'kind',
  'content',
  'nb',
  'subject',
  'body',
  'form',
  'questions',
  'nins',
  'nin',
  'reason',
  'comment',
  'version',
  'recipients',
  'objectKey',
  'letterId',
  'listId',
  'answers',
  'sub',
  'frequencyCap',
  'reserved',
  'canary',
  'size',
  'formTaskId',
  'allowedLinkDomains',
  'checklist',
];

/** Garbage of every kind: arbitrary JSON, non-JSON text, known field names with wrong types, pollution keys. */
const hostileBody: fc.Arbitrary<string> = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc
    .dictionary(fc.constantFrom(...FIELD_NAMES), fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.string({ unit: 'grapheme', maxLength: 50 }), fc.constant(null), fc.integer(), fc.constant([])))
    .map((o) => JSON.stringify(o)),
  fc
    .constantFrom('__proto__', 'constructor', 'prototype')
    .chain((k) => fc.jsonValue({ maxDepth: 2 }).map((v) => `{"${k}": {"polluted": true, "prototype": {"polluted": true}}, "title": ${JSON.stringify(v)}}`)),
  fc.integer({ min: 1, max: 5_000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
  fc.integer({ min: 1, max: 5_000 }).map((n) => `{"title":${'{"a":'.repeat(n)}1${'}'.repeat(n)}}`),
);

describe('hostile request bodies', () => {
  /** Routes that take fields (a zod body); the others are actions that accept any or no JSON. */
  const takesFields = new Set<string>();
  beforeAll(async () => {
    for (const area of Object.keys(areas) as (keyof typeof areas)[]) {
      const mod = (await import(new URL(`../../../${areas[area]}`, import.meta.url).href)) as { routes: Record<string, Route> };
      for (const [key, r] of Object.entries(mod.routes)) if (r.options.body || r.options.textTypes) takesFields.add(key);
    }
    expect(takesFields.size).toBeGreaterThan(15);
    const member = p.as(who.member);
    f.projectId = (await member.post('/projects', { title: 'Fiendtlig', organization: 'uio' })).body.projectId;
    f.formTaskId = (await member.post(`/projects/${f.projectId}/form-tasks`, { title: 'F', form: { type: 'internal', questions: [{ id: 'q1', text: { nb: 'Q' }, type: 'text' }] } })).body.formTaskId;
    f.letterId = (await member.post(`/projects/${f.projectId}/letters`, { title: 'L', kind: 'letter', content })).body.letterId;
    f.listId = (await member.post(`/projects/${f.projectId}/recipient-lists`, { recipients: [{ nin: listNin }] })).body.listId;
    f.roundId = (await member.post(`/projects/${f.projectId}/rounds`, { letterId: f.letterId, listId: f.listId })).body.roundId;
    expect(f.roundId).toBeTruthy();
  });

  afterAll(() => {
    // The handlers run in this process: a polluted prototype would show here.
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).toBe(false);
  });

  // Every route gets its own property, so none is left to chance; a refused body must leave the
  // project exactly as it was (compared with the state after the last accepted write).
  for (const route of writeRoutes) {
    it(`${routeKey(route)} answers random garbage with a 4xx and a code (or a 2xx), never a 500, and a refusal writes nothing`, async () => {
      let last = await snapshot();
      await fc.assert(
        fc.asyncProperty(hostileBody, async (body) => {
          const res = await raw(route.method, pathOf(route.path), callerOf(route), body);
          expectHandled(res, `${routeKey(route)} ${body.slice(0, 120)}`);
          expect(({} as Record<string, unknown>).polluted).toBeUndefined();
          const now = await snapshot();
          if (res.status >= 400) expect(now, `${routeKey(route)} refused ${body.slice(0, 120)} but wrote`).toEqual(last);
          last = now;
        }),
        { numRuns: 12 },
      );
    });
  }

  it('leaves the namespace running: no fuzzed body halted dispatch', async () => {
    const status = await p.as(who.operations).get('/operations/status');
    if (status.body.halted) expect((await p.as(who.operations).post('/operations/resume')).status).toBe(200);
    expect(status.status).toBe(200);
  });

  it('answers hostile query strings on every GET route without a 500', async () => {
    const queries = [
      '?format=csv%00',
      '?format=' + 'x'.repeat(5_000),
      '?version=-1',
      '?version=1e309',
      '?version=__proto__',
      '?__proto__[polluted]=1&constructor[prototype][polluted]=1',
      '?live=%ZZ',
      '?format=csv&format=json',
    ];
    for (const route of apiRoutes.filter((r) => r.method === 'GET')) {
      for (const q of queries) {
        const res = await raw('GET', `${pathOf(route.path)}${q}`, callerOf(route));
        expectHandled(res, `GET ${route.path}${q.slice(0, 60)}`);
      }
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses the hand-picked hostile bodies on every write route without writing anything', async () => {
    const before = await snapshot();
    const deep = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
    const cases: [string, string][] = [
      ['deeply nested arrays (100,000)', `${'['.repeat(100_000)}${']'.repeat(100_000)}`],
      ['deeply nested objects in a field', `{"title":${deep(50_000)},"kind":"letter","content":{"nb":{"subject":"s","body":"b"}}}`],
      [
        'a 2 MB string where a short one belongs',
        JSON.stringify({ title: 'x'.repeat(2_000_000), organization: 'uio', kind: 'letter', content, reason: 'y'.repeat(2_000_000), comment: 'z'.repeat(2_000_000) }),
      ],
      ['wrong types everywhere', JSON.stringify({ title: 42, organization: ['uio'], kind: { a: 1 }, content: 'nb', nins: 'abc', reason: false, version: '1', recipients: {}, answers: [] })],
      ['__proto__ pollution', '{"__proto__":{"polluted":true,"isAdmin":true},"title":"x","organization":"uio"}'],
      ['constructor.prototype pollution', '{"constructor":{"prototype":{"polluted":true}},"title":"x"}'],
      ['truncated JSON', '{"title": "x", "content": {"nb": '],
      ['a JSON string, not an object', '"hei"'],
      ['null', 'null'],
      ['lone surrogates and NUL', '{"title":"\\ud800\\u0000x","reason":"\\udfff\\u0000"}'],
      ['binary garbage', Buffer.from([0xff, 0xfe, 0x00, 0x81, 0x7b, 0x22]).toString('latin1')],
    ];
    for (const route of writeRoutes) {
      for (const [name, body] of cases) {
        const res = await raw(route.method, pathOf(route.path), callerOf(route), body);
        expectHandled(res, `${routeKey(route)}: ${name}`);
        // None of these is a valid body for a route that takes fields.
        if (takesFields.has(routeKey(route))) expect(res.status, `${routeKey(route)}: ${name} → ${res.text.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
      }
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    expect(await snapshot()).toEqual(before);
  });

  it('refuses a body above the 10 MB limit with 413 PAYLOAD_TOO_LARGE', async () => {
    const before = await snapshot();
    const res = await raw(
      'POST',
      `/projects/${f.projectId}/letters`,
      who.member,
      JSON.stringify({ title: 'x', kind: 'letter', content: { nb: { subject: 's', body: 'x'.repeat(11 * 1024 * 1024) } } }),
    );
    expect(res.status).toBe(413);
    expect(res.json.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(await snapshot()).toEqual(before);
  });

  it('refuses a body of the wrong media type with a code', async () => {
    const res = await raw('POST', `/projects/${f.projectId}/letters`, who.member, '<letter/>', 'application/xml');
    expectHandled(res, 'xml letter');
    expect(res.status).toBe(415);
  });
});

describe('hostile IDs in paths', () => {
  const HOSTILE_IDS = [
    '..',
    '%2e%2e',
    '..%2F..%2Fetc%2Fpasswd',
    '%2E%2E%5C%2E%2E%5Cwindows',
    '.',
    'a'.repeat(5_000),
    // (Below Node's 16 KB header limit, where the server itself answers 431 before any handler.)
    encodeURIComponent('ø'.repeat(600)),
    encodeURIComponent('prøsjekt-😀-ǅ'),
    '%00',
    '%ZZ',
    '%F0%9F',
    '%C0%AE%C0%AE',
    encodeURIComponent('<script>alert(1)</script>'),
    encodeURIComponent("' OR '1'='1"),
    encodeURIComponent('{"S":"x"}'),
    encodeURIComponent('\u0000\u0007\u202e'),
    encodeURIComponent(' '),
    '__proto__',
    'constructor',
  ];

  it('answers every hostile ID in every path parameter with a 4xx and a code, never a 500', async () => {
    const before = await snapshot();
    for (const route of paramRoutes) {
      for (const id of HOSTILE_IDS) {
        const res = await raw(route.method, pathOf(route.path, id), callerOf(route), route.method === 'GET' || route.method === 'DELETE' ? undefined : '{}');
        expectHandled(res, `${route.method} ${route.path} with ${id.slice(0, 40)}`);
        expect(res.status, `${route.method} ${route.path} with ${id.slice(0, 40)} → ${res.text.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
      }
    }
    expect(await snapshot()).toEqual(before);
  });

  it('answers random IDs in random path positions with a 4xx (or, for the real fixtures, anything but a 500)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paramRoutes), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 300 }), async (route, id) => {
        const res = await raw(route.method, pathOf(route.path, encodeURIComponent(id)), callerOf(route), route.method === 'GET' || route.method === 'DELETE' ? undefined : '{}');
        expectHandled(res, `${route.method} ${route.path} with ${JSON.stringify(id)}`);
      }),
      { numRuns: 80 },
    );
  });
});
