import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseKeyring, projectPseudonym } from '../../functions/domain/shared/citizen-key.js';
import { rawAdapters } from '../../functions/adapters/index.js';
import { createTaskForDelivery, nonResponders, taskStatuses } from '../../functions/domain/letters/form-tasks.js';
import { syntheticNins } from '../../functions/domain/lists/nin-generator.js';
import { startTestPlatform, type TestPlatform } from '../setup/platform.js';

let p: TestPlatform;
beforeAll(async () => {
  p = await startTestPlatform({ pollers: false });
});
afterAll(async () => {
  await p?.stop();
});

const ola = { sub: 'ola', role: 'researcher', org: 'uio' } as const;
const su = { sub: 'siri', role: 'superuser', org: 'uio' } as const;
const [anne, bjorn, cato, dina] = syntheticNins(4, 7_000) as [string, string, string, string];
const citizen = (nin: string) => ({ sub: nin, role: 'citizen' }) as const;

const questions = [
  { id: 'sleep', text: { nb: 'Hvor godt sover du?', nn: 'Kor godt søv du?', en: 'How well do you sleep?' }, type: 'scale', min: 1, max: 5, required: true },
  { id: 'coffee', text: { nb: 'Drikker du kaffe?' }, type: 'choice', options: ['ja', 'nei'], required: true },
  { id: 'comment', text: { nb: 'Kommentar' }, type: 'text' },
];

let projectId: string;
let formTaskId: string;
const now = () => new Date().toISOString();

describe('an internal form task, answered by citizens through the API', () => {
  it('is created by a researcher and carried by a form-task letter', async () => {
    projectId = (await p.as(ola).post('/projects', { title: 'Søvnstudien', organization: 'uio', allowedLinkDomains: ['skjema.example.org'] })).body.projectId;
    const bad = await p.as(ola).post(`/projects/${projectId}/form-tasks`, { title: 'X', form: { type: 'internal', questions: [{ id: 'q', text: { nb: 'Q' }, type: 'choice' }] } });
    expect(bad.status).toBe(400);
    const res = await p.as(ola).post(`/projects/${projectId}/form-tasks`, { title: 'Søvnskjema', form: { type: 'internal', questions }, deadlineDays: 14 });
    expect(res.status).toBe(201);
    formTaskId = res.body.formTaskId;
    const letter = await p.as(ola).post(`/projects/${projectId}/letters`, {
      title: 'Skjema',
      kind: 'form-task',
      formTaskId,
      content: { nb: { subject: 'Svar på søvnskjemaet', body: 'Hei! Svar her: {{taskLink}}' } },
    });
    expect(letter.status).toBe(201);
    expect(letter.body.formTaskId).toBe(formTaskId);
    const unknownTask = await p.as(ola).post(`/projects/${projectId}/letters`, { title: 'X', kind: 'form-task', formTaskId: 'frm_nope', content: { nb: { subject: 's', body: 'b' } } });
    expect(unknownTask.status).toBe(400);
  });

  it("appears in the citizen's tasks once delivered, in their language", async () => {
    await createTaskForDelivery(rawAdapters(), { nin: anne, projectId, formTaskId, deliveryId: 'dlv_1', language: 'nn', now: now() });
    await createTaskForDelivery(rawAdapters(), { nin: bjorn, projectId, formTaskId, deliveryId: 'dlv_2', language: 'nb', now: now() });
    // Delivered 20 days ago with a 14-day deadline: expired.
    await createTaskForDelivery(rawAdapters(), { nin: cato, projectId, formTaskId, deliveryId: 'dlv_3', language: 'nb', now: new Date(Date.now() - 20 * 86_400_000).toISOString() });
    const again = await createTaskForDelivery(rawAdapters(), { nin: anne, projectId, formTaskId, deliveryId: 'dlv_9', language: 'nb', now: now() });
    expect(again.created).toBe(false);
    expect(again.task.deliveryId).toBe('dlv_1');

    const tasks = await p.as(citizen(anne)).get('/citizen/tasks');
    expect(tasks.status).toBe(200);
    expect(tasks.body.items).toHaveLength(1);
    expect(tasks.body.items[0]).toMatchObject({ taskId: formTaskId, projectId, status: 'sent', type: 'internal', title: 'Søvnskjema' });
    expect(tasks.body.items[0].questions[0]).toMatchObject({ id: 'sleep', text: 'Kor godt søv du?', type: 'scale', min: 1, max: 5, required: true });
    expect(tasks.text).not.toContain(anne);
    expect((await p.as(citizen(dina)).get('/citizen/tasks')).body.items).toEqual([]);
  });

  it('refuses invalid answers with the fields, and writes nothing', async () => {
    const res = await p.as(citizen(anne)).post(`/citizen/tasks/${formTaskId}/answers`, { answers: { sleep: 9, coffee: 'kanskje', extra: 'x' } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(res.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['answers.coffee', 'answers.extra', 'answers.sleep']);
    const missing = await p.as(citizen(anne)).post(`/citizen/tasks/${formTaskId}/answers`, { answers: { comment: 'hei' } });
    expect(missing.status).toBe(400);
    expect((await p.as(ola).get(`/projects/${projectId}/form-tasks/${formTaskId}/responses`)).body.items).toEqual([]);
  });

  it('accepts a valid answer once, and refuses the second', async () => {
    const ok = await p.as(citizen(anne)).post(`/citizen/tasks/${formTaskId}/answers`, { answers: { sleep: 4, coffee: 'ja', comment: '=HYPERLINK("http://evil")' } });
    expect(ok.status).toBe(200);
    expect(ok.body.status).toBe('answered');
    const twice = await p.as(citizen(anne)).post(`/citizen/tasks/${formTaskId}/answers`, { answers: { sleep: 1, coffee: 'nei' } });
    expect(twice.status).toBe(409);
    expect(twice.body.error.code).toBe('TASK_ALREADY_ANSWERED');
  });

  it('refuses an answer after the deadline, and a task the citizen does not have', async () => {
    const late = await p.as(citizen(cato)).post(`/citizen/tasks/${formTaskId}/answers`, { answers: { sleep: 3, coffee: 'nei' } });
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('TASK_EXPIRED');
    const notMine = await p.as(citizen(dina)).post(`/citizen/tasks/${formTaskId}/answers`, { answers: { sleep: 3, coffee: 'nei' } });
    expect(notMine.status).toBe(404);
    expect(notMine.text).not.toContain(dina);
  });

  it("shows up in the researcher's responses and CSV export by pseudonym, formulas neutralised", async () => {
    const json = await p.as(ola).get(`/projects/${projectId}/form-tasks/${formTaskId}/responses`);
    expect(json.status).toBe(200);
    expect(json.body.items).toHaveLength(1);
    expect(json.body.items[0]).toMatchObject({ answers: { sleep: 4, coffee: 'ja', comment: '=HYPERLINK("http://evil")' }, language: 'nn' });
    expect(json.body.items[0].recipient).toMatch(/^v1:[A-Za-z0-9_-]{32}$/);
    const csv = await p.as(ola).get(`/projects/${projectId}/form-tasks/${formTaskId}/responses?format=csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const lines = csv.text.trim().split('\r\n');
    expect(lines[0]).toBe('recipient,answeredAt,language,sleep,coffee,comment');
    expect(lines[1]).toContain(`${json.body.items[0].recipient},`);
    expect(lines[1]).toContain(`,4,ja,"'=HYPERLINK(""http://evil"")"`);
    expect(csv.text).not.toContain(anne);
    // Research data: not for the superuser or operations.
    expect((await p.as(su).get(`/projects/${projectId}/form-tasks/${formTaskId}/responses`)).status).toBe(403);
    expect((await p.as({ sub: 'o', role: 'operations' }).get(`/projects/${projectId}/form-tasks/${formTaskId}/responses`)).status).toBe(403);
  });

  it("keeps each recipient's status so a reminder targets only the non-responders", async () => {
    const statuses = await taskStatuses(rawAdapters(), projectId, formTaskId, [anne, bjorn, cato, dina]);
    expect(Object.fromEntries([...statuses].map(([n, s]) => [[anne, bjorn, cato].indexOf(n), s]))).toEqual({ 0: 'answered', 1: 'sent', 2: 'expired' });
    expect(await nonResponders(rawAdapters(), projectId, formTaskId, [anne, bjorn, cato, dina])).toEqual(new Set([bjorn]));
  });

  it('audits the answer by keyed hash, never the national ID', async () => {
    const audit = await p.as(ola).get(`/projects/${projectId}/audit`);
    const answered = audit.body.items.find((e: { action: string }) => e.action === 'form_task.answered');
    // The project's pseudonym: the same one the responses carry, and no other project's.
    expect(answered.actor).toBe(`citizen:${projectPseudonym(anne, projectId, parseKeyring(p.env.CITIZEN_HASH_KEY!))}`);
    expect(audit.text).not.toContain(anne);
  });
});

describe('an external form task', () => {
  it('gives each recipient a link with an opaque token, never the national ID, that maps back to them', async () => {
    const res = await p.as(ola).post(`/projects/${projectId}/form-tasks`, { title: 'Nettskjema', form: { type: 'external', url: 'https://skjema.example.org/s/123?lang=nb' } });
    expect(res.status).toBe(201);
    const id = res.body.formTaskId;
    const a = await createTaskForDelivery(rawAdapters(), { nin: anne, projectId, formTaskId: id, deliveryId: 'dlv_a', language: 'nb', now: now() });
    const b = await createTaskForDelivery(rawAdapters(), { nin: bjorn, projectId, formTaskId: id, deliveryId: 'dlv_b', language: 'nb', now: now() });
    expect(a.link).toMatch(/^https:\/\/skjema\.example\.org\/s\/123\?lang=nb&token=[A-Za-z0-9_-]{32}$/);
    expect(a.link).not.toBe(b.link);
    expect(a.link).not.toContain(anne);
    const token = new URL(a.link!).searchParams.get('token')!;
    const found = await rawAdapters().citizenTasks.findByToken(token);
    expect(found?.nin).toBe(anne);
    const tasks = await p.as(citizen(anne)).get('/citizen/tasks');
    expect(tasks.body.items.find((x: { formTaskId: string }) => x.formTaskId === id)).toMatchObject({ type: 'external', link: a.link });
    const answer = await p.as(citizen(anne)).post(`/citizen/tasks/${id}/answers`, { answers: {} });
    expect(answer.status).toBe(409);
    expect(answer.body.error.code).toBe('TASK_EXTERNAL');
  });

  it('is checked as a link of the letter that carries it', async () => {
    const ft = await p.as(ola).post(`/projects/${projectId}/form-tasks`, { title: 'Feil domene', form: { type: 'external', url: 'https://forms.elsewhere.example/x' } });
    const letter = await p
      .as(ola)
      .post(`/projects/${projectId}/letters`, { title: 'L', kind: 'form-task', formTaskId: ft.body.formTaskId, content: { nb: { subject: 'S', body: 'Svar her: {{taskLink}}' } } });
    const check = await p.as(ola).post(`/projects/${projectId}/letters/${letter.body.letterId}/check`);
    expect(check.body.findings).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'LINK_DOMAIN_NOT_ALLOWED', link: 'https://forms.elsewhere.example/x' })]));
  });
});
