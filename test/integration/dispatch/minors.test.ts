import { completeChecklist } from '../checklist.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ninBornOn } from '../../fixtures/people.js';
import { startTestPlatform, type ApiClient, type TestPlatform } from '../../setup/platform.js';
import { roundOf, sumOfCounts, syntheticNins, waitFor } from './flow.js';

/**
 * Minors and guardians end to end through the API (issue 14; contract: API.md `settings.minors`,
 * `/registry/population` guardians, `GET /citizen/inbox` onBehalfOfMinor): children never in
 * their own inbox, both guardians reached once, a reserved guardian not, a guardian-access
 * reservation honoured, the counts adding up — under both policies.
 *
 * Enabled by the lead when the engine wires the minors policy (routeRecipient at send time,
 * tallyPreflightWithMinors in the pre-flight, requireMinorsPolicyApproved at release) and the
 * population stand-in takes `guardians` / `guardianAccessReserved` (issue 13).
 */

/** A synthetic ID (month + 80) for someone `years` old on today's date in Oslo, minus `days` more. */
const syntheticBornYearsAgo = (years: number, k = 0, days = 10): string => {
  const today = new Date();
  const birth = new Date(Date.UTC(today.getUTCFullYear() - years, today.getUTCMonth(), today.getUTCDate() - days));
  return ninBornOn(birth.toISOString().slice(0, 10), k);
};

let p: TestPlatform;

const org = 'barn';
const researcher = { sub: `researcher@${org}`, role: 'researcher', org } as const;
const setter = { sub: `superuser1@${org}`, role: 'superuser', org } as const;
const approver = { sub: `superuser2@${org}`, role: 'superuser', org } as const;
const operations = { sub: 'operations@nhn', role: 'operations' } as const;

interface Setup {
  readonly projectId: string;
  readonly letterId: string;
  readonly r: ApiClient;
}

/** A project with a letter that uses the list field `firstName`, approved; the minors policy as asked. */
const projectWith = async (minors: 'exclude' | 'guardians', title: string): Promise<Setup> => {
  const r = p.as(researcher);
  const project = await r.post('/projects', { title, organization: org });
  expect(project.status, project.text).toBe(201);
  const projectId = project.body.projectId as string;
  if (minors === 'guardians') expect((await p.as(setter).put(`/projects/${projectId}/settings`, { minors })).status).toBe(200);
  const letter = await r.post(`/projects/${projectId}/letters`, {
    title: 'Invitasjon',
    kind: 'letter',
    fields: ['firstName'],
    content: {
      nb: { subject: 'Invitasjon for {{firstName}}', body: 'Vi inviterer {{firstName}} til å delta i Barnestudien.' },
      nn: { subject: 'Invitasjon for {{firstName}}', body: 'Vi inviterer {{firstName}} til å delta i Barnestudien.' },
    },
  });
  expect(letter.status, letter.text).toBe(201);
  expect((await r.post(`/projects/${projectId}/submit`)).status).toBe(200);
  const approved = await p.as(approver).post(`/projects/${projectId}/approve`, { comment: 'Godkjent', checklist: await completeChecklist(p.as(approver), projectId) });
  expect(approved.status, approved.text).toBe(200);
  expect(approved.body.minorsPolicy).toMatchObject({ effective: minors, pendingApproval: false });
  return { projectId, letterId: letter.body.letterId as string, r };
};

const upload = async (s: Setup, rows: { nin: string; firstName: string }[]) => {
  const res = await s.r.post(`/projects/${s.projectId}/recipient-lists`, { recipients: rows.map(({ nin, firstName }) => ({ nin, fields: { firstName } })) });
  expect(res.status, res.text).toBe(201);
  expect(res.body.accepted).toBe(rows.length);
  return res.body.listId as string;
};

const releaseAndWait = async (s: Setup, listId: string, extra: { onlyNonResponders?: boolean } = {}) => {
  const round = await s.r.post(`/projects/${s.projectId}/rounds`, { letterId: s.letterId, listId, ...extra });
  expect(round.status, round.text).toBe(201);
  const released = await s.r.post(`/projects/${s.projectId}/rounds/${round.body.roundId}/release`);
  expect(released.status, released.text).toBe(202);
  const done = await waitFor(
    () => roundOf({ projectId: s.projectId, researcher: s.r } as Parameters<typeof roundOf>[0], round.body.roundId),
    (x) => x.status === 'completed',
  );
  expect(sumOfCounts(done.counts)).toBe(done.counts.planned);
  return { created: round.body as { roundId: string; preflight: Record<string, unknown> }, done };
};

type InboxItem = { projectId: string; subject: string; body: string; onBehalfOfMinor?: boolean };
const inbox = async (nin: string, projectId: string): Promise<InboxItem[]> =>
  ((await p.as({ sub: nin, role: 'citizen' }).get('/citizen/inbox')).body.items as InboxItem[]).filter((i) => i.projectId === projectId);

const lookup = async (nin: string, projectId: string) =>
  ((await p.as(operations).post('/operations/contacts/lookup', { nin })).body.items as { projectId: string; outcome: string; reason?: string }[]).filter((i) => i.projectId === projectId);

// enabled by the lead when the engine wires the minors policy
describe('minors and guardians end to end', () => {
  // Adults (guardians) from the generator's adult range; children born 8, 13, 14, 10 and 12 years ago.
  const [mother, father, reservedParent, otherParent, adult] = syntheticNins(5, 61_000) as [string, string, string, string, string];
  const child8 = syntheticBornYearsAgo(8);
  const sibling6 = syntheticBornYearsAgo(6);
  const child13Reserved = syntheticBornYearsAgo(13);
  const child14 = syntheticBornYearsAgo(14);
  const child12Alone = syntheticBornYearsAgo(12);
  const rows = [
    { nin: adult, firstName: 'Voksen' },
    { nin: child8, firstName: 'Emil' },
    { nin: sibling6, firstName: 'Ida' },
    { nin: child13Reserved, firstName: 'Nora' },
    { nin: child14, firstName: 'Jonas' },
    { nin: child12Alone, firstName: 'Sofie' },
  ];

  beforeAll(async () => {
    p = await startTestPlatform();
    const ops = p.as(operations);
    const seed = async (body: Record<string, unknown>) => {
      const res = await ops.put('/registry/population', body);
      expect(res.status, res.text).toBe(200);
    };
    await seed({ nins: [child8, sibling6], guardians: [mother, father] });
    await seed({ nins: [child13Reserved], guardians: [mother], guardianAccessReserved: true });
    await seed({ nins: [child14], guardians: [reservedParent, otherParent] });
    expect((await ops.put('/registry/reservations', { nins: [reservedParent], reserved: true })).status).toBe(200);
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('guardians: children never in their own inbox, both guardians once per child, a reserved guardian not, guardian access honoured', async () => {
    const s = await projectWith('guardians', 'Barnestudien (foresatte)');
    const listId = await upload(s, rows);
    const { created, done } = await releaseAndWait(s, listId);

    expect(created.preflight).toMatchObject({
      total: 6,
      eligible: 4,
      minors: { policy: 'guardians', underSixteen: 5, viaGuardians: 3, guardianLetters: 5, withoutGuardian: 1, guardianAccessReserved: 1, skippedMinor: 0 },
    });
    // adult + child8 + sibling6 + child14 sent; child13 (guardian access) and child12 (no guardian) skipped.
    expect(done.counts).toMatchObject({ planned: 6, sent: 4, skippedOther: 2, failed: 0, pending: 0 });
    expect(done.skipReasons).toMatchObject({ guardian_access_reserved: 1, no_guardian: 1 });

    for (const child of [child8, sibling6, child13Reserved, child14, child12Alone]) expect(await inbox(child, s.projectId)).toEqual([]);
    expect(await inbox(adult, s.projectId)).toEqual([expect.objectContaining({ subject: 'Invitasjon for Voksen' })]);
    expect((await inbox(adult, s.projectId))[0]!.onBehalfOfMinor).toBeUndefined();

    // Each guardian gets one letter per child, rendered with that child's fields, flagged, with the guardian text.
    const mothers = await inbox(mother, s.projectId);
    expect(mothers.map((i) => i.subject).sort()).toEqual(['Invitasjon for Emil', 'Invitasjon for Ida']);
    for (const letter of mothers) {
      expect(letter.onBehalfOfMinor).toBe(true);
      expect(letter.body).toContain('foreldreansvar');
      expect(letter.body).not.toContain('Nora'); // nothing about the child who reserved against guardian access
    }
    expect((await inbox(father, s.projectId)).map((i) => i.subject).sort()).toEqual(['Invitasjon for Emil', 'Invitasjon for Ida']);
    expect(await inbox(reservedParent, s.projectId)).toEqual([]);
    expect(await inbox(otherParent, s.projectId)).toEqual([expect.objectContaining({ subject: 'Invitasjon for Jonas', onBehalfOfMinor: true })]);

    // The ledger shows the letter for the child and for the guardian.
    expect(await lookup(child8, s.projectId)).toEqual([expect.objectContaining({ outcome: 'sent' })]);
    expect((await lookup(mother, s.projectId)).filter((i) => i.outcome === 'sent')).toHaveLength(2);
    expect(await lookup(child13Reserved, s.projectId)).toEqual([expect.objectContaining({ outcome: 'skipped', reason: 'guardian_access_reserved' })]);

    // The same content again: nobody gets it twice (children skipped as duplicates, guardians get nothing new).
    const again = await releaseAndWait(s, listId);
    expect(again.done.counts).toMatchObject({ planned: 6, sent: 0 });
    expect(await inbox(mother, s.projectId)).toHaveLength(2);
    expect(await inbox(otherParent, s.projectId)).toHaveLength(1);
  });

  it('exclude (the default): every child skipped as minor, no guardian written to, counts add up', async () => {
    const s = await projectWith('exclude', 'Barnestudien (ekskluder)');
    const listId = await upload(s, rows);
    const { created, done } = await releaseAndWait(s, listId);
    expect(created.preflight).toMatchObject({ total: 6, eligible: 1, minors: { policy: 'exclude', underSixteen: 5, skippedMinor: 5, viaGuardians: 0 } });
    expect(done.counts).toMatchObject({ planned: 6, sent: 1, skippedOther: 5 });
    expect(done.skipReasons).toMatchObject({ minor: 5 });
    for (const nin of [child8, sibling6, child13Reserved, child14, child12Alone, mother, father, otherParent]) expect(await inbox(nin, s.projectId)).toEqual([]);
  });

  it('a change to guardians after approval holds release until another superuser approves it', async () => {
    const s = await projectWith('exclude', 'Barnestudien (endret policy)');
    const listId = await upload(s, rows.slice(0, 2));
    expect((await p.as(setter).put(`/projects/${s.projectId}/settings`, { minors: 'guardians' })).status).toBe(200);
    const round = await s.r.post(`/projects/${s.projectId}/rounds`, { letterId: s.letterId, listId });
    expect(round.status).toBe(201);
    const refused = await s.r.post(`/projects/${s.projectId}/rounds/${round.body.roundId}/release`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('MINORS_POLICY_NOT_APPROVED');
    expect((await p.as(approver).post(`/projects/${s.projectId}/settings/approve`, { minors: 'guardians' })).status).toBe(200);
    expect((await s.r.post(`/projects/${s.projectId}/rounds/${round.body.roundId}/release`)).status).toBe(202);
  });

  it('a reminder of a form task reaches a child only through the guardian who has not answered about them (never the child, never the one who did)', async () => {
    const [mum, dad, grownUp] = syntheticNins(3, 62_000) as [string, string, string];
    const kid = syntheticBornYearsAgo(9, 3);
    expect((await p.as(operations).put('/registry/population', { nins: [kid], guardians: [mum, dad] })).status).toBe(200);
    const r = p.as(researcher);
    const projectId = (await r.post('/projects', { title: 'Barneskjema (påminnelse)', organization: org })).body.projectId as string;
    expect((await p.as(setter).put(`/projects/${projectId}/settings`, { minors: 'guardians' })).status).toBe(200);
    const form = await r.post(`/projects/${projectId}/form-tasks`, {
      title: 'Skjema om barnet',
      form: { type: 'internal', questions: [{ id: 'q1', text: { nb: 'Hvordan sover barnet?' }, type: 'text', required: true }] },
    });
    expect(form.status, form.text).toBe(201);
    const formTaskId = form.body.formTaskId as string;
    const letterOf = async (title: string, body: string) => {
      const res = await r.post(`/projects/${projectId}/letters`, { title, kind: 'form-task', formTaskId, content: { nb: { subject: title, body }, nn: { subject: title, body } } });
      expect(res.status, res.text).toBe(201);
      return res.body.letterId as string;
    };
    const first = await letterOf('Skjema', 'Svar på skjemaet her: {{taskLink}}');
    const reminder = await letterOf('Påminnelse', 'Vi minner om skjemaet: {{taskLink}}');
    expect((await r.post(`/projects/${projectId}/submit`)).status).toBe(200);
    const approved = await p.as(approver).post(`/projects/${projectId}/approve`, { comment: 'Godkjent', checklist: await completeChecklist(p.as(approver), projectId) });
    expect(approved.status, approved.text).toBe(200);
    const list = await r.post(`/projects/${projectId}/recipient-lists`, { recipients: [{ nin: kid }, { nin: grownUp }] });
    expect(list.status, list.text).toBe(201);
    const s = { projectId, letterId: first, r };
    await releaseAndWait(s, list.body.listId as string);

    // The mother answers about the child; the father and the adult do not.
    const tasks = (await p.as({ sub: mum, role: 'citizen' }).get('/citizen/tasks')).body.items as { taskId: string; projectId: string; onBehalfOfMinor?: boolean }[];
    const mine = tasks.filter((t) => t.projectId === projectId);
    expect(mine).toMatchObject([{ onBehalfOfMinor: true }]);
    const answered = await p.as({ sub: mum, role: 'citizen' }).post(`/citizen/tasks/${mine[0]!.taskId}/answers`, { answers: { q1: 'Godt' } });
    expect(answered.status, answered.text).toBeLessThan(300);

    const { created, done } = await releaseAndWait({ ...s, letterId: reminder }, list.body.listId as string, { onlyNonResponders: true });
    expect(created.preflight).toMatchObject({ total: 2, eligible: 2, minors: { viaGuardians: 1, guardianLetters: 1 } });
    expect(done.counts).toMatchObject({ planned: 2, sent: 2, pending: 0 });
    const subjects = async (nin: string) => (await inbox(nin, projectId)).map((i) => i.subject).sort();
    expect(await subjects(dad)).toEqual(['Påminnelse', 'Skjema']);
    expect(await subjects(mum)).toEqual(['Skjema']);
    expect(await subjects(grownUp)).toEqual(['Påminnelse', 'Skjema']);
    expect(await inbox(kid, projectId)).toEqual([]);
  });
});
