import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawAdapters } from '../../functions/adapters/index.js';
import { signCallback } from '../../functions/domain/letters/form-callbacks.js';
import { createTaskForDelivery, nonResponders } from '../../functions/domain/letters/form-tasks.js';
import { syntheticNins } from '../../functions/domain/lists/nin-generator.js';
import { request, startTestPlatform, type ApiResponse, type TestPlatform } from '../setup/platform.js';

/**
 * External form completion through the API: the secret is shown once, callbacks are verified by
 * HMAC over the raw body within a 5-minute window, replays change nothing, and a completed task
 * leaves reminder rounds — the researcher sees how many completed, never who.
 */
let p: TestPlatform;
beforeAll(async () => {
  p = await startTestPlatform({ pollers: false });
});
afterAll(async () => {
  await p?.stop();
});

const ola = { sub: 'ola', role: 'researcher', org: 'uio' } as const;
const nins = syntheticNins(3, 52_000) as [string, string, string];
const [anne, bjorn, cato] = nins;

let projectId: string;
let formTaskId: string;
let otherFormTaskId: string;
let secret: string;
let otherSecret: string;
const tokens = new Map<string, string>();

const post = (path: string, raw: string, headers: Record<string, string> = {}): Promise<ApiResponse> =>
  request(`${p.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: raw });
const bodyFor = (token: string, at = new Date().toISOString()) => JSON.stringify({ token, status: 'completed', at });
const callback = (id: string, raw: string, key = secret) => post(`/form-callbacks/${id}`, raw, { 'x-signature': signCallback(key, raw) });
const completedCount = async () => (await p.as(ola).get(`/projects/${projectId}/form-tasks/${formTaskId}`)).body.completed;

describe('external form callbacks', () => {
  beforeAll(async () => {
    projectId = (await p.as(ola).post('/projects', { title: 'Skjemastudien', organization: 'uio', allowedLinkDomains: ['skjema.example.org'] })).body.projectId;
    const form = { type: 'external', url: 'https://skjema.example.org/s/123' };
    const created = await p.as(ola).post(`/projects/${projectId}/form-tasks`, { title: 'Spørreskjema', form });
    expect(created.status, created.text).toBe(201);
    formTaskId = created.body.formTaskId;
    secret = created.body.callbackSecret;
    const other = await p.as(ola).post(`/projects/${projectId}/form-tasks`, { title: 'Et annet', form });
    otherFormTaskId = other.body.formTaskId;
    otherSecret = other.body.callbackSecret;
    for (const [i, nin] of nins.entries()) {
      const d = await createTaskForDelivery(rawAdapters(), { nin, projectId, formTaskId, deliveryId: `dlv_${i}`, language: 'nb', now: new Date().toISOString() });
      tokens.set(nin, d.task.token!);
    }
  });

  it('returns the callback secret once, at creation, and never again', async () => {
    expect(secret).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(otherSecret).not.toBe(secret);
    const one = await p.as(ola).get(`/projects/${projectId}/form-tasks/${formTaskId}`);
    const all = await p.as(ola).get(`/projects/${projectId}/form-tasks`);
    for (const res of [one, all]) {
      expect(res.status).toBe(200);
      expect(res.text).not.toContain(secret);
      expect(res.text).not.toMatch(/callbackSecret|callbackSalt/);
    }
    expect(one.body.completed).toBe(0);
    const internal = await p.as(ola).post(`/projects/${projectId}/form-tasks`, { title: 'Intern', form: { type: 'internal', questions: [{ id: 'q', text: { nb: 'Q' }, type: 'text' }] } });
    expect(internal.status).toBe(201);
    expect(internal.body.callbackSecret).toBeUndefined();
  });

  it('refuses a missing, malformed or wrong signature with 401 BAD_SIGNATURE and changes nothing', async () => {
    const raw = bodyFor(tokens.get(anne)!);
    const cases: Record<string, string>[] = [
      {},
      { 'x-signature': 'sha256=' },
      { 'x-signature': signCallback(secret, raw).replace('sha256=', 'sha1=') },
      { 'x-signature': signCallback(otherSecret, raw) },
      { 'x-signature': signCallback(secret, raw + ' ') },
    ];
    for (const headers of cases) {
      const res = await post(`/form-callbacks/${formTaskId}`, raw, headers);
      expect(res.status, res.text).toBe(401);
      expect(res.body.error.code).toBe('BAD_SIGNATURE');
    }
    expect(await completedCount()).toBe(0);
  });

  it('answers 401 BAD_SIGNATURE for an unknown token, whatever the signature and whether the form task exists or not', async () => {
    const raw = bodyFor('no-such-token');
    const existing = await callback(formTaskId, raw);
    const missing = await callback('frm_doesnotexist', raw);
    const unsigned = await post(`/form-callbacks/${formTaskId}`, raw);
    for (const res of [existing, missing, unsigned]) {
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('BAD_SIGNATURE');
    }
    expect(existing.text).toBe(missing.text);
    // A real token under another form task's path is unknown there too.
    const crossed = await callback(otherFormTaskId, bodyFor(tokens.get(anne)!), otherSecret);
    expect(crossed.status).toBe(401);
    expect(crossed.text).toBe(missing.text);
  });

  it('refuses a signed callback more than 5 minutes away with 409 STALE_CALLBACK', async () => {
    for (const offset of [-6 * 60_000, 6 * 60_000]) {
      const res = await callback(formTaskId, bodyFor(tokens.get(anne)!, new Date(Date.now() + offset).toISOString()));
      expect(res.status, res.text).toBe(409);
      expect(res.body.error.code).toBe('STALE_CALLBACK');
    }
    expect(await completedCount()).toBe(0);
  });

  it('refuses a body that is not a completion (400) before looking at anything else', async () => {
    const notJson = await callback(formTaskId, '{"token":');
    expect(notJson.status).toBe(400);
    const wrong = await callback(formTaskId, JSON.stringify({ token: tokens.get(anne), status: 'started', at: new Date().toISOString() }));
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.code).toBe('VALIDATION_FAILED');
  });

  it('completes with 204 without any bearer token; replays and later reports for the same token change nothing', async () => {
    const raw = bodyFor(tokens.get(anne)!);
    const first = await callback(formTaskId, raw);
    expect(first.status, first.text).toBe(204);
    expect(first.text).toBe('');
    const replay = await callback(formTaskId, raw);
    expect(replay.status).toBe(204);
    const again = await callback(formTaskId, bodyFor(tokens.get(anne)!, new Date(Date.now() - 60_000).toISOString()));
    expect(again.status).toBe(204);
    // A citizen token along with it is simply ignored: the route authenticates by signature.
    const withToken = await post(`/form-callbacks/${formTaskId}`, raw, { 'x-signature': signCallback(secret, raw), authorization: `Bearer ${await p.token({ sub: anne, role: 'citizen' })}` });
    expect(withToken.status).toBe(204);
    expect(await completedCount()).toBe(1);

    const tasks = await p.as({ sub: anne, role: 'citizen' }).get('/citizen/tasks');
    expect(tasks.body.items.find((t: { formTaskId: string }) => t.formTaskId === formTaskId).status).toBe('answered');
    const audit = await p.as(ola).get(`/projects/${projectId}/audit`);
    const completions = (audit.body.items ?? audit.body).filter((e: { action: string }) => e.action === 'form_task.completed');
    expect(completions).toHaveLength(1);
    expect(JSON.stringify(completions)).not.toContain(anne);
  });

  it('takes a completed citizen out of reminder rounds', async () => {
    expect(await callback(formTaskId, bodyFor(tokens.get(cato)!))).toMatchObject({ status: 204 });
    expect(await completedCount()).toBe(2);
    expect([...(await nonResponders(rawAdapters(), projectId, formTaskId, nins))]).toEqual([bjorn]);

    const letter = await p.as(ola).post(`/projects/${projectId}/letters`, {
      title: 'Påminnelse',
      kind: 'form-task',
      formTaskId,
      content: { nb: { subject: 'Påminnelse', body: 'Hei! Svar her: {{taskLink}}' } },
    });
    expect(letter.status, letter.text).toBe(201);
    const list = await p.as(ola).post(`/projects/${projectId}/recipient-lists`, `nin\n${nins.join('\n')}\n`, 'text/csv');
    expect(list.body.accepted).toBe(3);
    const round = await p.as(ola).post(`/projects/${projectId}/rounds`, { letterId: letter.body.letterId, listId: list.body.listId, onlyNonResponders: true });
    expect(round.status, round.text).toBe(201);
    expect(round.body.preflight.eligible).toBe(1);
  });
});

describe('a rotation of the citizen hash key', () => {
  it('should keep verifying the callbacks of form tasks created before it (their secret stays the one shown at creation)', async () => {
    const before = process.env.CITIZEN_HASH_KEY!;
    const project = (await p.as(ola).post('/projects', { title: 'Rotasjon', organization: 'uio', allowedLinkDomains: ['skjema.example.org'] })).body.projectId;
    const created = await p.as(ola).post(`/projects/${project}/form-tasks`, { title: 'Før rotasjonen', form: { type: 'external', url: 'https://skjema.example.org/s/9' } });
    expect(created.status, created.text).toBe(201);
    const [nin] = syntheticNins(1, 52_900);
    const task = await createTaskForDelivery(rawAdapters(), {
      nin: nin!,
      projectId: project,
      formTaskId: created.body.formTaskId,
      deliveryId: 'dlv_rot',
      language: 'nb',
      now: new Date().toISOString(),
    });
    // The operator adds a version and makes it current; the old one stays live (lib/stateful-stack.ts).
    const old = before.trim().startsWith('{') ? (JSON.parse(before) as { keys: Record<string, string> }).keys : { v1: before };
    process.env.CITIZEN_HASH_KEY = JSON.stringify({ current: 'v9', keys: { ...old, v9: 'a-new-key-after-rotation-0123456789abcdef' } });
    try {
      const raw = bodyFor(task.task.token!);
      const res = await callback(created.body.formTaskId, raw, created.body.callbackSecret);
      expect(res.status, res.text).toBe(204);
      // A task created after the rotation gets a secret of its own that verifies too.
      const after = await p.as(ola).post(`/projects/${project}/form-tasks`, { title: 'Etter rotasjonen', form: { type: 'external', url: 'https://skjema.example.org/s/10' } });
      const [later] = syntheticNins(1, 52_950);
      const t2 = await createTaskForDelivery(rawAdapters(), {
        nin: later!,
        projectId: project,
        formTaskId: after.body.formTaskId,
        deliveryId: 'dlv_rot2',
        language: 'nb',
        now: new Date().toISOString(),
      });
      expect((await callback(after.body.formTaskId, bodyFor(t2.task.token!), after.body.callbackSecret)).status).toBe(204);
    } finally {
      process.env.CITIZEN_HASH_KEY = before;
    }
  });
});

describe('a completed rotation of the citizen hash key (the old version retired)', () => {
  it('should keep verifying callbacks signed with the secret the task was given: the secret is the task’s own, not derived from any hash key', async () => {
    const before = process.env.CITIZEN_HASH_KEY!;
    const project = (await p.as(ola).post('/projects', { title: 'Rotasjon fullført', organization: 'uio', allowedLinkDomains: ['skjema.example.org'] })).body.projectId;
    const created = await p.as(ola).post(`/projects/${project}/form-tasks`, { title: 'Før rotasjonen', form: { type: 'external', url: 'https://skjema.example.org/s/11' } });
    expect(created.status, created.text).toBe(201);
    const [nin] = syntheticNins(1, 52_970);
    const task = await createTaskForDelivery(rawAdapters(), {
      nin: nin!,
      projectId: project,
      formTaskId: created.body.formTaskId,
      deliveryId: 'dlv_rot3',
      language: 'nb',
      now: new Date().toISOString(),
    });
    // A new key is made current and, once the hashes made with them are rewritten, every older version goes.
    process.env.CITIZEN_HASH_KEY = JSON.stringify({ current: 'v7', keys: { v7: 'the-only-key-after-a-completed-rotation-0123' } });
    try {
      const res = await callback(created.body.formTaskId, bodyFor(task.task.token!), created.body.callbackSecret);
      expect(res.status, res.text).toBe(204);
      // And a wrong secret is still refused.
      const forged = await callback(created.body.formTaskId, bodyFor(task.task.token!), 'not-the-secret-the-task-was-given');
      expect(forged.status).toBe(401);
    } finally {
      process.env.CITIZEN_HASH_KEY = before;
    }
  });
});
