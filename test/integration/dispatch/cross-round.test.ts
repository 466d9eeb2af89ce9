import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../../setup/platform.js';
import { lettersByCitizen } from './channel-scan.js';
import { approvedProject, createRound, roundOf, syntheticNins, uploadList, waitFor, type ApprovedProject } from './flow.js';
import { completeChecklist } from '../checklist.js';

/**
 * Nobody gets the same content twice, however rounds are timed (API.md, release): duplicate
 * detection runs again at release against every round that has sent or is sending, and releases
 * of one project are serialised, so two rounds released at the same moment cannot both pass.
 */
let p: TestPlatform;
let offset = 900_000;
beforeAll(async () => {
  p = await startTestPlatform({ env: { DISPATCH_BATCH_SIZE: '25' } });
});
afterAll(async () => {
  await p?.stop();
});

const release = (a: ApprovedProject, roundId: string) => a.researcher.post(`/projects/${a.projectId}/rounds/${roundId}/release`);
const completed = (a: ApprovedProject, roundId: string) =>
  waitFor(
    () => roundOf(a, roundId),
    (r) => r.status === 'completed',
    180_000,
    200,
  );

/** A second, approved version of the project's letter with a different text (a correction). */
const approvedV2 = async (a: ApprovedProject) => {
  const put = await a.researcher.put(`/projects/${a.projectId}/letters/${a.letterId}`, {
    content: {
      nb: { subject: 'Rettelse: ny dato for Hjertestudien', body: 'Vi har flyttet oppstarten til april, og møtestedet er nå sykehusets nye poliklinikk i tredje etasje.' },
      nn: { subject: 'Retting: ny dato for Hjartestudien', body: 'Vi har flytta oppstarten til april, og møtestaden er no den nye poliklinikken til sjukehuset i tredje etasje.' },
    },
  });
  expect(put.status, put.text).toBe(200);
  const approve = await a.superuser.post(`/projects/${a.projectId}/letters/${a.letterId}/approve`, { version: put.body.version, checklist: await completeChecklist(a.superuser, a.projectId) });
  expect(approve.status, approve.text).toBe(200);
  return put.body.version as number;
};

const lettersOf = async (roundIds: readonly string[]) => {
  const total = new Map<string, number>();
  for (const r of roundIds) for (const [nin, n] of await lettersByCitizen(p, r)) total.set(nin, (total.get(nin) ?? 0) + n);
  return total;
};

describe('the same content across rounds', () => {
  it('identical content released twice at once: one release passes, the other is OVERLAPPING_ROUND_ACTIVE; released again later it sends nothing twice', async () => {
    const a = await approvedProject(p, 'cross-identical');
    const nins = syntheticNins(300, (offset += 10_000));
    const listId = await uploadList(a, nins);
    const first = await createRound(a, listId);
    const second = await createRound(a, listId);
    const [r1, r2] = await Promise.all([release(a, first.roundId), release(a, second.roundId)]);
    const statuses = [r1.status, r2.status].sort();
    expect(statuses, `${r1.text} ${r2.text}`).toEqual([202, 409]);
    const refused = r1.status === 409 ? r1 : r2;
    expect(refused.body.error.code).toBe('OVERLAPPING_ROUND_ACTIVE');
    const [winner, loser] = r1.status === 202 ? [first.roundId, second.roundId] : [second.roundId, first.roundId];
    await completed(a, winner);

    // Identical content is never a reason to hold: released now, everyone is skipped as a duplicate.
    expect((await release(a, loser)).status).toBe(202);
    const again = await completed(a, loser);
    expect(again.counts).toMatchObject({ planned: 300, sent: 0, skippedDuplicate: 300, pending: 0 });
    const letters = await lettersOf([winner, loser]);
    expect(letters.size).toBe(300);
    for (const nin of nins) expect(letters.get(nin)).toBe(1);
  }, 300_000);

  it('v1 and v2 released at once: only one goes out; the other is refused and nobody gets both', async () => {
    const a = await approvedProject(p, 'cross-versions');
    const nins = syntheticNins(300, (offset += 10_000));
    const listId = await uploadList(a, nins);
    const v1Round = await createRound(a, listId, { letterVersion: 1 });
    await approvedV2(a);
    const v2Round = await createRound(a, listId, { letterVersion: 2 });
    expect([v1Round.status, v2Round.status]).toEqual(['ready', 'ready']);
    const [r1, r2] = await Promise.all([release(a, v1Round.roundId), release(a, v2Round.roundId)]);
    expect([r1.status, r2.status].sort(), `${r1.text} ${r2.text}`).toEqual([202, 409]);
    const refused = r1.status === 409 ? r1 : r2;
    expect(['DUPLICATE_ROUND', 'OVERLAPPING_ROUND_ACTIVE']).toContain(refused.body.error.code);
    const winner = r1.status === 202 ? v1Round.roundId : v2Round.roundId;
    const loser = winner === v1Round.roundId ? v2Round.roundId : v1Round.roundId;
    await completed(a, winner);
    // A changed version to people who got the other one waits for a superuser.
    const retry = await release(a, loser);
    expect(retry.status).toBe(409);
    expect(retry.body.error.code).toBe('DUPLICATE_ROUND');
    expect((await roundOf(a, loser)).status).toBe('held');
    const letters = await lettersOf([winner, loser]);
    expect(letters.size).toBe(300);
    for (const nin of nins) expect(letters.get(nin)).toBe(1);
  }, 300_000);

  it('v2 released after v1 completed: held as DUPLICATE_ROUND at release, and sent only after a superuser overrides it', async () => {
    const a = await approvedProject(p, 'cross-after');
    const nins = syntheticNins(200, (offset += 10_000));
    const listId = await uploadList(a, nins);
    const v1Round = await createRound(a, listId, { letterVersion: 1 });
    await approvedV2(a);
    // Created before v1 went out: its pre-flight saw nothing to hold.
    const v2Round = await createRound(a, listId, { letterVersion: 2 });
    expect(v2Round.status).toBe('ready');
    expect((await release(a, v1Round.roundId)).status).toBe(202);
    await completed(a, v1Round.roundId);

    const refused = await release(a, v2Round.roundId);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('DUPLICATE_ROUND');
    const held = await roundOf(a, v2Round.roundId);
    expect(held.status).toBe('held');
    expect((await lettersOf([v2Round.roundId])).size).toBe(0);

    // The researcher cannot override; a superuser who did not create the round can, with a reason.
    expect((await a.researcher.post(`/projects/${a.projectId}/rounds/${v2Round.roundId}/override`, { reason: 'Rettelse av dato må ut til alle' })).status).toBe(403);
    const override = await a.superuser.post(`/projects/${a.projectId}/rounds/${v2Round.roundId}/override`, { reason: 'Rettelse av dato må ut til alle' });
    expect(override.status, override.text).toBe(200);
    expect((await release(a, v2Round.roundId)).status).toBe(202);
    const done = await completed(a, v2Round.roundId);
    expect(done.counts).toMatchObject({ planned: 200, sent: 200, pending: 0 });
    // Each citizen: v1 once and the correction once, never either twice.
    const v1 = await lettersOf([v1Round.roundId]);
    const v2 = await lettersOf([v2Round.roundId]);
    for (const nin of nins) {
      expect(v1.get(nin)).toBe(1);
      expect(v2.get(nin)).toBe(1);
    }
  }, 300_000);
});
