import { DeleteCommand, DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../../functions/adapters/dynamo/keys.js';
import { startTestPlatform, type TestPlatform } from '../../setup/platform.js';
import { approvedProject, createRound, releaseAndComplete, roundOf, syntheticNins, uploadList } from '../dispatch/flow.js';

/**
 * Retention follows use (issue 24, finding 7): a list lives while a round uses it, whatever its
 * upload date; a completed round and its counts — the board's report — live the long period,
 * after the per-recipient detail (and the counter shards written with it) is gone.
 */
const DAY = 86_400;
let p: TestPlatform;
let db: DynamoDBDocumentClient;
beforeAll(async () => {
  p = await startTestPlatform({ env: { RETENTION_DAYS: '30', RETENTION_LONG_DAYS: '400' } });
  db = DynamoDBDocumentClient.from(p.dynamo);
});
afterAll(async () => p?.stop());

const listMeta = async (projectId: string, listId: string) => (await db.send(new GetCommand({ TableName: p.env.TABLE_MAIN, Key: keys.recipientList(projectId, listId), ConsistentRead: true }))).Item!;
const listChunks = async (listId: string) =>
  (await db.send(new QueryCommand({ TableName: p.env.TABLE_RECIPIENTS, KeyConditionExpression: 'listId = :l', ExpressionAttributeValues: { ':l': listId }, ConsistentRead: true }))).Items ?? [];
const roundItem = async (projectId: string, roundId: string) => (await db.send(new GetCommand({ TableName: p.env.TABLE_MAIN, Key: keys.round(projectId, roundId), ConsistentRead: true }))).Item!;

describe('retention that follows use', () => {
  it('should keep a list while its round uses it, and a completed round with its counts the long period', { timeout: 180_000 }, async () => {
    const a = await approvedProject(p, 'retention-use');
    const listId = await uploadList(a, syntheticNins(5, 655_000));
    // Uploaded 29 days ago, as far as its retention goes: one day left.
    const soon = Math.floor(Date.now() / 1000) + DAY;
    await db.send(new UpdateCommand({ TableName: p.env.TABLE_MAIN, Key: keys.recipientList(a.projectId, listId), UpdateExpression: 'SET expiresAt = :e', ExpressionAttributeValues: { ':e': soon } }));
    for (const c of await listChunks(listId)) {
      await db.send(new UpdateCommand({ TableName: p.env.TABLE_RECIPIENTS, Key: { listId, chunk: c.chunk }, UpdateExpression: 'SET expiresAt = :e', ExpressionAttributeValues: { ':e': soon } }));
    }

    const round = await createRound(a, listId);
    expect((await listMeta(a.projectId, listId)).expiresAt).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) + 29 * DAY);
    const done = await releaseAndComplete(a, round.roundId);
    expect(done.counts).toMatchObject({ planned: 5, sent: 5 });

    const item = await roundItem(a.projectId, round.roundId);
    const completedAt = Math.floor(Date.parse(String(item.completedAt)) / 1000);
    // The list: 30 days from the completion of the round that used it, rows and record together.
    // Kept from the completion before the round shows completed (a completion tried twice at once
    // may keep it from its own, later, second).
    const meta = await listMeta(a.projectId, listId);
    expect(meta.expiresAt).toBeGreaterThanOrEqual(completedAt + 30 * DAY);
    expect(meta.expiresAt).toBeLessThanOrEqual(completedAt + 30 * DAY + 60);
    for (const c of await listChunks(listId)) expect(c.expiresAt).toBe(meta.expiresAt);
    // The round: the long period from its completion.
    expect(item.expiresAt).toBe(completedAt + 400 * DAY);

    // The counter shards go with the per-recipient detail; the round's counts stay.
    const shards =
      (
        await db.send(
          new QueryCommand({
            TableName: p.env.TABLE_DELIVERIES,
            KeyConditionExpression: 'roundId = :r AND begins_with(deliveryId, :c)',
            ExpressionAttributeValues: { ':r': round.roundId, ':c': 'C#' },
          }),
        )
      ).Items ?? [];
    expect(shards.length).toBeGreaterThan(0);
    for (const s of shards) await db.send(new DeleteCommand({ TableName: p.env.TABLE_DELIVERIES, Key: { roundId: s.roundId, deliveryId: s.deliveryId } }));
    const later = await roundOf(a, round.roundId);
    expect(later.counts).toEqual(done.counts);
    expect(later.skipReasons ?? {}).toEqual(done.skipReasons ?? {});
    const report = await a.researcher.get(`/projects/${a.projectId}/rounds/${round.roundId}/report`);
    expect(report.body.counts).toEqual(done.counts);
  });
});
