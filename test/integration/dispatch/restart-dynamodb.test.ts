import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFauxqs } from 'fauxqs';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, startDynamoLocal, type DynamoLocal } from '../../../local/emulators.js';
import { startTestPlatform } from '../../setup/platform.js';
import { lettersByCitizen } from './channel-scan.js';
import { approvedProject, createRound, expectEachAtMostOnce, RECOVERY_TIMINGS, roundOf, syntheticNins, uploadList, waitFor } from './flow.js';

/**
 * Restarts under a running round, on emulators of this test's own: DynamoDB Local with a data
 * directory killed and started again on the same data, and the whole platform restarted on a
 * fresh queue emulator — that one in restart-queue.test.ts, since the SDK clients are per process.
 */
const dataDir = mkdtempSync(join(tmpdir(), 'rd-restart-'));
const cleanup: (() => Promise<unknown>)[] = [];
/** Letters one wave of each of the 8 dispatch workers can hold (DISPATCH_BATCH_SIZE 25 < the wave width). */
const IN_FLIGHT = 8 * 25;
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
  rmSync(dataDir, { recursive: true, force: true });
});

/** The test platform on this test's own emulators; short visibility and leases so recovery is quick. */
const platformOn = (dynamoEndpoint: string, awsEndpoint: string, namespace: string) =>
  startTestPlatform({ dynamoEndpoint, awsEndpoint, namespace, visibilityOverride: { dispatch: 2 }, env: { ...RECOVERY_TIMINGS, DISPATCH_BATCH_SIZE: '25' } });

describe('restart of DynamoDB Local mid-round', () => {
  it('DynamoDB Local killed and restarted on its data: the round completes, counts add up, nobody gets two letters', async () => {
    const port = await freePort();
    let dynamo: DynamoLocal = await startDynamoLocal({ dataDir, port });
    cleanup.push(() => dynamo.stop());
    const fauxqs = await startFauxqs({ port: 0, logger: false });
    cleanup.push(() => fauxqs.stop());
    const p = await platformOn(dynamo.endpoint, fauxqs.address, 'restartdb');
    cleanup.push(() => p.stop());

    const a = await approvedProject(p, 'restart-db');
    const nins = syntheticNins(1_500, 700_000);
    const round = await createRound(a, await uploadList(a, nins));
    expect((await a.researcher.post(`/projects/${a.projectId}/rounds/${round.roundId}/release`)).status).toBe(202);
    await waitFor(
      () => roundOf(a, round.roundId),
      (r) => r.counts.sent >= 300,
      300_000,
      100,
    );
    await dynamo.stop();
    await new Promise((r) => setTimeout(r, 3_000));
    dynamo = await startDynamoLocal({ dataDir, port });

    // Messages whose every receive fell into the outage are dead-lettered (here after 5 × 2 s;
    // deployed after 5 × 180 s), and channel calls that failed meanwhile are counted failed:
    // operations' redrive puts both back to work — the round is resumable, nothing is lost.
    let done = await waitFor(
      () => roundOf(a, round.roundId),
      (r) => r.status === 'completed' || r.counts.pending === 0,
      30_000,
      250,
    ).catch(() => undefined);
    for (let i = 0; i < 5 && !(done?.status === 'completed' && done.counts.failed === (done.inDoubt ?? 0)); i++) {
      expect((await a.operations.post('/operations/redrive', {})).status).toBe(200);
      done = await waitFor(
        () => roundOf(a, round.roundId),
        (r) => r.status === 'completed',
        60_000,
        250,
      ).catch(() => undefined);
    }
    expect(done).toBeDefined();
    // ePROM hand-overs that were in a wave when the store went away (their receipts could not be
    // written) are in doubt, never sent again: at most the 8 workers' waves of 25.
    expectEachAtMostOnce(done!, nins, await lettersByCitizen(p, round.roundId), IN_FLIGHT);
  }, 600_000);
});
