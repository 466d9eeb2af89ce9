import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deltaOf } from '../../functions/domain/dispatch/batch.js';
import { type RecipientOutcome } from '../../functions/domain/rounds/round.js';
import { layoutOf } from '../../functions/domain/dispatch/layout.js';
import { rawAdapters } from '../../functions/adapters/index.js';
import { createTaskForDelivery } from '../../functions/domain/letters/form-tasks.js';
import { syntheticNins } from '../../functions/domain/lists/nin-generator.js';
import { startTestPlatform, type TestPlatform } from '../setup/platform.js';

/**
 * Rounds through the HTTP API on the emulators. Dispatch is not part of this: "already received"
 * is simulated by writing ContactRecords to the contact ledger exactly as the dispatch worker
 * does when it marks a delivery sent (item keys.contacts(nin, projectId), `contacts` appended),
 * through DynamoContactLedger.recordContacts.
 */
const ORG = 'org-rounds';
const researcher = { sub: 'res-rounds', role: 'researcher' as const, org: ORG };
const outsider = { sub: 'res-outsider', role: 'researcher' as const, org: ORG };
const superuser = { sub: 'su-rounds', role: 'superuser' as const, org: ORG };
const foreignSuperuser = { sub: 'su-other', role: 'superuser' as const, org: 'other-org' };
const ops = { sub: 'ops-rounds', role: 'operations' as const };

let p: TestPlatform;
beforeAll(async () => {
  p = await startTestPlatform({ pollers: false });
});
afterAll(async () => p?.stop());

const body = (date: string) =>
  `Hei {{name}}. Du er invitert til å delta i en studie om søvn og helse blant voksne i Norge. Studien er frivillig. Svar innen ${date}. Les mer på https://studie.example.no/sovn.`;

const newProject = async (title: string) => (await p.as(researcher).post('/projects', { title, organization: ORG, allowedLinkDomains: ['example.no'] })).body.projectId as string;
const newLetter = async (projectId: string, text: string, extra: Record<string, unknown> = {}) => {
  const res = await p.as(researcher).post(`/projects/${projectId}/letters`, { title: 'Invitasjon', kind: 'letter', content: { nb: { subject: 'Invitasjon til søvnstudien', body: text } }, ...extra });
  expect(res.status).toBe(201);
  return res.body.letterId as string;
};
const newList = async (projectId: string, nins: string[]) => {
  const res = await p.as(researcher).post(`/projects/${projectId}/recipient-lists`, `nin;name\n${nins.map((n, i) => `${n};Person ${i}`).join('\n')}\n`, 'text/csv');
  expect(res.status).toBe(201);
  return res.body.listId as string;
};
const newRound = async (projectId: string, input: Record<string, unknown>) => p.as(researcher).post(`/projects/${projectId}/rounds`, input);

/** What the dispatch worker records when it sends round `roundId` to `nins`. */
const simulateSent = async (projectId: string, roundId: string, nins: readonly string[], sentAt = new Date().toISOString()) => {
  const round = (await rawAdapters().rounds.getRound(projectId, roundId))!;
  await rawAdapters().contacts.recordContacts(
    nins.map((nin) => ({ nin, record: { projectId, roundId, letterId: round.letterId, version: round.letterVersion, contentHash: round.contentHash, sentAt } })),
  );
};

describe('rounds: pre-flight and duplicate-round detection', () => {
  let projectId: string;
  let letterId: string;
  let listId: string;
  let firstRoundId: string;
  const nins = syntheticNins(40, 200_000);

  beforeAll(async () => {
    projectId = await newProject('Søvnstudien');
    letterId = await newLetter(projectId, body('1. mars'));
    listId = await newList(projectId, nins);
  });

  it('creates a ready round with a pre-flight report and counts that add up to planned', async () => {
    const res = await newRound(projectId, { letterId, listId });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      status: 'ready',
      preflight: { total: 40, eligible: 40, reserved: 0, withdrawn: 0, alreadySent: 0, invalid: 0, deceased: 0, notFound: 0 },
      findings: [],
    });
    firstRoundId = res.body.roundId;
    const got = await p.as(superuser).get(`/projects/${projectId}/rounds/${firstRoundId}`);
    expect(got.body).toMatchObject({ status: 'ready', letterVersion: 1 });
    expect(got.body.counts).toEqual({ planned: 40, sent: 0, skippedReserved: 0, skippedWithdrawn: 0, skippedDuplicate: 0, skippedOther: 0, failed: 0, cancelled: 0, pending: 40 });
  });

  it('should count everyone as alreadySent, not hold, when the identical content is sent again', async () => {
    await simulateSent(projectId, firstRoundId, nins);
    const res = await newRound(projectId, { letterId, listId });
    expect(res.status).toBe(201);
    expect(res.body.status).toBe('ready');
    expect(res.body.preflight).toMatchObject({ total: 40, eligible: 0, alreadySent: 40 });
    expect(res.body.findings.filter((f: { code: string }) => f.code === 'DUPLICATE_ROUND')).toEqual([]);
  });

  it('should hold a changed version to people who got the earlier one, overridable only by another superuser', async () => {
    const edit = await p.as(researcher).put(`/projects/${projectId}/letters/${letterId}`, { content: { nb: { subject: 'Invitasjon til søvnstudien', body: body('8. mars') } } });
    expect(edit.body.version).toBe(2);
    const res = await newRound(projectId, { letterId, listId });
    expect(res.status).toBe(201);
    expect(res.body.status).toBe('held');
    expect(res.body.preflight).toMatchObject({ eligible: 40, alreadySent: 0 });
    const [finding] = res.body.findings;
    expect(finding).toMatchObject({ code: 'DUPLICATE_ROUND', previousRoundId: firstRoundId, overlap: 40, reason: 'changed_version', previousVersion: 1 });
    expect(finding.similarity).toBeGreaterThanOrEqual(0.85);
    const roundId = res.body.roundId;
    const url = `/projects/${projectId}/rounds/${roundId}/override`;

    expect((await p.as(researcher).post(url, { reason: 'Correcting the deadline date' })).status).toBe(403);
    expect((await p.as(ops).post(url, { reason: 'Correcting the deadline date' })).status).toBe(403);
    expect((await p.as(foreignSuperuser).post(url, { reason: 'Correcting the deadline date' })).status).toBe(404);
    expect((await p.as(superuser).post(url, {})).status).toBe(400);
    expect((await p.as(superuser).get(`/projects/${projectId}/rounds/${roundId}`)).body.status).toBe('held');

    const ok = await p.as(superuser).post(url, { reason: 'Correcting the deadline date, approved by the project lead' });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ status: 'ready', override: { by: superuser.sub, reason: 'Correcting the deadline date, approved by the project lead' } });
    expect((await p.as(superuser).get(`/projects/${projectId}/rounds/${roundId}`)).body.status).toBe('ready');
    expect((await p.as(superuser).post(url, { reason: 'Correcting the deadline date again' })).body.error.code).toBe('ROUND_NOT_HELD');

    const audit = await rawAdapters().audit.list(`project:${projectId}`);
    expect(audit).toEqual(expect.arrayContaining([expect.objectContaining({ action: 'round.overridden', actor: superuser.sub })]));
  });

  it('should hold a near-identical text of another letter, and not an unrelated one', async () => {
    const twin = await newLetter(projectId, body('1. mars').replace('Hei', 'Hallo'));
    const held = await newRound(projectId, { letterId: twin, listId });
    expect(held.body.status).toBe('held');
    expect(held.body.findings[0]).toMatchObject({ code: 'DUPLICATE_ROUND', previousRoundId: firstRoundId, reason: 'near_identical', overlap: 40 });

    const unrelated = await newLetter(projectId, 'Takk for at du deltok. Resultatene fra studien blir publisert i en rapport til høsten, og du trenger ikke gjøre noe.');
    const ready = await newRound(projectId, { letterId: unrelated, listId });
    expect(ready.body).toMatchObject({ status: 'ready', findings: [] });
  });

  it('should skip reserved, withdrawn, deceased and unknown citizens in the pre-flight, read now', async () => {
    const fresh = syntheticNins(10, 210_000);
    const list = await newList(projectId, fresh);
    const letter = await newLetter(projectId, 'En helt ny tekst om noe annet: vi ønsker å høre om din erfaring med fastlegen.');
    await p.as(ops).put('/registry/reservations', { nins: fresh.slice(0, 3), reserved: true });
    await p.as({ sub: fresh[3]!, role: 'citizen' }).post(`/citizen/projects/${projectId}/withdraw`);
    await p.as(ops).put('/registry/population', { nins: [fresh[4]], deceased: true });
    await p.as(ops).put('/registry/population', { nins: [fresh[5]], known: false });
    const res = await newRound(projectId, { letterId: letter, listId: list });
    const { reach, ...counts } = res.body.preflight;
    // Who the letter reaches, as the release confirmation states it: the eligible, by channel
    // (the project's rule on the registry facts) and by the language they will read.
    const byChannel = reach.byChannel as Record<string, number>;
    expect(Object.keys(byChannel).sort()).toEqual(['digital-mailbox', 'helsenorge', 'noChannel', 'paper', 'viaGuardians']);
    expect(Object.values(byChannel).reduce((a, b) => a + b, 0)).toBe(4);
    expect(byChannel['digital-mailbox']).toBe(0); // helsenorge-then-paper never uses it
    expect(Object.values(reach.byLanguage as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(4 - byChannel.noChannel! - byChannel.viaGuardians!);
    expect(counts).toEqual({
      total: 10,
      eligible: 4,
      reserved: 3,
      withdrawn: 1,
      alreadySent: 0,
      invalid: 0,
      deceased: 1,
      notFound: 1,
      frequencyCapped: 0,
      notAwaitingAnswer: 0,
      minors: { policy: 'exclude', underSixteen: 0, viaGuardians: 0, guardianLetters: 0, withoutGuardian: 0, guardianAccessReserved: 0, skippedMinor: 0, underGuardianship: 0, ignoredGuardianIds: 0 },
    });
  });

  it('should count citizens over the frequency cap', async () => {
    const capped = syntheticNins(6, 220_000);
    const list = await newList(projectId, capped);
    const letter = await newLetter(projectId, 'Nytt brev om kosthold og trening, med en kort spørreundersøkelse om vaner.');
    // Three unrelated letters in the last 30 days to the first two (the default cap is 3).
    for (const [i, text] of ['Brev A om tannhelse og besøk hos tannlegen.', 'Brev B om vaksiner for voksne.', 'Brev C om søvnvaner hos barn.'].entries()) {
      const l = await newLetter(projectId, text);
      const r = await newRound(projectId, { letterId: l, listId: list });
      await simulateSent(projectId, r.body.roundId, capped.slice(0, 2), new Date(Date.now() - (i + 1) * 86_400_000).toISOString());
    }
    const res = await newRound(projectId, { letterId: letter, listId: list });
    expect(res.body.preflight).toMatchObject({ total: 6, eligible: 4, frequencyCapped: 2 });

    expect((await p.as(superuser).put(`/projects/${projectId}/settings`, { frequencyCap: 5 })).status).toBe(200);
    expect((await newRound(projectId, { letterId: letter, listId: list })).body.preflight).toMatchObject({ eligible: 6, frequencyCapped: 0 });
  });

  it('lists the project rounds and cancels a round before release', async () => {
    const list = await p.as(ops).get(`/projects/${projectId}/rounds`);
    expect(list.status).toBe(200);
    expect(list.body.items.length).toBeGreaterThanOrEqual(4);
    const res = await newRound(projectId, { letterId, listId, canary: { size: 5 } });
    const cancel = await p.as(researcher).post(`/projects/${projectId}/rounds/${res.body.roundId}/cancel`);
    expect(cancel.status).toBe(200);
    expect(cancel.body).toMatchObject({ status: 'cancelled', canary: { size: 5 } });
    expect(cancel.body.counts).toMatchObject({ planned: 40, cancelled: 40, pending: 0 });
    const again = await p.as(researcher).post(`/projects/${projectId}/rounds/${res.body.roundId}/cancel`);
    expect(again.status).toBe(409);
  });

  it('refuses callers who may not create rounds and unknown letters or lists', async () => {
    expect((await p.as(outsider).post(`/projects/${projectId}/rounds`, { letterId, listId })).status).toBe(404);
    expect((await p.as(superuser).post(`/projects/${projectId}/rounds`, { letterId, listId })).status).toBe(403);
    expect((await newRound(projectId, { letterId: 'ltr_nope', listId })).status).toBe(404);
    expect((await newRound(projectId, { letterId, listId: 'lst_nope' })).status).toBe(404);
    expect((await newRound(projectId, { letterId, listId, letterVersion: 99 })).status).toBe(404);
    expect((await newRound(projectId, { letterId, listId, onlyNonResponders: true })).body.error.code).toBe('NOT_A_FORM_TASK');
    expect((await newRound(projectId, { letterId })).status).toBe(400);
    expect((await p.as(superuser).get(`/projects/${projectId}/rounds/rnd_nope`)).status).toBe(404);
  });
});

describe('reminder rounds', () => {
  it('should reach only recipients who have not answered the form task', async () => {
    const projectId = await newProject('Skjemastudien');
    const form = await p.as(researcher).post(`/projects/${projectId}/form-tasks`, {
      title: 'Spørreskjema',
      form: { type: 'internal', questions: [{ id: 'q1', text: { nb: 'Hvordan sover du?' }, type: 'text', required: true }] },
    });
    expect(form.status).toBe(201);
    const formTaskId = form.body.formTaskId as string;
    const invite = await newLetter(projectId, 'Vi ber deg svare på et kort spørreskjema om søvn. Du finner det under oppgaver.', { kind: 'form-task', formTaskId });
    const nins = syntheticNins(6, 230_000);
    const listId = await newList(projectId, nins);
    const first = await newRound(projectId, { letterId: invite, listId });
    expect(first.body.status).toBe('ready');

    // Dispatch of the invitation to the first four, as the worker does it: the task, then the contact.
    const delivered = nins.slice(0, 4);
    for (const [i, nin] of delivered.entries()) {
      await createTaskForDelivery(rawAdapters(), { nin, projectId, formTaskId, deliveryId: `dlv_${i}`, language: 'nb', now: new Date().toISOString() });
    }
    await simulateSent(projectId, first.body.roundId, delivered);
    for (const nin of delivered.slice(0, 2)) {
      const answered = await p.as({ sub: nin, role: 'citizen' }).post(`/citizen/tasks/${formTaskId}/answers`, { answers: { q1: 'Godt' } });
      expect(answered.status).toBe(200);
    }

    const reminder = await newLetter(projectId, 'Påminnelse: vi har ikke fått svaret ditt på spørreskjemaet om søvn ennå. Det tar fem minutter.', {
      kind: 'form-task',
      formTaskId,
    });
    const res = await newRound(projectId, { letterId: reminder, listId, onlyNonResponders: true });
    expect(res.status).toBe(201);
    expect(res.body.status).toBe('ready');
    expect(res.body.preflight).toMatchObject({ total: 6, eligible: 2, notAwaitingAnswer: 4 });
    expect((await rawAdapters().rounds.getRound(projectId, res.body.roundId))?.onlyNonResponders).toBe(true);

    // The invitation itself again, as a reminder: identical content is still never sent twice.
    const resend = await newRound(projectId, { letterId: invite, listId, onlyNonResponders: true });
    expect(resend.body.preflight).toMatchObject({ eligible: 0, alreadySent: 4, notAwaitingAnswer: 2 });
  });
});

describe('round repository and the engine counter shards', () => {
  it('keeps the status index in step with transitions and refuses one from a status the round already left', async () => {
    const projectId = await newProject('Repo');
    const letterId = await newLetter(projectId, 'Et brev om noe helt eget, for å prøve overgangene.');
    const listId = await newList(projectId, syntheticNins(5, 240_000));
    const { roundId } = (await newRound(projectId, { letterId, listId })).body;
    const repo = rawAdapters().rounds;
    expect((await repo.listRoundsByStatus('ready')).map((r) => r.roundId)).toContain(roundId);
    expect(await repo.transitionRound(projectId, roundId, ['ready'], 'held')).toBe(true);
    expect(await repo.transitionRound(projectId, roundId, ['ready'], 'cancelled')).toBe(false);
    expect((await repo.listRoundsByStatus('ready')).map((r) => r.roundId)).not.toContain(roundId);
    expect((await repo.listRoundsByStatus('held')).map((r) => r.roundId)).toContain(roundId);
    // The transition table refuses what no use case may do, before anything is written.
    await expect(repo.transitionRound(projectId, roundId, ['held'], 'completed')).rejects.toThrow(/no transition/);
  });

  it('serialises two releases of one project: the second finds the release sequence moved and must decide again', async () => {
    const projectId = await newProject('Repo 2');
    const letterId = await newLetter(projectId, 'Et brev om noe helt eget, for å prøve frigivningen.');
    const listId = await newList(projectId, syntheticNins(5, 241_000));
    const a = (await newRound(projectId, { letterId, listId })).body.roundId as string;
    const b = (await newRound(projectId, { letterId, listId })).body.roundId as string;
    const repo = rawAdapters().rounds;
    const seq = await repo.releaseSeq(projectId);
    const info = { releasedBy: researcher.sub, releasedAt: new Date().toISOString(), layout: layoutOf(5, 100) };
    const [ra, rb] = await Promise.all([repo.releaseRound(projectId, a, ['ready'], info, seq), repo.releaseRound(projectId, b, ['ready'], info, seq)]);
    expect([ra, rb].sort()).toEqual(['raced', 'released']);
    expect(await repo.releaseSeq(projectId)).toBe(seq + 1);
  });

  it('counts concurrent batch commits exactly in the counter shards', async () => {
    const store = rawAdapters().batches;
    const roundId = `rnd_shards_${Date.now()}`;
    const commitBatch = async (batchNo: number, outcomes: RecipientOutcome[]) => {
      const ref = { projectId: 'p', roundId, batchNo };
      const claim = await store.claim(ref, outcomes.length, `lease${batchNo}`, Date.now() + 60_000, Date.now());
      expect(claim.kind).toBe('claimed');
      const before = claim.kind === 'claimed' ? claim.state.outcomes : [];
      await store.commit(ref, `lease${batchNo}`, { outcomes, chained: true }, deltaOf(before, outcomes), { canary: false });
    };
    const at = 1;
    await Promise.all([
      commitBatch(0, [
        { kind: 'sent', channel: 'helsenorge', at },
        { kind: 'skipped', reason: 'deceased', at },
      ]),
      commitBatch(1, [
        { kind: 'sent', channel: 'paper', at },
        { kind: 'skipped', reason: 'frequency_cap', at },
      ]),
      commitBatch(16, [
        { kind: 'skipped', reason: 'reserved', at },
        { kind: 'pending', tries: 1 },
      ]),
    ]);
    const progress = await store.progress(roundId, 6);
    expect(progress.counts).toMatchObject({ planned: 6, sent: 2, skippedOther: 2, skippedReserved: 1, pending: 1 });
    expect(progress.skipReasons).toEqual({ deceased: 1, frequency_cap: 1 });
    const chains = await store.chains(roundId, 17);
    expect(chains.filter((b) => !b.done).map((b) => b.batchNo)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
    expect(chains.filter((b) => b.chained).map((b) => b.batchNo)).toEqual([0, 1, 16]);
    // Retention: batch items and counter shards carry a TTL 90 days (RETENTION_DAYS) after their last write.
    const items = (
      await DynamoDBDocumentClient.from(p.dynamo).send(new QueryCommand({ TableName: p.env.TABLE_DELIVERIES, KeyConditionExpression: 'roundId = :r', ExpressionAttributeValues: { ':r': roundId } }))
    ).Items!;
    expect(items.length).toBeGreaterThan(0);
    for (const i of items) expect(Math.abs(Number(i.expiresAt) - (Date.now() / 1000 + 90 * 86_400))).toBeLessThan(3_600);
    // A batch that is done cannot be claimed again.
    expect((await store.claim({ projectId: 'p', roundId, batchNo: 0 }, 2, 'again', Date.now() + 60_000, Date.now())).kind).toBe('done');
  });
});
