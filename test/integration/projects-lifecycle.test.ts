import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../functions/adapters/dynamo/keys.js';
import { startTestPlatform, type TestPlatform } from '../setup/platform.js';
import { startLinkTargets, type LinkTargets } from './letters/link-targets.js';
import { completeChecklist } from './checklist.js';

let p: TestPlatform;
let t: LinkTargets;
beforeAll(async () => {
  t = await startLinkTargets();
  p = await startTestPlatform({ pollers: false, env: { LINK_PROBE_TIMEOUT_MS: '500' } });
});
afterAll(async () => {
  await p?.stop();
  await t?.close();
});

const ola = { sub: 'ola', role: 'researcher', org: 'uio' } as const;
const kari = { sub: 'kari', role: 'researcher', org: 'uio' } as const;
const su = { sub: 'siri', role: 'superuser', org: 'uio', name: 'Siri Superbruker' } as const;
const foreignSu = { sub: 'sven', role: 'superuser', org: 'ntnu' } as const;
const ops = { sub: 'otto', role: 'operations' } as const;
// The same people holding a superuser role too: four-eyes is about the person, not the token.
const olaAsSu = { sub: 'ola', role: 'superuser', org: 'uio' } as const;
const kariAsSu = { sub: 'kari', role: 'superuser', org: 'uio' } as const;

const content = (link: string) => ({
  nb: { subject: 'Invitasjon til Hjertestudien', body: `Hei {{firstName}}!\nLes mer: ${link}\nVennlig hilsen` },
  nn: { subject: 'Invitasjon til Hjartestudien', body: `Hei {{firstName}}!\nLes meir: ${link}` },
});

const newProject = async (title = 'Hjertestudien') => {
  const res = await p.as(ola).post('/projects', { title, organization: 'uio', allowedLinkDomains: ['127.0.0.1'], contact: 'hjerte@uio.no' });
  expect(res.status).toBe(201);
  return res.body.projectId as string;
};

describe('a project through its whole lifecycle, with each refusal', () => {
  let projectId: string;
  let letterId: string;

  it('creates a letter with a broken link; the check reports BROKEN_LINK', async () => {
    projectId = await newProject();
    const created = await p.as(ola).post(`/projects/${projectId}/letters`, { title: 'Invitasjon', kind: 'letter', fields: ['firstName'], content: content(`${t.base}/missing`) });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ version: 1, approval: 'pending', kind: 'letter' });
    letterId = created.body.letterId;
    const check = await p.as(ola).post(`/projects/${projectId}/letters/${letterId}/check`);
    expect(check.status).toBe(200);
    expect(check.body.ok).toBe(false);
    expect(check.body.findings).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'BROKEN_LINK', severity: 'error', language: 'nb', link: `${t.base}/missing` })]));
  });

  it('submits whatever the check says', async () => {
    const res = await p.as(ola).post(`/projects/${projectId}/submit`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'in_review', submittedBy: 'ola' });
    const again = await p.as(ola).post(`/projects/${projectId}/submit`);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('PROJECT_NOT_SUBMITTABLE');
  });

  it('refuses a researcher approving (403) and a superuser of another organisation (404)', async () => {
    const researcher = await p.as(ola).post(`/projects/${projectId}/approve`);
    expect(researcher.status).toBe(403);
    const foreign = await p.as(foreignSu).post(`/projects/${projectId}/approve`, {});
    expect(foreign.status).toBe(404);
    const operations = await p.as(ops).post(`/projects/${projectId}/approve`);
    expect(operations.status).toBe(403);
  });

  it('refuses the submitter approving with FOUR_EYES', async () => {
    const res = await p.as(olaAsSu).post(`/projects/${projectId}/approve`);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('FOUR_EYES');
  });

  it('refuses approval while the check fails, with the findings as details', async () => {
    const res = await p.as(su).post(`/projects/${projectId}/approve`, { comment: 'ser bra ut', checklist: await completeChecklist(p.as(su), projectId) });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('QUALITY_CHECK_FAILED');
    expect(res.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'BROKEN_LINK', letterId, version: 1 })]));
    expect((await p.as(su).get(`/projects/${projectId}`)).body.status).toBe('in_review');
  });

  it('editing makes a new pending version without changing the project status', async () => {
    await p.as(ola).post(`/projects/${projectId}/members`, { sub: 'kari' });
    const edit = await p.as(kari).put(`/projects/${projectId}/letters/${letterId}`, { content: content(`${t.base}/ok`) });
    expect(edit.status).toBe(200);
    expect(edit.body).toMatchObject({ version: 2, approval: 'pending', authoredBy: 'kari' });
    expect((await p.as(su).get(`/projects/${projectId}`)).body.status).toBe('in_review');
  });

  it('refuses the author of a letter version approving with FOUR_EYES', async () => {
    const res = await p.as(kariAsSu).post(`/projects/${projectId}/approve`);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('FOUR_EYES');
  });

  it('refuses an unknown checklist item, an item answered "no", and a missing or partial checklist', async () => {
    const unknown = await p.as(su).post(`/projects/${projectId}/approve`, { checklist: { 'looks-nice': true } });
    expect(unknown.status).toBe(400);
    const no = await p.as(su).post(`/projects/${projectId}/approve`, { checklist: { 'voluntary-participation': false } });
    expect(no.status).toBe(409);
    expect(no.body.error.code).toBe('CHECKLIST_INCOMPLETE');
    const none = await p.as(su).post(`/projects/${projectId}/approve`, { comment: 'ser bra ut' });
    expect(none.status).toBe(409);
    expect(none.body.error.code).toBe('CHECKLIST_INCOMPLETE');
    const partial = await p.as(su).post(`/projects/${projectId}/approve`, { checklist: { 'sender-identified': true, 'purpose-stated': '  ' } });
    expect(partial.status).toBe(409);
    expect(partial.body.error).toMatchObject({ code: 'CHECKLIST_INCOMPLETE', details: { items: expect.arrayContaining(['purpose-stated', 'how-to-withdraw']) } });
    expect((await p.as(su).get(`/projects/${projectId}`)).body.status).toBe('in_review');
  });

  it('approves once the link is mended: the project and the current version of its letter, bound to its hash', async () => {
    const checklist = (await p.as(su).get(`/projects/${projectId}/checklist`)).body.items.map((i: { id: string }) => i.id);
    expect(checklist).toContain('how-to-withdraw');
    const res = await p.as(su).post(`/projects/${projectId}/approve`, { comment: 'OK', checklist: Object.fromEntries(checklist.map((id: string) => [id, true])) });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('approved');
    const letter = await p.as(ola).get(`/projects/${projectId}/letters/${letterId}`);
    expect(letter.body).toMatchObject({ version: 2, approval: 'approved', approvedVersion: 2, approvedBy: 'siri' });
    expect(res.body.approvedLetters).toEqual([{ letterId, version: 2, contentHash: letter.body.contentHash }]);
    const v1 = await p.as(ola).get(`/projects/${projectId}/letters/${letterId}?version=1`);
    expect(v1.body.approval).toBe('pending');
  });

  it('an edit after approval is pending until a superuser approves that version; the project stays approved', async () => {
    const edit = await p.as(ola).put(`/projects/${projectId}/letters/${letterId}`, { content: { ...content(`${t.base}/ok`), en: { subject: 'Invitation', body: 'Hello {{firstName}}' } } });
    expect(edit.body).toMatchObject({ version: 3, approval: 'pending', approvedVersion: 2 });
    expect((await p.as(ola).get(`/projects/${projectId}`)).body.status).toBe('approved');
    const byAuthor = await p.as(olaAsSu).post(`/projects/${projectId}/letters/${letterId}/approve`, { version: 3 });
    expect(byAuthor.status).toBe(403);
    expect(byAuthor.body.error.code).toBe('FOUR_EYES');
    const byResearcher = await p.as(kari).post(`/projects/${projectId}/letters/${letterId}/approve`, { version: 3 });
    expect(byResearcher.status).toBe(403);
    // A single version's approval answers the same mandatory checklist as the project's.
    const unanswered = await p.as(su).post(`/projects/${projectId}/letters/${letterId}/approve`, { version: 3 });
    expect(unanswered.status).toBe(409);
    expect(unanswered.body.error.code).toBe('CHECKLIST_INCOMPLETE');
    const partial = await p.as(su).post(`/projects/${projectId}/letters/${letterId}/approve`, { version: 3, checklist: { 'sender-identified': true } });
    expect(partial.status).toBe(409);
    expect(partial.body.error.code).toBe('CHECKLIST_INCOMPLETE');
    expect((await p.as(ola).get(`/projects/${projectId}/letters/${letterId}`)).body.approval).toBe('pending');
    const ok = await p.as(su).post(`/projects/${projectId}/letters/${letterId}/approve`, { version: 3, checklist: await completeChecklist(p.as(su), projectId) });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ version: 3, approval: 'approved', approvedVersion: 3 });
  });

  it('a single version whose link broke after the edit cannot be approved', async () => {
    await p.as(ola).put(`/projects/${projectId}/letters/${letterId}`, { content: content(`${t.base}/flaky`) });
    const res = await p.as(su).post(`/projects/${projectId}/letters/${letterId}/approve`, { version: 4, checklist: await completeChecklist(p.as(su), projectId) });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('QUALITY_CHECK_FAILED');
    t.mended = true;
    const mended = await p.as(su).post(`/projects/${projectId}/letters/${letterId}/approve`, { version: 4, checklist: await completeChecklist(p.as(su), projectId) });
    expect(mended.status).toBe(200);
  });

  it('pauses (superuser) and resumes (operations only) back to the status before', async () => {
    const paused = await p.as(su).post(`/projects/${projectId}/pause`, { reason: 'Klage fra innbygger' });
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ status: 'paused', inFlight: 0 });
    expect(paused.body.pausedAt).toEqual(expect.any(String));
    // Who paused, by user id and by the name their sign-in gave (what the console shows).
    expect(paused.body).toMatchObject({ pausedBy: su.sub, pausedByName: su.name });
    // Quiet at once (nothing in flight): confirmed, and the pause's audit entries, written by now,
    // are off the project in that same write (one write after quiet, before the answer).
    expect(paused.body.pauseConfirmedAt).toEqual(expect.any(String));
    const stored = (await DynamoDBDocumentClient.from(p.dynamo).send(new GetCommand({ TableName: p.env.TABLE_MAIN, Key: keys.project(projectId), ConsistentRead: true }))).Item!;
    expect(stored).toMatchObject({ status: 'paused', pauseConfirmedAt: paused.body.pauseConfirmedAt });
    expect(stored.pauseAudit).toBeUndefined();
    const twice = await p.as(ops).post(`/projects/${projectId}/pause`, { reason: 'igjen' });
    expect(twice.status).toBe(200);
    const bySu = await p.as(su).post(`/projects/${projectId}/resume`);
    expect(bySu.status).toBe(403);
    const resumed = await p.as(ops).post(`/projects/${projectId}/resume`);
    expect(resumed.status).toBe(200);
    expect(resumed.body.status).toBe('approved');
    expect(resumed.body.pausedByName).toBeUndefined();
    const notPaused = await p.as(ops).post(`/projects/${projectId}/resume`);
    expect(notPaused.status).toBe(409);
    expect(notPaused.body.error.code).toBe('PROJECT_NOT_PAUSED');
  });

  it('settings are for the superuser', async () => {
    expect((await p.as(ola).put(`/projects/${projectId}/settings`, { frequencyCap: 1 })).status).toBe(403);
    const res = await p.as(su).put(`/projects/${projectId}/settings`, { frequencyCap: 2, distributionRule: 'helsenorge-only' });
    expect(res.status).toBe(200);
    expect(res.body.settings).toEqual({ frequencyCap: 2, distributionRule: 'helsenorge-only', minors: 'exclude' });
    expect((await p.as(su).put(`/projects/${projectId}/settings`, { frequencyCap: 0 })).status).toBe(400);
  });

  it('the audit lists every step in order, for members, superusers and operations', async () => {
    const audit = await p.as(ops).get(`/projects/${projectId}/audit`);
    expect(audit.status).toBe(200);
    const actions = audit.body.items.map((e: { action: string }) => e.action);
    expect(actions).toEqual([
      'project.created',
      'letter.created',
      'project.submitted',
      'project.member_added',
      'letter.version_created',
      'letter.version_approved',
      'project.approved',
      'letter.version_created',
      'letter.version_approved',
      'letter.version_created',
      'letter.version_approved',
      'project.paused',
      'project.resumed',
      'project.settings_changed',
    ]);
    const approved = audit.body.items.find((e: { action: string }) => e.action === 'project.approved');
    // Named as the sign-in named them when they acted (the console shows the name); someone whose token had no name, by user id only.
    expect(approved).toMatchObject({ actor: 'siri', actorName: 'Siri Superbruker', role: 'superuser', details: { comment: 'OK' } });
    expect(audit.body.items.find((e: { action: string }) => e.action === 'project.created').actorName).toBeUndefined();
    expect((await p.as(ops).get(`/projects/${projectId}/audit/verify`)).body).toMatchObject({ ok: true });
    const paused = audit.body.items.find((e: { action: string }) => e.action === 'project.paused');
    expect(paused.details).toMatchObject({ reason: 'Klage fra innbygger', statusBeforePause: 'approved' });
    expect((await p.as(ola).get(`/projects/${projectId}/audit`)).status).toBe(200);
    expect((await p.as(su).get(`/projects/${projectId}/audit`)).status).toBe(200);
    expect((await p.as({ sub: 'per', role: 'researcher', org: 'uio' }).get(`/projects/${projectId}/audit`)).status).toBe(404);
  });

  it('the audit is append-only: there is no way to change or delete it over the API', async () => {
    for (const method of ['put', 'delete'] as const) {
      const res = await p.as(ops)[method](`/projects/${projectId}/audit`);
      expect(res.status).toBe(404);
    }
  });
});

describe('reject and resubmit', () => {
  it('goes in_review → changes_requested → in_review, and reject needs a comment', async () => {
    const projectId = await newProject('Søvnstudien');
    await p.as(ola).post(`/projects/${projectId}/submit`);
    expect((await p.as(su).post(`/projects/${projectId}/reject`, {})).status).toBe(400);
    const rejected = await p.as(su).post(`/projects/${projectId}/reject`, { comment: 'Mangler nynorsk' });
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({ status: 'changes_requested', reviewComment: 'Mangler nynorsk' });
    const approveNow = await p.as(su).post(`/projects/${projectId}/approve`);
    expect(approveNow.status).toBe(409);
    expect(approveNow.body.error.code).toBe('PROJECT_NOT_IN_REVIEW');
    const again = await p.as(ola).post(`/projects/${projectId}/submit`);
    expect(again.body.status).toBe('in_review');
    const actions = (await p.as(su).get(`/projects/${projectId}/audit`)).body.items.map((e: { action: string }) => e.action);
    expect(actions).toEqual(['project.created', 'project.submitted', 'project.rejected', 'project.resubmitted']);
  });
});

describe('the minors policy: set by a superuser, approved by another, audited', () => {
  const sara = { sub: 'sara', role: 'superuser', org: 'uio' } as const;
  let projectId: string;

  it('defaults to exclude; only a superuser of the organisation sets it; anything else is 400', async () => {
    projectId = await newProject('Barnestudien');
    const fresh = await p.as(ola).get(`/projects/${projectId}`);
    expect(fresh.body.settings.minors).toBe('exclude');
    expect(fresh.body.minorsPolicy).toMatchObject({ effective: 'exclude', pendingApproval: false });
    expect((await p.as(ola).put(`/projects/${projectId}/settings`, { minors: 'guardians' })).status).toBe(403);
    expect((await p.as(foreignSu).put(`/projects/${projectId}/settings`, { minors: 'guardians' })).status).toBe(404);
    expect((await p.as(ops).put(`/projects/${projectId}/settings`, { minors: 'guardians' })).status).toBe(403);
    const bad = await p.as(su).put(`/projects/${projectId}/settings`, { minors: 'parents' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_FAILED');
    expect((await p.as(ola).get(`/projects/${projectId}`)).body.settings.minors).toBe('exclude');
  });

  it('guardians set before approval is approved with the project, by another superuser', async () => {
    const set = await p.as(su).put(`/projects/${projectId}/settings`, { minors: 'guardians' });
    expect(set.status).toBe(200);
    expect(set.body.settings.minors).toBe('guardians');
    expect(set.body.minorsPolicy).toMatchObject({ effective: 'exclude', pendingApproval: true, setBy: 'siri' });
    await p.as(ola).post(`/projects/${projectId}/letters`, { title: 'Brev', kind: 'letter', content: { nb: { subject: 'Hei', body: 'Tekst' } } });
    expect((await p.as(ola).post(`/projects/${projectId}/submit`)).status).toBe(200);
    const answers = { checklist: await completeChecklist(p.as(su), projectId) };
    const bySetter = await p.as(su).post(`/projects/${projectId}/approve`, answers);
    expect(bySetter.status).toBe(403);
    expect(bySetter.body.error.code).toBe('FOUR_EYES');
    const ok = await p.as(sara).post(`/projects/${projectId}/approve`, answers);
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.minorsPolicy).toMatchObject({ effective: 'guardians', pendingApproval: false, approvedBy: 'sara', approvedPolicy: 'guardians' });
  });

  it('a change after approval waits for a new approval; the project stays approved', async () => {
    expect((await p.as(sara).put(`/projects/${projectId}/settings`, { minors: 'exclude' })).body.minorsPolicy).toMatchObject({ effective: 'exclude', pendingApproval: false });
    const changed = await p.as(sara).put(`/projects/${projectId}/settings`, { minors: 'guardians' });
    expect(changed.body).toMatchObject({ status: 'approved', settings: { minors: 'guardians' }, minorsPolicy: { effective: 'exclude', pendingApproval: true, setBy: 'sara' } });
    const bySetter = await p.as(sara).post(`/projects/${projectId}/settings/approve`, { minors: 'guardians' });
    expect(bySetter.status).toBe(403);
    expect(bySetter.body.error.code).toBe('FOUR_EYES');
    const byResearcher = await p.as(ola).post(`/projects/${projectId}/settings/approve`, { minors: 'guardians' });
    expect(byResearcher.status).toBe(403);
    const stale = await p.as(su).post(`/projects/${projectId}/settings/approve`, { minors: 'exclude' });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('SETTINGS_CHANGED');
    const ok = await p.as(su).post(`/projects/${projectId}/settings/approve`, { minors: 'guardians' });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ status: 'approved', minorsPolicy: { effective: 'guardians', pendingApproval: false, approvedBy: 'siri' } });
  });

  it('each change and approval is in the audit trail', async () => {
    const audit = await p.as(ops).get(`/projects/${projectId}/audit`);
    const minorsEvents = audit.body.items
      .filter((e: { action: string; details: Record<string, unknown> }) => e.details?.minors !== undefined || e.action === 'project.minors_policy_approved')
      .map((e: { action: string; actor: string; details: Record<string, unknown> }) => [e.action, e.actor, e.details.minors, e.details.approvalRequired]);
    expect(minorsEvents).toEqual([
      ['project.settings_changed', 'siri', 'guardians', true],
      ['project.approved', 'sara', 'guardians', undefined],
      ['project.settings_changed', 'sara', 'exclude', false],
      ['project.settings_changed', 'sara', 'guardians', true],
      ['project.minors_policy_approved', 'siri', 'guardians', undefined],
    ]);
  });
});
