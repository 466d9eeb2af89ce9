import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../../setup/platform.js';
import { lettersByCitizen } from './channel-scan.js';
import { approvedProject, createRound, pauseConfirmed, roundOf, syntheticNins, uploadList, waitFor } from './flow.js';

/**
 * The automatic brake end to end (issue 27): a superuser sets it per project; a round whose
 * recipients turn out reserved far beyond what its pre-flight found pauses the project by itself,
 * says why to researcher and operations, audits the figures, and sends nothing more until a
 * person resumes it.
 */
let p: TestPlatform;
beforeAll(async () => {
  p = await startTestPlatform();
});
afterAll(async () => {
  await p?.stop();
});

describe('the automatic brake', () => {
  it('is set per project by a superuser, within bounds, and shown with its defaults', async () => {
    const a = await approvedProject(p, 'brake-settings');
    const before = await a.researcher.get(`/projects/${a.projectId}`);
    expect(before.body.brake).toEqual({ fromRecipients: 5_000, windowRecipients: 1_000, maxFailedPercent: 10, maxReservedExcessPoints: 20, canaryRecipients: 0 });
    expect((await a.researcher.put(`/projects/${a.projectId}/settings`, { brake: { fromRecipients: 100 } })).status).toBe(403);
    const bad = await a.superuser.put(`/projects/${a.projectId}/settings`, { brake: { windowRecipients: 10 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_FAILED');
    const set = await a.superuser.put(`/projects/${a.projectId}/settings`, { brake: { fromRecipients: 100, maxFailedPercent: 5 } });
    expect(set.status, set.text).toBe(200);
    expect(set.body.brake).toEqual({ fromRecipients: 100, windowRecipients: 1_000, maxFailedPercent: 5, maxReservedExcessPoints: 20, canaryRecipients: 0 });
    const audit = await a.superuser.get(`/projects/${a.projectId}/audit`);
    expect(audit.body.items.at(-1)).toMatchObject({ action: 'project.settings_changed', details: { brake: { fromRecipients: 100, maxFailedPercent: 5 } } });
  });

  it('starts a watched round with a canary when the project asks for one, and holds the round after it', async () => {
    const a = await approvedProject(p, 'brake-canary');
    expect((await a.superuser.put(`/projects/${a.projectId}/settings`, { brake: { fromRecipients: 150, canaryRecipients: 40 } })).status).toBe(200);
    const listId = await uploadList(a, syntheticNins(200, 650_000));
    const watchedRound = await createRound(a, listId);
    expect((await a.researcher.get(`/projects/${a.projectId}/rounds/${watchedRound.roundId}`)).body.canary).toEqual({ size: 40, automatic: true });
    expect((await a.researcher.post(`/projects/${a.projectId}/rounds/${watchedRound.roundId}/release`)).status).toBe(202);
    const held = await waitFor(
      () => roundOf(a, watchedRound.roundId),
      (r) => r.status === 'canary_hold',
      60_000,
      100,
    );
    expect(held.counts).toMatchObject({ sent: 40, pending: 160 });
    // A smaller list is not watched: no canary.
    const small = await createRound(a, await uploadList(a, syntheticNins(100, 651_000)));
    expect((await a.researcher.get(`/projects/${a.projectId}/rounds/${small.roundId}`)).body.canary).toBeUndefined();
  });

  it('pauses the project when a window holds far more reserved recipients than the pre-flight found; a person resumes it', async () => {
    const a = await approvedProject(p, 'brake-trip');
    expect((await a.superuser.put(`/projects/${a.projectId}/settings`, { brake: { fromRecipients: 100, windowRecipients: 100 } })).status).toBe(200);
    const nins = syntheticNins(600, 640_000);
    const round = await createRound(a, await uploadList(a, nins));
    expect(round.preflight).toMatchObject({ total: 600, reserved: 0 });
    // After the pre-flight, half of the list's second half reserves itself against research.
    const late = nins.slice(300).filter((_, i) => i % 2 === 0);
    expect((await a.operations.put('/registry/reservations', { nins: late, reserved: true })).status).toBe(200);
    expect((await a.researcher.post(`/projects/${a.projectId}/rounds/${round.roundId}/release`)).status).toBe(202);

    const paused = await waitFor(
      async () => (await a.researcher.get(`/projects/${a.projectId}`)).body as { status: string; pausedBy?: string; pauseReason?: string },
      (pr) => pr.status === 'paused',
      60_000,
      100,
    );
    expect(paused.pausedBy).toBe('system:brake');
    expect(paused.pauseReason).toMatch(/^Automatisk brems: \d+ av \d+ mottakere \([\d,]+ %\) i et utsnitt av runden var reservert/);
    // The trip's figures are audited just after the pause is in place (lifecycle.ts brake): a read
    // right after the pause may come between the two.
    const audit = await waitFor(
      async () => (await a.operations.get(`/projects/${a.projectId}/audit`)).body.items as { actor: string; action: string; details: Record<string, unknown> }[],
      (items) => items.some((e) => e.action === 'round.brake_tripped'),
      10_000,
      100,
    );
    expect(audit.find((e) => e.action === 'round.brake_tripped')).toMatchObject({ actor: 'system:brake', details: { roundId: round.roundId, rule: 'reserved' } });
    expect(audit.find((e) => e.action === 'project.paused')).toMatchObject({ actor: 'system:brake' });

    // Nothing more leaves. The brake does not wait for the waves already in flight (a pause by
    // operations does); asked again, the pause answers once nothing is in flight, and from then on
    // no letter is sent. (A wave may still record skips: deciding not to send needs no gate.)
    const ack = await pauseConfirmed(a.operations, a.projectId, 'Kontroll etter automatisk brems');
    expect(ack.body).toMatchObject({ status: 'paused', inFlight: 0 });
    const held = await roundOf(a, round.roundId);
    expect(held.status).toBe('paused');
    expect(held.counts.pending).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 1_500));
    const later = await roundOf(a, round.roundId);
    expect(later.counts.sent).toBe(held.counts.sent);
    expect(later.counts.pending).toBeGreaterThan(0);
    const letters = await lettersByCitizen(p, round.roundId);
    for (const nin of late) expect(letters.get(nin) ?? 0).toBe(0);

    // Operations looked, found the reservations genuine, and let it go on with a wider margin.
    expect((await a.superuser.put(`/projects/${a.projectId}/settings`, { brake: { maxReservedExcessPoints: 60 } })).status).toBe(200);
    expect((await a.operations.post(`/projects/${a.projectId}/resume`)).status).toBe(200);
    const done = await waitFor(
      () => roundOf(a, round.roundId),
      (r) => r.status === 'completed',
      120_000,
      200,
    );
    expect(done.counts).toMatchObject({ planned: 600, sent: 600 - late.length, skippedReserved: late.length, pending: 0 });
  }, 240_000);
});
