import { SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { adapters } from '../../../functions/adapters/index.js';
import { startTestPlatform, type TestPlatform } from '../../setup/platform.js';
import { lettersByCitizen } from './channel-scan.js';
import { approvedProject, createRound, RECOVERY_TIMINGS, roundOf, sumOfCounts, syntheticNins, uploadList, waitFor, type ApprovedProject } from './flow.js';

/**
 * Faults, injected into the real pipeline on the emulators by wrapping the running engine's ports
 * (the engine itself has no test hooks). Batches are small (20) and a message that is not deleted
 * comes back after 2 s; a claim expires after 36 s (RECOVERY_TIMINGS) — so a "dead" worker's batch is picked up
 * again within a minute. After each fault: the round completes, the counts add up, no citizen has
 * two letters and none is lost.
 */
class InjectedCrash extends Error {}
type Port = Record<string, (...args: unknown[]) => Promise<unknown>>;
let restore: (() => void) | undefined;

/**
 * The next `times` calls of one port method of the engine "die": before the call does its work
 * (`when: 'before'`) or right after it (`'after'`, and only when `counts(result)`). The invocation
 * throws, nothing after that point runs, and the message comes back after its visibility timeout.
 */
const crash = (port: 'batches' | 'ledger', method: string, when: 'before' | 'after', times: number, counts: (result: unknown) => boolean = () => true) => {
  const deps = adapters().engine as unknown as Record<string, Port>;
  const original = deps[port]!;
  let left = times;
  const wrapped: Port = Object.create(original);
  wrapped[method] = async (...args: unknown[]) => {
    if (when === 'before' && left > 0) {
      left--;
      throw new InjectedCrash(`${port}.${method}`);
    }
    const result = await original[method]!.apply(original, args);
    if (when === 'after' && left > 0 && counts(result)) {
      left--;
      throw new InjectedCrash(`${port}.${method}`);
    }
    return result;
  };
  deps[port] = wrapped;
  restore = () => {
    deps[port] = original;
  };
};
const FAULTS = {
  // Claimed, then dead: the lease must expire before anyone else may take the batch.
  'after-claim': () => crash('batches', 'claim', 'after', 5, (r) => (r as { kind: string }).kind === 'claimed'),
  // Letters handed to the channel, then dead before anything was recorded.
  'after-channel': () => crash('ledger', 'record', 'before', 5),
  // Committed, then dead before the message was deleted.
  'after-finalize': () => crash('batches', 'commit', 'after', 5),
};
let p: TestPlatform;
let offset = 500_000;
beforeAll(async () => {
  p = await startTestPlatform({
    visibilityOverride: { dispatch: 2 },
    env: { ...RECOVERY_TIMINGS, DISPATCH_BATCH_SIZE: '20', CHANNEL_MAX_TRIES: '3' },
  });
});
afterAll(async () => {
  await p?.stop();
});
afterEach(() => {
  restore?.();
  restore = undefined;
  delete process.env.CHANNEL_FAULTS;
});

const run = async (org: string, size: number, during?: (a: ApprovedProject, roundId: string) => Promise<void>) => {
  const a = await approvedProject(p, org);
  const nins = syntheticNins(size, (offset += 10_000));
  const round = await createRound(a, await uploadList(a, nins));
  expect((await a.researcher.post(`/projects/${a.projectId}/rounds/${round.roundId}/release`)).status).toBe(202);
  await during?.(a, round.roundId);
  const done = await waitFor(
    () => roundOf(a, round.roundId),
    (r) => r.status === 'completed',
    180_000,
    200,
  );
  return { a, nins, roundId: round.roundId, done };
};

const expectExactlyOnce = async (roundId: string, nins: readonly string[], done: { counts: Parameters<typeof sumOfCounts>[0] }) => {
  expect(sumOfCounts(done.counts)).toBe(nins.length);
  expect(done.counts, JSON.stringify(done)).toMatchObject({ sent: nins.length, pending: 0, failed: 0 });
  const letters = await lettersByCitizen(p, roundId);
  expect(letters.size).toBe(nins.length);
  for (const nin of nins) expect(letters.get(nin)).toBe(1);
};

/** How many batches of the round were claimed more than once (a retry after a transient failure or a crash). */
const retriedBatches = async (roundId: string): Promise<number> => {
  const db = DynamoDBDocumentClient.from(p.dynamo);
  let retried = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const res = await db.send(new QueryCommand({ TableName: p.env.TABLE_DELIVERIES, KeyConditionExpression: 'roundId = :r', ExpressionAttributeValues: { ':r': roundId }, ExclusiveStartKey: start }));
    retried += (res.Items ?? []).filter((i) => Number(i.attempts ?? 0) > 1).length;
    start = res.LastEvaluatedKey;
  } while (start);
  return retried;
};

const maxAttempts = async (roundId: string): Promise<number> => {
  const db = DynamoDBDocumentClient.from(p.dynamo);
  let max = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const res = await db.send(new QueryCommand({ TableName: p.env.TABLE_DELIVERIES, KeyConditionExpression: 'roundId = :r', ExpressionAttributeValues: { ':r': roundId }, ExclusiveStartKey: start }));
    for (const i of res.Items ?? []) max = Math.max(max, Number(i.attempts ?? 0));
    start = res.LastEvaluatedKey;
  } while (start);
  return max;
};

describe('fault injection', () => {
  it('the same SQS message delivered twice sends nothing twice', async () => {
    const { roundId, nins, done } = await run('dup-msg', 400, async (a, roundId) => {
      // Every batch message again, and the first ten three times more.
      const messages = Array.from({ length: 20 }, (_, batchNo) => JSON.stringify({ projectId: a.projectId, roundId, batchNo }));
      for (let i = 0; i < messages.length; i += 10) {
        await p.sqs.send(new SendMessageBatchCommand({ QueueUrl: p.env.QUEUE_DISPATCH_URL, Entries: messages.slice(i, i + 10).map((m, j) => ({ Id: String(j), MessageBody: m })) }));
      }
      for (let k = 0; k < 3; k++) {
        await p.sqs.send(new SendMessageBatchCommand({ QueueUrl: p.env.QUEUE_DISPATCH_URL, Entries: messages.slice(0, 10).map((m, j) => ({ Id: String(j), MessageBody: m })) }));
      }
    });
    await expectExactlyOnce(roundId, nins, done);
  }, 240_000);

  it.each(['after-claim', 'after-channel', 'after-finalize'])(
    'a worker that dies %s loses no recipient and doubles no letter',
    async (point) => {
      FAULTS[point as keyof typeof FAULTS]();
      const { roundId, nins, done } = await run(`crash-${point}`, 300);
      await expectExactlyOnce(roundId, nins, done);
      // Recovery really happened: a crash before finalising leaves claims that expire and are claimed again.
      if (point !== 'after-finalize') expect(await maxAttempts(roundId)).toBeGreaterThanOrEqual(2);
    },
    240_000,
  );

  it('a channel failing for a while is retried with backoff and everyone gets the letter once', async () => {
    process.env.CHANNEL_FAULTS = JSON.stringify({ failCalls: 2, transient: true });
    const { roundId, nins, done } = await run('flaky-channel', 200);
    await expectExactlyOnce(roundId, nins, done);
    expect(await retriedBatches(roundId)).toBeGreaterThan(0);
  }, 240_000);

  it('an ePROM call that gets no answer before its wave deadline is in doubt: counted, never sent again, nobody gets two letters', async () => {
    // The fake answers these calls after the wave's deadline (and keeps the letters): the engine
    // aborts them, and since ePROM takes no sender key the letters are in doubt (INTEGRATIONS.md).
    process.env.CHANNEL_FAULTS = JSON.stringify({ hangCalls: 3, hangMs: 20_000 });
    const { a, roundId, nins, done } = await run('slow-channel', 100);
    expect(sumOfCounts(done.counts)).toBe(nins.length);
    expect(done.counts.pending).toBe(0);
    const view = (await a.researcher.get(`/projects/${a.projectId}/rounds/${roundId}`)).body as { inDoubt: number; counts: { failed: number; sent: number } };
    expect(view.inDoubt).toBeGreaterThan(0);
    expect(view.counts.failed).toBe(view.inDoubt);
    expect(view.counts.sent + view.inDoubt).toBe(nins.length);
    const letters = await lettersByCitizen(p, roundId);
    for (const nin of nins) expect(letters.get(nin) ?? 0).toBeLessThanOrEqual(1);
  }, 240_000);

  it('a channel that keeps refusing leaves deliveries failed and counted; redrive sends them once it is back', async () => {
    process.env.CHANNEL_FAULTS = JSON.stringify({ failCalls: 1_000_000, transient: false });
    const { a, roundId, nins, done } = await run('down-channel', 120);
    expect(done.counts).toMatchObject({ planned: 120, sent: 0, failed: 120, pending: 0 });
    expect((await lettersByCitizen(p, roundId)).size).toBe(0);
    delete process.env.CHANNEL_FAULTS;
    const redriven = await a.operations.post('/operations/redrive', { roundId });
    expect(redriven.status, redriven.text).toBe(200);
    expect(redriven.body.redriven.deliveries).toBe(120);
    const after = await waitFor(
      () => roundOf(a, roundId),
      (r) => r.status === 'completed' && r.counts.sent === 120,
      120_000,
      200,
    );
    await expectExactlyOnce(roundId, nins, after);
    // Redriving again changes nothing: no failed delivery is left, nothing is sent twice.
    expect((await a.operations.post('/operations/redrive', { roundId })).body.redriven.deliveries).toBe(0);
  }, 240_000);

  it('a poison message ends in the dead-letter queue, is counted, and redrive returns it to work', async () => {
    const ops = p.as({ sub: 'ops', role: 'operations' });
    await p.sqs.send(new SendMessageCommand({ QueueUrl: p.env.QUEUE_DISPATCH_URL, MessageBody: '{"not":"a dispatch message"' }));
    const status = await waitFor(
      async () => (await ops.get('/operations/status')).body,
      (s) => s.queues.dispatch.deadLettered >= 1,
      120_000,
      500,
    );
    expect(status.queues.dispatch.deadLettered).toBeGreaterThanOrEqual(1);
    const redriven = await ops.post('/operations/redrive', {});
    expect(redriven.body.redriven.messages).toBeGreaterThanOrEqual(1);
  }, 180_000);
});
