import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../../setup/platform.js';
import { approvedProject, createRound, pauseConfirmed, roundOf, syntheticNins, uploadList, waitFor } from '../dispatch/flow.js';

/**
 * "Paused at T — 0 letters since": the pause dialog counts letters from their delivery times in
 * the contact ledger, not from the round's counters (which catch up after the fact).
 */
let p: TestPlatform;
beforeAll(async () => {
  p = await startTestPlatform({ env: { DISPATCH_BATCH_SIZE: '25' } });
});
afterAll(async () => {
  await p?.stop();
});

const ops = { sub: 'otto', role: 'operations' } as const;

describe('letters sent since a moment (operations)', () => {
  it('counts the letters of the project handed over after the moment, from their delivery times', async () => {
    const a = await approvedProject(p, 'uio');
    const before = new Date().toISOString();
    const listId = await uploadList(a, syntheticNins(30, 930_000));
    const round = await createRound(a, listId);
    expect((await a.researcher.post(`/projects/${a.projectId}/rounds/${round.roundId}/release`)).status).toBe(202);
    const done = await waitFor(
      () => roundOf(a, round.roundId),
      (r) => r.status === 'completed',
      120_000,
      200,
    );
    const after = new Date(Date.now() + 1).toISOString();

    const all = await p.as(ops).get(`/projects/${a.projectId}/sent-since?at=${encodeURIComponent(before)}`);
    expect(all.status, all.text).toBe(200);
    expect(all.body.sent).toBe(done.counts.sent);
    expect(all.body.since).toBe(before);
    expect(all.body.lastSentAt >= before).toBe(true);

    const none = await p.as(ops).get(`/projects/${a.projectId}/sent-since?at=${encodeURIComponent(after)}`);
    expect(none.body).toMatchObject({ sent: 0, since: after });

    expect((await p.as(ops).get(`/projects/${a.projectId}/sent-since?at=yesterday`)).status).toBe(400);
    expect((await a.researcher.get(`/projects/${a.projectId}/sent-since?at=${encodeURIComponent(before)}`)).status).toBe(403);
  });

  it('a pause while letters are leaving is confirmed when nothing is in flight any more: none is handed over after that moment', async () => {
    const a = await approvedProject(p, 'ntnu');
    const listId = await uploadList(a, syntheticNins(600, 931_000));
    const round = await createRound(a, listId);
    expect((await a.researcher.post(`/projects/${a.projectId}/rounds/${round.roundId}/release`)).status).toBe(202);
    await waitFor(
      () => roundOf(a, round.roundId),
      (r) => r.counts.sent >= 25,
      120_000,
      100,
    );
    const paused = await pauseConfirmed(p.as(ops), a.projectId, 'Feil i teksten');
    expect(paused.body).toMatchObject({ status: 'paused', inFlight: 0, pauseConfirmedAt: expect.any(String) });
    const { pausedAt, pauseConfirmedAt } = paused.body as { pausedAt: string; pauseConfirmedAt: string };
    expect(pauseConfirmedAt >= pausedAt).toBe(true);
    // Kept on the project: every operator's page counts from it, not only the one that paused.
    expect((await p.as(ops).get(`/projects/${a.projectId}`)).body).toMatchObject({ status: 'paused', pausedAt, pauseConfirmedAt });
    const atPause = await roundOf(a, round.roundId);
    // Once the project's parked batches have been seen by the workers (the counts stand still), nothing left after the confirmation.
    await new Promise((r) => setTimeout(r, 2_000));
    expect((await roundOf(a, round.roundId)).counts).toEqual(atPause.counts);
    expect((await p.as(ops).get(`/projects/${a.projectId}/sent-since?at=${encodeURIComponent(pauseConfirmedAt)}`)).body.sent).toBe(0);

    // A second pause request of a confirmed pause changes nothing; the resume takes the confirmation away.
    expect((await p.as(ops).post(`/projects/${a.projectId}/pause`, { reason: 'Igjen' })).body).toMatchObject({ pausedAt, pauseConfirmedAt });
    expect((await p.as(ops).post(`/projects/${a.projectId}/resume`)).status).toBe(200);
    const resumed = (await p.as(ops).get(`/projects/${a.projectId}`)).body as Record<string, unknown>;
    expect(resumed.status).toBe('approved');
    expect(resumed.pauseConfirmedAt).toBeUndefined();
  });
});
