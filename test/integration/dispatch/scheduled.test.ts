import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../../setup/platform.js';
import { lettersByCitizen } from './channel-scan.js';
import { approvedProject, createRound, roundOf, syntheticNins, uploadList, waitFor } from './flow.js';

/**
 * Scheduled release (API.md: release {at}): the round waits as `scheduled`, every gate is checked
 * again when its time comes (the local runtime's scheduler ticks every second, EventBridge every
 * minute when deployed), and cancel works while it waits.
 */
let p: TestPlatform;
beforeAll(async () => {
  p = await startTestPlatform();
});
afterAll(async () => {
  await p?.stop();
});

const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toISOString();

describe('scheduled release', () => {
  it('waits as scheduled until its time, then sends like any release', async () => {
    const a = await approvedProject(p, 'sched-ok');
    const nins = syntheticNins(30, 950_000);
    const round = await createRound(a, await uploadList(a, nins));
    const at = inSeconds(3);
    const res = await a.researcher.post(`/projects/${a.projectId}/rounds/${round.roundId}/release`, { at });
    expect(res.status, res.text).toBe(202);
    expect(res.body).toMatchObject({ status: 'scheduled', scheduledFor: at });
    const waiting = await roundOf(a, round.roundId);
    expect(waiting.status).toBe('scheduled');
    expect((waiting as unknown as { scheduledFor: string }).scheduledFor).toBe(at);
    expect((await lettersByCitizen(p, round.roundId)).size).toBe(0);
    const done = await waitFor(
      () => roundOf(a, round.roundId),
      (r) => r.status === 'completed',
      120_000,
      250,
    );
    expect(done.counts).toMatchObject({ planned: 30, sent: 30, pending: 0 });
    const audit = (await a.researcher.get(`/projects/${a.projectId}/audit`)).body.items.map((e: { action: string }) => e.action);
    expect(audit).toEqual(expect.arrayContaining(['round.scheduled', 'round.released', 'round.completed']));

    // The round's record for the board: counts, who released it, who approved the exact version, the sealed audit head.
    const report = await a.researcher.get(`/projects/${a.projectId}/rounds/${round.roundId}/report`);
    expect(report.status, report.text).toBe(200);
    expect(report.body).toMatchObject({ counts: { planned: 30, sent: 30 }, releasedBy: 'researcher@sched-ok', releasedByName: 'Forsker', findings: [] });
    expect(report.body.completedAt).toEqual(expect.any(String));
    expect(report.body.approvals).toEqual([expect.objectContaining({ version: 1, contentHash: expect.any(String), by: 'superuser@sched-ok' })]);
    const verify = await a.researcher.get(`/projects/${a.projectId}/audit/verify`);
    expect(verify.body.ok).toBe(true);
    expect(report.body.auditHead).toEqual(expect.any(String));
    const csv = await a.researcher.get(`/projects/${a.projectId}/rounds/${round.roundId}/report?format=csv`);
    expect(csv.status).toBe(200);
    const lines = csv.text.trim().split('\r\n');
    expect(lines[0]).toBe('recipient,outcome,at');
    expect(lines).toHaveLength(31);
    for (const nin of nins) expect(csv.text).not.toContain(nin);
    expect(new Set(lines.slice(1).map((l) => l.split(',')[0])).size).toBe(30);
    expect(lines.slice(1).every((l) => l.split(',')[1] === 'sent')).toBe(true);
    const pseudonyms = lines.slice(1).map((l) => l.split(',')[0]!);
    expect(pseudonyms).toEqual([...pseudonyms].sort());
  }, 180_000);

  it('checks every gate again when it fires: a project paused meanwhile sends nothing, and the round says why', async () => {
    const a = await approvedProject(p, 'sched-paused');
    const round = await createRound(a, await uploadList(a, syntheticNins(10, 951_000)));
    expect((await a.researcher.post(`/projects/${a.projectId}/rounds/${round.roundId}/release`, { at: inSeconds(2) })).status).toBe(202);
    expect((await a.operations.post(`/projects/${a.projectId}/pause`, { reason: 'Stans før planlagt utsending' })).status).toBe(200);
    const back = await waitFor(
      () => roundOf(a, round.roundId),
      (r) => r.status !== 'scheduled',
      60_000,
      250,
    );
    expect(back.status).toBe('ready');
    expect((back as unknown as { findings: { code: string; refusal?: string }[] }).findings).toEqual(
      expect.arrayContaining([expect.objectContaining({ code: 'SCHEDULED_RELEASE_REFUSED', refusal: 'PROJECT_PAUSED' })]),
    );
    expect((await lettersByCitizen(p, round.roundId)).size).toBe(0);
  }, 120_000);

  it('can be cancelled while it waits, and refuses a time in the past or more than a year ahead', async () => {
    const a = await approvedProject(p, 'sched-cancel');
    const round = await createRound(a, await uploadList(a, syntheticNins(10, 952_000)));
    const past = await a.researcher.post(`/projects/${a.projectId}/rounds/${round.roundId}/release`, { at: inSeconds(-60) });
    expect(past.status).toBe(400);
    expect(past.body.error.code).toBe('VALIDATION_FAILED');
    const far = await a.researcher.post(`/projects/${a.projectId}/rounds/${round.roundId}/release`, { at: new Date(Date.now() + 400 * 86_400_000).toISOString() });
    expect(far.status).toBe(400);
    expect((await a.researcher.post(`/projects/${a.projectId}/rounds/${round.roundId}/release`, { at: 'next monday' })).status).toBe(400);
    expect((await roundOf(a, round.roundId)).status).toBe('ready');
    expect((await a.researcher.post(`/projects/${a.projectId}/rounds/${round.roundId}/release`, { at: inSeconds(3600) })).status).toBe(202);
    const cancelled = await a.researcher.post(`/projects/${a.projectId}/rounds/${round.roundId}/cancel`);
    expect(cancelled.status, cancelled.text).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', counts: { planned: 10, cancelled: 10, pending: 0 } });
  }, 120_000);
});
