import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../../setup/platform.js';
import { lettersByCitizen } from './channel-scan.js';
import { approvedProject, createRound, people, roundOf, sumOfCounts, syntheticNins, uploadList, waitFor } from './flow.js';
import { completeChecklist } from '../checklist.js';

let p: TestPlatform;
beforeAll(async () => {
  // The engine's semantics under load (pause, halt, exactly once), with letters stored directly by
  // the channel stand-in: the ePROM and Digipost fakes' per-letter HTTP path is covered by
  // national/*.test.ts, dispatch-small, minors, cross-round, scheduled and the fault tests.
  p = await startTestPlatform({ env: { LOCAL_CHANNELS: 'stand-in' } });
});
afterAll(async () => {
  await p?.stop();
});

const release = (a: Awaited<ReturnType<typeof approvedProject>>, roundId: string) => a.researcher.post(`/projects/${a.projectId}/rounds/${roundId}/release`);
const total = (m: Map<string, number>) => [...m.values()].reduce((s, n) => s + n, 0);

describe('global halt', () => {
  it('stops two dispatching projects at once, refuses releases, and resumes both to exactly one letter each', async () => {
    const [a, b] = await Promise.all([approvedProject(p, 'halt-a'), approvedProject(p, 'halt-b')]);
    const ninsA = syntheticNins(3_000, 400_000);
    const ninsB = syntheticNins(3_000, 410_000);
    const [roundA, roundB] = await Promise.all([uploadList(a, ninsA).then((l) => createRound(a, l)), uploadList(b, ninsB).then((l) => createRound(b, l))]);
    expect((await release(a, roundA.roundId)).status).toBe(202);
    expect((await release(b, roundB.roundId)).status).toBe(202);
    await waitFor(
      () => roundOf(a, roundA.roundId),
      (r) => r.counts.sent > 300,
      300_000,
      100,
    );

    const halted = await a.operations.post('/operations/halt', { reason: 'Hendelse: alle utsendelser stanses' });
    expect(halted.status, halted.text).toBe(200);
    expect(halted.body).toMatchObject({ halted: true, inFlight: 0 });
    const [atA, atB] = await Promise.all([roundOf(a, roundA.roundId), roundOf(b, roundB.roundId)]);
    const [lettersA, lettersB] = await Promise.all([lettersByCitizen(p, roundA.roundId), lettersByCitizen(p, roundB.roundId)]);
    expect(total(lettersA)).toBe(atA.counts.sent);
    expect(total(lettersB)).toBe(atB.counts.sent);
    await new Promise((r) => setTimeout(r, 3_000));
    expect((await roundOf(a, roundA.roundId)).counts).toEqual(atA.counts);
    expect((await roundOf(b, roundB.roundId)).counts).toEqual(atB.counts);
    expect(total(await lettersByCitizen(p, roundA.roundId))).toBe(atA.counts.sent);

    const status = await a.operations.get('/operations/status');
    expect(status.body).toMatchObject({ halted: true, inFlight: 0 });
    const extra = await createRound(a, (await a.researcher.get(`/projects/${a.projectId}/rounds/${roundA.roundId}`)).body.listId);
    expect((await release(a, extra.roundId)).body.error.code).toBe('DISPATCH_HALTED');
    expect((await a.researcher.post('/operations/halt', { reason: 'not mine to do' })).status).toBe(403);

    expect((await a.operations.post('/operations/resume')).status).toBe(200);
    const [doneA, doneB] = await Promise.all([
      waitFor(
        () => roundOf(a, roundA.roundId),
        (r) => r.status === 'completed',
        600_000,
        250,
      ),
      waitFor(
        () => roundOf(b, roundB.roundId),
        (r) => r.status === 'completed',
        600_000,
        250,
      ),
    ]);
    for (const [done, nins, roundId] of [
      [doneA, ninsA, roundA.roundId],
      [doneB, ninsB, roundB.roundId],
    ] as const) {
      expect(done.counts).toMatchObject({ planned: 3_000, sent: 3_000, pending: 0 });
      const letters = await lettersByCitizen(p, roundId);
      expect(letters.size).toBe(nins.length);
      for (const nin of nins) expect(letters.get(nin)).toBe(1);
    }
  }, 900_000);
});

describe('canary rounds', () => {
  it('stop at the canary size, wait for confirmation, then send the rest', async () => {
    const a = await approvedProject(p, 'canary');
    const listId = await uploadList(a, syntheticNins(400, 420_000));
    const round = await createRound(a, listId, { canary: { size: 50 } });
    expect((await release(a, round.roundId)).status).toBe(202);
    const held = await waitFor(
      () => roundOf(a, round.roundId),
      (r) => r.status === 'canary_hold',
      120_000,
    );
    expect(held.counts.sent).toBe(50);
    expect(held.counts.pending).toBe(350);
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await roundOf(a, round.roundId)).counts.sent).toBe(50);
    const confirmed = await a.superuser.post(`/projects/${a.projectId}/rounds/${round.roundId}/confirm-canary`);
    expect(confirmed.status, confirmed.text).toBe(200);
    const done = await waitFor(
      () => roundOf(a, round.roundId),
      (r) => r.status === 'completed',
      120_000,
    );
    expect(done.counts).toMatchObject({ planned: 400, sent: 400, pending: 0 });
  }, 300_000);

  it('test_should_hold_a_round_whose_project_went_back_to_review_and_send_the_rest_once_it_is_approved_again', async () => {
    const a = await approvedProject(p, 'canary-review');
    const listId = await uploadList(a, syntheticNins(60, 435_000));
    const round = await createRound(a, listId, { canary: { size: 10 } });
    expect((await release(a, round.roundId)).status).toBe(202);
    await waitFor(
      () => roundOf(a, round.roundId),
      (r) => r.status === 'canary_hold',
      120_000,
    );
    // The link domains change: the project goes back to review, and its round may send nothing more.
    const changed = await a.researcher.put(`/projects/${a.projectId}/link-domains`, { allowedLinkDomains: ['helse-forskning.no'] });
    expect(changed.body).toMatchObject({ status: 'in_review', approvalReset: true });
    expect((await a.superuser.post(`/projects/${a.projectId}/rounds/${round.roundId}/confirm-canary`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 3_000));
    expect((await roundOf(a, round.roundId)).counts.sent).toBe(10);
    // Approved again by a superuser: the rest goes out, each once.
    const again = await a.superuser.post(`/projects/${a.projectId}/approve`, { comment: 'Godkjent igjen', checklist: await completeChecklist(a.superuser, a.projectId) });
    expect(again.status, again.text).toBe(200);
    const done = await waitFor(
      () => roundOf(a, round.roundId),
      (r) => r.status === 'completed',
      60_000,
    );
    expect(done.counts).toMatchObject({ planned: 60, sent: 60, pending: 0 });
    expect(total(await lettersByCitizen(p, round.roundId))).toBe(60);
  }, 300_000);

  it('cancelled in canary_hold, sends no more: the rest is counted cancelled', async () => {
    const a = await approvedProject(p, 'canary-cancel');
    const listId = await uploadList(a, syntheticNins(300, 430_000));
    const round = await createRound(a, listId, { canary: { size: 20 } });
    expect((await release(a, round.roundId)).status).toBe(202);
    await waitFor(
      () => roundOf(a, round.roundId),
      (r) => r.status === 'canary_hold',
      120_000,
    );
    const cancelled = await a.researcher.post(`/projects/${a.projectId}/rounds/${round.roundId}/cancel`);
    expect(cancelled.status, cancelled.text).toBe(200);
    const done = await waitFor(
      () => roundOf(a, round.roundId),
      (r) => r.counts.pending === 0,
      120_000,
    );
    expect(done.status).toBe('cancelled');
    expect(done.counts).toMatchObject({ planned: 300, sent: 20, cancelled: 280, pending: 0 });
    expect(sumOfCounts(done.counts)).toBe(300);
    expect(total(await lettersByCitizen(p, round.roundId))).toBe(20);
    expect((await a.researcher.post(`/projects/${a.projectId}/rounds/${round.roundId}/confirm-canary`)).body.error.code).toBe('ROUND_NOT_IN_CANARY_HOLD');
  }, 300_000);
});

describe('release is refused with the first failing gate', () => {
  let linkServer: Server;
  let linkUp = true;
  let port = 0;
  beforeAll(async () => {
    linkServer = createServer((_req, res) => {
      res.statusCode = linkUp ? 200 : 503;
      res.end('ok');
    });
    await new Promise<void>((r) => linkServer.listen(0, '127.0.0.1', () => r()));
    port = (linkServer.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((r) => linkServer.close(() => r())));

  it('PROJECT_NOT_APPROVED, LETTER_NOT_APPROVED, ROUND_NOT_READY and DUPLICATE_ROUND', async () => {
    const who = people('gates');
    const researcher = p.as(who.researcher);
    const draft = (await researcher.post('/projects', { title: 'Utkast', organization: 'gates' })).body.projectId;
    const letter = (await researcher.post(`/projects/${draft}/letters`, { title: 'T', kind: 'letter', content: { nb: { subject: 'S', body: 'B' } } })).body.letterId;
    const list = (await researcher.post(`/projects/${draft}/recipient-lists`, { recipients: syntheticNins(5, 440_000).map((nin) => ({ nin })) })).body.listId;
    const draftRound = (await researcher.post(`/projects/${draft}/rounds`, { letterId: letter, listId: list })).body.roundId;
    expect((await researcher.post(`/projects/${draft}/rounds/${draftRound}/release`)).body.error.code).toBe('PROJECT_NOT_APPROVED');

    const a = await approvedProject(p, 'gates2');
    const listId = await uploadList(a, syntheticNins(10, 450_000));
    const first = await createRound(a, listId);
    expect((await release(a, first.roundId)).status).toBe(202);
    expect((await release(a, first.roundId)).body.error.code).toBe('ROUND_NOT_READY');
    await waitFor(
      () => roundOf(a, first.roundId),
      (r) => r.status === 'completed',
      60_000,
    );

    // A new version is pending until approved: releasing it is refused.
    const edited = await a.researcher.put(`/projects/${a.projectId}/letters/${a.letterId}`, {
      content: { nb: { subject: 'Invitasjon (rettet)', body: 'Hei! Vi inviterer deg til Hjertestudien — med rettet tekst.' } },
    });
    expect(edited.status, edited.text).toBe(200);
    const toOthers = await createRound(a, await uploadList(a, syntheticNins(5, 460_000)));
    expect((await release(a, toOthers.roundId)).body.error.code).toBe('LETTER_NOT_APPROVED');

    // Approved, but to the people who got version 1: held as a duplicate round until overridden.
    expect(
      (await a.superuser.post(`/projects/${a.projectId}/letters/${a.letterId}/approve`, { version: edited.body.version, checklist: await completeChecklist(a.superuser, a.projectId) })).status,
    ).toBe(200);
    const again = await createRound(a, listId);
    expect(again.status).toBe('held');
    expect((await release(a, again.roundId)).body.error.code).toBe('DUPLICATE_ROUND');
  }, 300_000);

  it('BROKEN_LINK when a link that worked at approval is dead at release', async () => {
    const who = people('links');
    const researcher = p.as(who.researcher);
    const projectId = (await researcher.post('/projects', { title: 'Lenker', organization: 'links', allowedLinkDomains: ['127.0.0.1'] })).body.projectId;
    const link = `http://127.0.0.1:${port}/studie`;
    const letter = await researcher.post(`/projects/${projectId}/letters`, {
      title: 'Med lenke',
      kind: 'letter',
      content: { nb: { subject: 'Les mer', body: `Les mer på ${link}` }, nn: { subject: 'Les meir', body: `Les meir på ${link}` } },
    });
    expect(letter.status, letter.text).toBe(201);
    await researcher.post(`/projects/${projectId}/submit`);
    linkUp = true;
    expect((await p.as(who.superuser).post(`/projects/${projectId}/approve`, { checklist: await completeChecklist(p.as(who.superuser), projectId) })).status).toBe(200);
    const listId = (await researcher.post(`/projects/${projectId}/recipient-lists`, { recipients: syntheticNins(3, 470_000).map((nin) => ({ nin })) })).body.listId;
    const roundId = (await researcher.post(`/projects/${projectId}/rounds`, { letterId: letter.body.letterId, listId })).body.roundId;
    linkUp = false;
    const refused = await researcher.post(`/projects/${projectId}/rounds/${roundId}/release`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('BROKEN_LINK');
    linkUp = true;
    expect((await researcher.post(`/projects/${projectId}/rounds/${roundId}/release`)).status).toBe(202);
  }, 120_000);
});

describe('test sends', () => {
  it('go to synthetic test persons through the worker, whatever the approval, and never count as real contacts', async () => {
    const a = await approvedProject(p, 'testsend');
    const [tester] = syntheticNins(1, 480_000);
    const edited = await a.researcher.put(`/projects/${a.projectId}/letters/${a.letterId}`, { content: { nb: { subject: 'Utkast 2', body: 'Ny tekst til test' } } });
    const sent = await a.researcher.post(`/projects/${a.projectId}/letters/${a.letterId}/test-send`, { nins: [tester] });
    expect(sent.status, sent.text).toBe(202);
    const inbox = await waitFor(
      async () => (await p.as({ sub: tester!, role: 'citizen' }).get('/citizen/inbox')).body.items as { subject: string }[],
      (items) => items.length === 1,
      60_000,
    );
    expect(inbox[0]!.subject).toBe('Utkast 2');
    const real = await a.researcher.post(`/projects/${a.projectId}/letters/${a.letterId}/test-send`, { nins: ['01017012345'] });
    expect(real.status).toBe(400);
    expect(real.text).not.toContain('01017012345');
    // A real round of the approved version 2 still reaches the tester: the test send was no contact.
    expect(
      (await a.superuser.post(`/projects/${a.projectId}/letters/${a.letterId}/approve`, { version: edited.body.version, checklist: await completeChecklist(a.superuser, a.projectId) })).status,
    ).toBe(200);
    const round = await createRound(a, await uploadList(a, [tester!]));
    expect(round.preflight).toMatchObject({ alreadySent: 0, eligible: 1 });
  }, 120_000);
});
