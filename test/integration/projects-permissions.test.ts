import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type Identity, type TestPlatform } from '../setup/platform.js';

/**
 * The permission matrix: every project, letter and form-task endpoint × every role × own/foreign
 * organisation × member/non-member. "allowed" means the request got past authorisation (it may
 * still be refused for the project's state, 409, or its input, 400); otherwise the exact status:
 * 404 for callers who may not know the project exists, 403 for a role that may not do this.
 */
let p: TestPlatform;
beforeAll(async () => {
  p = await startTestPlatform({ pollers: false });
});
afterAll(async () => {
  await p?.stop();
});

const who = {
  member: { sub: 'ola', role: 'researcher', org: 'uio' },
  nonMember: { sub: 'per', role: 'researcher', org: 'uio' },
  foreignResearcher: { sub: 'fred', role: 'researcher', org: 'ntnu' },
  /** Added as a member, but of another organisation: membership gives them nothing. */
  foreignMember: { sub: 'fiona', role: 'researcher', org: 'ntnu' },
  superuser: { sub: 'siri', role: 'superuser', org: 'uio' },
  foreignSuperuser: { sub: 'sven', role: 'superuser', org: 'ntnu' },
  operations: { sub: 'otto', role: 'operations' },
  citizen: { sub: '01017012345', role: 'citizen' },
} satisfies Record<string, Identity>;
type Who = keyof typeof who;
type Outcome = 'allowed' | 403 | 404;

const A = 'allowed' as const;
/** Expected outcome per kind of endpoint, per caller. */
const MATRIX: Record<string, Record<Who, Outcome>> = {
  read: { member: A, nonMember: 404, foreignResearcher: 404, foreignMember: 404, superuser: A, foreignSuperuser: 404, operations: A, citizen: 403 },
  edit: { member: A, nonMember: 404, foreignResearcher: 404, foreignMember: 404, superuser: 403, foreignSuperuser: 403, operations: 403, citizen: 403 },
  review: { member: 403, nonMember: 403, foreignResearcher: 403, foreignMember: 403, superuser: A, foreignSuperuser: 404, operations: 403, citizen: 403 },
  check: { member: A, nonMember: 404, foreignResearcher: 404, foreignMember: 404, superuser: A, foreignSuperuser: 404, operations: 403, citizen: 403 },
  pause: { member: 403, nonMember: 403, foreignResearcher: 403, foreignMember: 403, superuser: A, foreignSuperuser: 404, operations: A, citizen: 403 },
  resume: { member: 403, nonMember: 403, foreignResearcher: 403, foreignMember: 403, superuser: 403, foreignSuperuser: 403, operations: A, citizen: 403 },
  responses: { member: A, nonMember: 404, foreignResearcher: 404, foreignMember: 404, superuser: 403, foreignSuperuser: 403, operations: 403, citizen: 403 },
};

let projectId = '';
let letterId = '';
let formTaskId = '';
const content = { nb: { subject: 'Hei', body: 'Tekst uten lenker' }, nn: { subject: 'Hei', body: 'Tekst utan lenkjer' } };

interface Endpoint {
  readonly method: 'get' | 'post' | 'put';
  readonly path: () => string;
  readonly body?: unknown;
  readonly kind: keyof typeof MATRIX;
}
const P = () => `/projects/${projectId}`;
const endpoints: Record<string, Endpoint> = {
  'GET /projects/{id}': { method: 'get', path: P, kind: 'read' },
  'GET …/audit': { method: 'get', path: () => `${P()}/audit`, kind: 'read' },
  'GET …/checklist': { method: 'get', path: () => `${P()}/checklist`, kind: 'read' },
  'GET …/letters': { method: 'get', path: () => `${P()}/letters`, kind: 'read' },
  'GET …/letters/{id}': { method: 'get', path: () => `${P()}/letters/${letterId}`, kind: 'read' },
  'GET …/form-tasks': { method: 'get', path: () => `${P()}/form-tasks`, kind: 'read' },
  'GET …/form-tasks/{id}': { method: 'get', path: () => `${P()}/form-tasks/${formTaskId}`, kind: 'read' },
  'POST …/members': { method: 'post', path: () => `${P()}/members`, body: { sub: 'nina' }, kind: 'edit' },
  'POST …/letters': { method: 'post', path: () => `${P()}/letters`, body: { title: 'L', kind: 'letter', content }, kind: 'edit' },
  'PUT …/letters/{id}': { method: 'put', path: () => `${P()}/letters/${letterId}`, body: { content }, kind: 'edit' },
  'POST …/form-tasks': { method: 'post', path: () => `${P()}/form-tasks`, body: { title: 'F', form: { type: 'external', url: 'https://example.org/f' } }, kind: 'edit' },
  'POST …/submit': { method: 'post', path: () => `${P()}/submit`, kind: 'edit' },
  'POST …/letters/{id}/check': { method: 'post', path: () => `${P()}/letters/${letterId}/check`, kind: 'check' },
  'POST …/approve': { method: 'post', path: () => `${P()}/approve`, kind: 'review' },
  'POST …/reject': { method: 'post', path: () => `${P()}/reject`, body: { comment: 'nei' }, kind: 'review' },
  'POST …/letters/{id}/approve': { method: 'post', path: () => `${P()}/letters/${letterId}/approve`, body: { version: 1 }, kind: 'review' },
  'PUT …/settings': { method: 'put', path: () => `${P()}/settings`, body: { frequencyCap: 2 }, kind: 'review' },
  'POST …/pause': { method: 'post', path: () => `${P()}/pause`, body: { reason: 'test' }, kind: 'pause' },
  'POST …/resume': { method: 'post', path: () => `${P()}/resume`, kind: 'resume' },
  'GET …/form-tasks/{id}/responses': { method: 'get', path: () => `${P()}/form-tasks/${formTaskId}/responses`, kind: 'responses' },
};

const call = (id: Identity, e: Endpoint) => {
  const c = p.as(id);
  return e.method === 'get' ? c.get(e.path()) : c[e.method](e.path(), e.body);
};

describe('the permission matrix', () => {
  beforeAll(async () => {
    projectId = (await p.as(who.member).post('/projects', { title: 'Matrise', organization: 'uio' })).body.projectId;
    await p.as(who.member).post(`${P()}/members`, { sub: 'fiona' });
    letterId = (await p.as(who.member).post(`${P()}/letters`, { title: 'L', kind: 'letter', content })).body.letterId;
    formTaskId = (await p.as(who.member).post(`${P()}/form-tasks`, { title: 'F', form: { type: 'external', url: 'https://example.org/f' } })).body.formTaskId;
    // In review, so approve/reject are meaningful; a fresh project per row would hide nothing more.
    await p.as(who.member).post(`${P()}/submit`);
  });

  for (const [name, endpoint] of Object.entries(endpoints)) {
    it(`${name}: ${Object.entries(MATRIX[endpoint.kind]!)
      .map(([w, o]) => `${w}=${o}`)
      .join(' ')}`, async () => {
      for (const [w, expected] of Object.entries(MATRIX[endpoint.kind]!) as [Who, Outcome][]) {
        const res = await call(who[w], endpoint);
        if (expected === 'allowed') expect([401, 403, 404], `${w} → ${res.status} ${res.text}`).not.toContain(res.status);
        else expect(res.status, `${w} → ${res.text}`).toBe(expected);
        expect(res.text).not.toContain(who.citizen.sub);
      }
    });
  }

  it('lists only what each caller may see', async () => {
    const ids = async (w: Who) => ((await p.as(who[w]).get('/projects')).body.items ?? []).map((x: { projectId: string }) => x.projectId);
    expect(await ids('member')).toContain(projectId);
    expect(await ids('superuser')).toContain(projectId);
    expect(await ids('operations')).toContain(projectId);
    for (const w of ['nonMember', 'foreignResearcher', 'foreignMember', 'foreignSuperuser'] as const) expect(await ids(w)).not.toContain(projectId);
    expect((await p.as(who.citizen).get('/projects')).status).toBe(403);
  });

  it('an unknown project is 404 for everyone who could have seen one', async () => {
    for (const w of ['member', 'superuser', 'operations'] as const) expect((await p.as(who[w]).get('/projects/prj_nope')).status).toBe(404);
  });
});
