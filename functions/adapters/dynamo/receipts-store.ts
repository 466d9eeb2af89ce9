import { createHash } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Channel } from '../../domain/dispatch/channels.js';
import type { HandOver, ReceiptOutcome, ReceiptsStore, ReceiptSummary } from '../../domain/receipts/ports.js';
import { batchGetAll, batchPutAll, queryAll } from './batch.js';
import { isConditionFailure } from './errors.js';

/**
 * Receipts per delivery, in the main table, spread over partitions so a national round's ~2–3 rows
 * per letter never meet one partition's write limit:
 * - `RECEIPT#<roundId>#<shard of deliveryId>` / `D#<deliveryId>` holds the outcome (16 shards; a
 *   round's summary reads all of them);
 * - `RECEIPTREF#<channel ref>` finds it from a callback (one partition per ref);
 * - `RECEIPTPOLL#<shard of ref>` / `<ref>` lists hand-overs whose channel must be asked (Digipost);
 * - `RECEIPTPARK#<channel ref>` holds a receipt that arrived before its hand-over was recorded,
 *   until the hand-over lands and settles it (kept 30 days at most).
 * Rows written before the sharding (`RECEIPT#<roundId>`, `RECEIPTPOLL`) are still read.
 * No national ID is stored here.
 */
export const RECEIPT_SHARDS = 16;
const shardOf = (s: string): number => createHash('sha256').update(s).digest().readUInt16BE(0) % RECEIPT_SHARDS;
const receiptPk = (roundId: string, deliveryId: string) => `RECEIPT#${roundId}#${shardOf(deliveryId)}`;
const receiptKey = (roundId: string, deliveryId: string) => ({ pk: receiptPk(roundId, deliveryId), sk: `D#${deliveryId}` });
const legacyReceiptKey = (roundId: string, deliveryId: string) => ({ pk: `RECEIPT#${roundId}`, sk: `D#${deliveryId}` });
const refKey = (ref: string) => ({ pk: `RECEIPTREF#${ref}`, sk: 'REF' });
const pollPk = (shard: number) => `RECEIPTPOLL#${shard}`;
const pollKey = (ref: string) => ({ pk: pollPk(shardOf(ref)), sk: ref });
const legacyPollKey = (ref: string) => ({ pk: 'RECEIPTPOLL', sk: ref });
const parkKey = (ref: string) => ({ pk: `RECEIPTPARK#${ref}`, sk: 'PARK' });
const PARK_DAYS = 30;
const shards = Array.from({ length: RECEIPT_SHARDS }, (_, i) => i);

export class DynamoReceiptsStore implements ReceiptsStore {
  private pollStart = 0;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async handedOver(items: readonly HandOver[]): Promise<void> {
    if (items.length === 0) return;
    const at = new Date().toISOString();
    await batchPutAll(
      this.db,
      this.table,
      items.flatMap((i) => {
        const outcome = i.outcome ?? 'awaiting';
        const rows: Record<string, unknown>[] = [
          { ...receiptKey(i.roundId, i.deliveryId), channel: i.channel, ref: i.ref, outcome, at },
          { ...refKey(i.ref), roundId: i.roundId, deliveryId: i.deliveryId, channel: i.channel, rpk: receiptPk(i.roundId, i.deliveryId) },
        ];
        if (outcome === 'awaiting' && i.channel !== 'helsenorge') rows.push({ ...pollKey(i.ref), roundId: i.roundId, deliveryId: i.deliveryId });
        return rows;
      }),
    );
    // Receipts that came first wait parked: now that their hand-over is recorded, settle them. A
    // callback parks before it looks again (park), so one of the two always sees the other.
    const parked = await batchGetAll(this.db, this.table, items.map((i) => parkKey(i.ref)), { consistent: true });
    for (const p of parked) {
      const ref = String(p.pk).slice('RECEIPTPARK#'.length);
      await this.settle(ref, p.outcome as ReceiptOutcome, String(p.at));
      await this.db.send(new DeleteCommand({ TableName: this.table, Key: parkKey(ref) }));
    }
  }

  async handedOverAmong(roundId: string, deliveryIds: readonly string[]): Promise<ReadonlySet<string>> {
    if (deliveryIds.length === 0) return new Set();
    const keys = deliveryIds.flatMap((d) => [receiptKey(roundId, d), legacyReceiptKey(roundId, d)]);
    const rows = await batchGetAll(this.db, this.table, keys, { consistent: true, projection: 'sk' });
    return new Set(rows.map((r) => String(r.sk).slice('D#'.length)));
  }

  async byRef(ref: string): Promise<{ roundId: string; deliveryId: string; channel: Channel } | undefined> {
    const found = await this.refRow(ref);
    return found && { roundId: found.roundId, deliveryId: found.deliveryId, channel: found.channel };
  }

  private async refRow(ref: string): Promise<{ roundId: string; deliveryId: string; channel: Channel; rpk: string } | undefined> {
    const res = await this.db.send(new GetCommand({ TableName: this.table, Key: refKey(ref), ConsistentRead: true }));
    if (!res.Item) return undefined;
    const roundId = String(res.Item.roundId);
    const deliveryId = String(res.Item.deliveryId);
    return { roundId, deliveryId, channel: res.Item.channel as Channel, rpk: typeof res.Item.rpk === 'string' ? res.Item.rpk : `RECEIPT#${roundId}` };
  }

  async settle(ref: string, outcome: ReceiptOutcome, at: string): Promise<boolean> {
    const found = await this.refRow(ref);
    if (!found) return false;
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: found.rpk, sk: `D#${found.deliveryId}` },
          UpdateExpression: 'SET outcome = :o, settledAt = :at',
          ConditionExpression: 'outcome = :awaiting',
          ExpressionAttributeValues: { ':o': outcome, ':at': at, ':awaiting': 'awaiting' },
        }),
      );
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
    }
    // Only channels that are polled (Digipost) have a poll entry to drop.
    if (found.channel !== 'helsenorge') {
      await Promise.all([
        this.db.send(new DeleteCommand({ TableName: this.table, Key: pollKey(ref) })),
        this.db.send(new DeleteCommand({ TableName: this.table, Key: legacyPollKey(ref) })),
      ]);
    }
    return true;
  }

  async park(ref: string, outcome: ReceiptOutcome, at: string): Promise<'settled' | 'parked'> {
    const expiresAt = Math.floor(Date.now() / 1000) + PARK_DAYS * 86_400;
    await this.db.send(new PutCommand({ TableName: this.table, Item: { ...parkKey(ref), outcome, at, expiresAt } }));
    // The hand-over may have landed between the caller's look and the park: look again.
    if (!(await this.settle(ref, outcome, at))) return 'parked';
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: parkKey(ref) }));
    return 'settled';
  }

  async awaitingPoll(limit: number): Promise<{ ref: string; roundId: string; deliveryId: string }[]> {
    const out: { ref: string; roundId: string; deliveryId: string }[] = [];
    // A different shard first on each run, so no shard waits behind the others.
    const start = this.pollStart++ % RECEIPT_SHARDS;
    const pks = ['RECEIPTPOLL', ...shards.map((i) => pollPk((start + i) % RECEIPT_SHARDS))];
    for (const pk of pks) {
      if (out.length >= limit) break;
      const res = await this.db.send(
        new QueryCommand({ TableName: this.table, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': pk }, Limit: limit - out.length }),
      );
      out.push(...(res.Items ?? []).map((i) => ({ ref: String(i.sk), roundId: String(i.roundId), deliveryId: String(i.deliveryId) })));
    }
    return out;
  }

  async summary(roundId: string): Promise<ReceiptSummary> {
    const parts = await Promise.all(
      [`RECEIPT#${roundId}`, ...shards.map((s) => `RECEIPT#${roundId}#${s}`)].map((pk) =>
        queryAll(this.db, { TableName: this.table, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': pk }, ProjectionExpression: 'outcome' }),
      ),
    );
    const out = { confirmed: 0, failedAfterSend: 0, awaiting: 0 };
    for (const i of parts.flat()) {
      if (i.outcome === 'confirmed') out.confirmed++;
      else if (i.outcome === 'failedAfterSend') out.failedAfterSend++;
      else out.awaiting++;
    }
    return out;
  }
}
