import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoRoundRepository } from '../../functions/adapters/dynamo/round-repository.js';
import { emptyPreflight } from '../../functions/domain/rounds/preflight.js';
import { PREPARATION_CHUNK, type ChunkSummary } from '../../functions/domain/rounds/preparation.js';
import type { Round } from '../../functions/domain/rounds/round.js';
import { startTestPlatform, type TestPlatform } from '../setup/platform.js';
import { approvedProject, waitFor } from './dispatch/flow.js';

/**
 * Issue 22: a chunk of a background pre-flight that fails for good (its message exhausts the
 * prepare queue's receives and lands in the dead-letter queue) shows on the round as
 * `preparation.failed`, is audited, makes release say PREPARATION_FAILED, is returned to work by
 * `POST /operations/redrive`, and the stuck round can be cancelled.
 */
let p: TestPlatform;
let repo: DynamoRoundRepository;
beforeAll(async () => {
  p = await startTestPlatform({ visibilityOverride: { prepare: 1 }, env: { LOCAL_CHANNELS: 'stand-in' } });
  repo = new DynamoRoundRepository(DynamoDBDocumentClient.from(p.dynamo, { marshallOptions: { removeUndefinedValues: true } }), p.env.TABLE_MAIN!);
});
afterAll(async () => {
  await p?.stop();
});

const ROWS = 6_000;
const preparingRound = (projectId: string, roundId: string, letterId: string, listId: string): Round => {
  const now = new Date().toISOString();
  return {
    projectId,
    roundId,
    letterId,
    letterVersion: 1,
    contentHash: 'h',
    kind: 'letter',
    listId,
    onlyNonResponders: false,
    status: 'preparing',
    preflight: { ...emptyPreflight(), total: ROWS },
    preparation: { total: ROWS, checked: 0, chunks: ROWS / PREPARATION_CHUNK, chunkSize: PREPARATION_CHUNK },
    findings: [],
    createdBy: 'researcher@x',
    createdAt: now,
    updatedAt: now,
  };
};
const summary = (chunk: number): ChunkSummary => ({ chunk, rows: PREPARATION_CHUNK, preflight: { ...emptyPreflight() }, wanted: { nb: 0, nn: 0, en: 0 }, duplicates: [] }) as unknown as ChunkSummary;

describe('a preparation chunk that fails for good', () => {
  it('is noted once on the round in DynamoDB, and a stored result clears it', async () => {
    await repo.createRound(preparingRound('prj_fail', 'rnd_fail', 'let_x', 'lst_x'));
    // A chunk stored before anything failed: the set of failed chunks does not exist yet.
    expect(await repo.recordPreparedChunk('prj_fail', 'rnd_fail', 0, summary(0))).toBe(true);
    expect(await repo.markPreparationChunkFailed('prj_fail', 'rnd_fail', 4)).toBe(true);
    expect(await repo.markPreparationChunkFailed('prj_fail', 'rnd_fail', 2)).toBe(true);
    expect(await repo.markPreparationChunkFailed('prj_fail', 'rnd_fail', 2)).toBe(false);
    // A chunk whose result is stored never counts as failed.
    expect(await repo.markPreparationChunkFailed('prj_fail', 'rnd_fail', 0)).toBe(false);
    expect((await repo.getRound('prj_fail', 'rnd_fail'))!.preparation).toMatchObject({ checked: PREPARATION_CHUNK, failedChunks: [2, 4] });
    expect(await repo.recordPreparedChunk('prj_fail', 'rnd_fail', 2, summary(2))).toBe(true);
    expect(await repo.recordPreparedChunk('prj_fail', 'rnd_fail', 4, summary(4))).toBe(true);
    const after = (await repo.getRound('prj_fail', 'rnd_fail'))!.preparation!;
    expect(after.checked).toBe(3 * PREPARATION_CHUNK);
    expect(after.failedChunks).toBeUndefined();
    // Not while the round is no longer preparing.
    expect(await repo.transitionRound('prj_fail', 'rnd_fail', ['preparing'], 'cancelled', { cancelledBy: 'x', cancelledAt: new Date().toISOString() })).toBe(true);
    expect(await repo.markPreparationChunkFailed('prj_fail', 'rnd_fail', 5)).toBe(false);
  });

  it('shows on the round after its last receive, refuses release, is redriven from the DLQ, and the round can be cancelled', { timeout: 240_000 }, async () => {
    const a = await approvedProject(p, 'ous');
    // A round whose list is gone: every attempt of its chunk fails, whatever the registries say.
    const roundId = 'rnd_stuck';
    await repo.createRound(preparingRound(a.projectId, roundId, a.letterId, 'lst_gone'));
    await p.sqs.send(new SendMessageCommand({ QueueUrl: p.env.QUEUE_PREPARE_URL, MessageBody: JSON.stringify({ projectId: a.projectId, roundId, chunk: 3 }) }));
    const url = `/projects/${a.projectId}/rounds/${roundId}`;
    const stuck = await waitFor(
      async () => (await a.researcher.get(url)).body,
      (v) => v.preparation?.failed !== undefined,
      180_000,
      500,
    );
    expect(stuck.status).toBe('preparing');
    expect(stuck.preparation).toEqual({ checked: 0, total: ROWS, failed: [{ chunk: 3, fromRow: 3_001, toRow: 4_000 }] });

    const refused = await a.researcher.post(`${url}/release`);
    expect(refused.status, refused.text).toBe(409);
    expect(refused.body.error.code).toBe('PREPARATION_FAILED');

    const audit = (await a.researcher.get(`/projects/${a.projectId}/audit`)).body;
    const events = (audit.items ?? audit) as { action: string; actor: string; details: Record<string, unknown> }[];
    expect(events.filter((e) => e.action === 'round.preparation_failed')).toEqual([
      expect.objectContaining({ actor: 'preparation', details: expect.objectContaining({ roundId, chunk: 3, fromRow: 3_001, toRow: 4_000, code: 'NOT_FOUND' }) }),
    ]);

    const ops = a.operations;
    const status = await waitFor(
      async () => (await ops.get('/operations/status')).body,
      (s) => s.queues.prepare?.deadLettered >= 1,
      60_000,
      500,
    );
    expect(status.queues.prepare.deadLettered).toBeGreaterThanOrEqual(1);
    const redriven = await ops.post('/operations/redrive', {});
    expect(redriven.status, redriven.text).toBe(200);
    expect(redriven.body.redriven.messages).toBeGreaterThanOrEqual(1);

    const cancelled = await a.researcher.post(`${url}/cancel`);
    expect(cancelled.status, cancelled.text).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    expect(cancelled.body.counts.cancelled).toBe(ROWS);
  });
});
