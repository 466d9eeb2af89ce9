import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawAdapters } from '../../../functions/adapters/index.js';
import { startTestPlatform, type TestPlatform } from '../../setup/platform.js';
import { approvedProject, createRound, roundOf, sumOfCounts, syntheticNins, uploadList, waitFor } from '../dispatch/flow.js';

/**
 * A round on a georedundant stage (issue 25), the local platform as its home region eu-north-1:
 * release homes the round here at epoch 1 — through the same transactions as single-region, which
 * is why the tables are MREC (docs/georedundancy.md) — and the worker's home check lets it through.
 */
let p: TestPlatform;
beforeAll(async () => {
  p = await startTestPlatform({ env: { GEO_REGIONS: 'eu-north-1,eu-west-1' } });
});
afterAll(async () => {
  await p?.stop();
});

describe('a round on a georedundant stage', () => {
  it('is homed where it was released (epoch 1) and completes there', { timeout: 120_000 }, async () => {
    const a = await approvedProject(p, 'geo-round');
    const nins = syntheticNins(6, 710_000);
    const round = await createRound(a, await uploadList(a, nins));
    const released = await a.researcher.post(`/projects/${a.projectId}/rounds/${round.roundId}/release`);
    expect(released.status, released.text).toBe(202);

    const stored = await rawAdapters().rounds.getRound(a.projectId, round.roundId);
    expect(stored).toMatchObject({ homeRegion: 'eu-north-1', epoch: 1 });

    const done = await waitFor(
      () => roundOf(a, round.roundId),
      (r) => r.status === 'completed',
      90_000,
      250,
    );
    expect(sumOfCounts(done.counts)).toBe(done.counts.planned);
    expect(done.counts.sent).toBeGreaterThan(0);
  });
});
