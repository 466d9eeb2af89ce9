import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFauxqs } from 'fauxqs';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, startDynamoLocal } from '../../../local/emulators.js';
import { startTestPlatform } from '../../setup/platform.js';
import { lettersByCitizen } from './channel-scan.js';
import { approvedProject, createRound, expectEachAtMostOnce, RECOVERY_TIMINGS, roundOf, syntheticNins, uploadList, waitFor } from './flow.js';

/**
 * Restarts under a running round, on emulators of this test's own: DynamoDB Local with a data
 * directory killed and started again on the same data, and the whole platform restarted on a
 * fresh queue emulator (as `npm start` after a crash: queue messages gone, DynamoDB intact).
 */
const dataDir = mkdtempSync(join(tmpdir(), 'rd-restart-'));
const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
  rmSync(dataDir, { recursive: true, force: true });
});

/** The test platform on this test's own emulators; short visibility and leases so recovery is quick. */
const platformOn = (dynamoEndpoint: string, awsEndpoint: string, namespace: string) =>
  startTestPlatform({ dynamoEndpoint, awsEndpoint, namespace, visibilityOverride: { dispatch: 2 }, env: { ...RECOVERY_TIMINGS, DISPATCH_BATCH_SIZE: '25' } });

describe('restart of the platform mid-round', () => {
  it('the platform restarted on an empty queue emulator finds the unfinished work in DynamoDB and completes it', async () => {
    const dynamo = await startDynamoLocal({ dataDir: join(dataDir, 'second') });
    cleanup.push(() => dynamo.stop());
    const queuePort = await freePort();
    const queue1 = await startFauxqs({ port: queuePort, logger: false });
    const first = await platformOn(dynamo.endpoint, queue1.address, 'restartq');
    const a1 = await approvedProject(first, 'restart-q');
    const nins = syntheticNins(1_200, 720_000);
    const round = await createRound(a1, await uploadList(a1, nins));
    expect((await a1.researcher.post(`/projects/${a1.projectId}/rounds/${round.roundId}/release`)).status).toBe(202);
    await waitFor(
      () => roundOf(a1, round.roundId),
      (r) => r.counts.sent >= 200,
      300_000,
      100,
    );
    await first.stop();
    await queue1.stop(); // every queued message is gone

    // Same port, as after a restart of `npm start`; an empty emulator, as after any restart.
    const queue2 = await startFauxqs({ port: queuePort, logger: false });
    cleanup.push(() => queue2.stop());
    const second = await platformOn(dynamo.endpoint, queue2.address, 'restartq');
    cleanup.push(() => second.stop());
    const a2 = { ...a1, researcher: second.as({ sub: 'researcher@restart-q', role: 'researcher', org: 'restart-q' }) };
    const done = await waitFor(
      () => roundOf(a2, round.roundId),
      (r) => r.status === 'completed',
      300_000,
      250,
    );
    expect(done.counts.planned).toBe(nins.length);
    // The first platform stopped as `npm start` does on Ctrl-C: its workers ended their waves and
    // committed; should one have been cut off, its ePROM letters are in doubt, never sent twice.
    expectEachAtMostOnce(done, nins, await lettersByCitizen(second, round.roundId), 8 * 25);
  }, 600_000);
});
