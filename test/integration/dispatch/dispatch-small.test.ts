import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../../setup/platform.js';
import { approvedProject, createRound, roundOf, sumOfCounts, syntheticNins, uploadList, waitFor } from './flow.js';

let p: TestPlatform;
beforeAll(async () => {
  p = await startTestPlatform();
});
afterAll(async () => {
  await p?.stop();
});

describe('a released round is dispatched with every gate at send time', () => {
  it('sends to eligible citizens only, on the right channel, and the counts add up', async () => {
    const a = await approvedProject(p, 'uio');
    const nins = syntheticNins(300, 10_000);
    const reserved = nins.slice(0, 30);
    const withdrawn = nins.slice(30, 33);
    const paper = nins.slice(40, 45);
    const paperReserved = nins.slice(0, 2); // also reserved: must get nothing on any channel
    expect((await a.operations.put('/registry/reservations', { nins: reserved, reserved: true })).status).toBe(200);
    for (const nin of withdrawn) expect((await p.as({ sub: nin, role: 'citizen' }).post(`/citizen/projects/${a.projectId}/withdraw`)).status).toBeLessThan(300);
    // Not digital in any register: no portal, and no Digipost mailbox (Digipost would put a letter with print details in one).
    expect((await a.operations.put('/registry/population', { nins: [...paper, ...paperReserved], digitallyActive: false, digitalMailbox: false })).status).toBe(200);

    const listId = await uploadList(a, nins);
    const round = await createRound(a, listId);
    expect(round.status).toBe('ready');
    const released = await a.researcher.post(`/projects/${a.projectId}/rounds/${round.roundId}/release`);
    expect(released.status, released.text).toBe(202);
    const done = await waitFor(
      () => roundOf(a, round.roundId),
      (r) => r.status === 'completed',
    );
    expect(done.counts).toMatchObject({ planned: 300, sent: 267, skippedReserved: 30, skippedWithdrawn: 3, pending: 0, failed: 0 });
    expect(sumOfCounts(done.counts)).toBe(done.counts.planned);

    const inbox = async (nin: string) => (await p.as({ sub: nin, role: 'citizen' }).get('/citizen/inbox')).body.items as { subject: string; body: string }[];
    expect(await inbox(nins[100]!)).toHaveLength(1);
    expect((await inbox(nins[100]!))[0]!.body).toContain('Det er frivillig å delta');
    for (const nin of [...reserved.slice(0, 5), ...withdrawn, ...paper]) expect(await inbox(nin)).toHaveLength(0);

    // The non-digital citizens got paper; the reserved non-digital got nothing at all.
    const lookup = async (nin: string) => (await a.operations.post('/operations/contacts/lookup', { nin })).body.items as { outcome: string; channel?: string; reason?: string }[];
    for (const nin of paper) expect(await lookup(nin)).toEqual([expect.objectContaining({ outcome: 'sent', channel: 'paper' })]);
    for (const nin of paperReserved) expect(await lookup(nin)).toEqual([expect.objectContaining({ outcome: 'skipped', reason: 'reserved' })]);
    expect((await lookup(nins[100]!))[0]).toMatchObject({ outcome: 'sent', channel: 'helsenorge', projectId: a.projectId, roundId: round.roundId });
    // The lookup shows the letter as the citizen got it: rendered again, the same text as in their inbox, checked by its fingerprint.
    const [got] = await inbox(nins[100]!);
    const [decision] = (await a.operations.post('/operations/contacts/lookup', { nin: nins[100] })).body.items as { letter?: { subject: string; body: string; language: string; exact: boolean } }[];
    expect(decision!.letter).toEqual({ language: 'nb', subject: got!.subject, body: got!.body, exact: true });
    // What the channels said about the 267 handed over.
    const view = await a.researcher.get(`/projects/${a.projectId}/rounds/${round.roundId}`);
    expect(view.body.receipts.confirmed + view.body.receipts.awaiting + view.body.receipts.failedAfterSend).toBe(267);
  });

  it('test_should_show_no_receipts_for_a_round_that_handed_nothing_over', async () => {
    const a = await approvedProject(p, 'uio-none');
    const nins = syntheticNins(4, 12_000);
    expect((await a.operations.put('/registry/reservations', { nins, reserved: true })).status).toBe(200);
    const round = await createRound(a, await uploadList(a, nins));
    expect((await a.researcher.post(`/projects/${a.projectId}/rounds/${round.roundId}/release`)).status).toBe(202);
    const done = await waitFor(
      () => roundOf(a, round.roundId),
      (r) => r.status === 'completed',
    );
    expect(done.counts).toMatchObject({ planned: 4, sent: 0, skippedReserved: 4 });
    // Nothing handed over, so no channel has anything to confirm: no "0 confirmed, 0 awaiting" line.
    const view = await a.researcher.get(`/projects/${a.projectId}/rounds/${round.roundId}`);
    expect(view.status).toBe(200);
    expect(view.body.receipts).toBeUndefined();
  });
});
