import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Channel } from '../../domain/shared/channel.js';
import type { HandOver, ReceiptOutcome, ReceiptsStore, ReceiptSummary } from '../../domain/receipts/ports.js';
import { batchGetAll, queryAll } from './batch.js';
import { isConditionFailure } from './errors.js';

/**
 * Receipts per delivery, in the main table, spread over partitions so a national round's rows
 * never meet one partition's write limit, and counted as they change so a round's summary reads a
 * fixed number of items, not one per letter:
 * - `RECEIPT#<roundId>#<shard of deliveryId>` / `D#<deliveryId>`: the hand-over was recorded,
 *   with the way it went (`handedOverAmong` reads it; rows from before the way was kept have none);
 * - `RECEIPTREF#<channel ref>` / `REF`: the delivery a callback names, and its outcome (`awaiting`,
 *   then the first report; one conditional update settles it);
 * - `RECEIPTCOUNT#<roundId>#<shard>` / `H` (hand-overs, and outcomes known at hand-over) and `S`
 *   (later reports): counters. A hand-over is written in one transaction with its counter
 *   increment, each row on condition that it is new, so a retried hand-over is counted once and
 *   never resets a report that came between;
 * - `RECEIPTPOLL#<shard of ref>` / `<ref>`: hand-overs whose channel must be asked (Digipost);
 * - `RECEIPTPARK#<channel ref>`: a receipt that arrived before its hand-over was recorded, until the
 *   hand-over lands and settles it (kept 30 days at most).
 * A report is counted after its outcome is written: a crash between the two leaves the counter one
 * short (never double), the outcome itself kept on the REF row.
 * Rows written before the counters (`RECEIPT#<roundId>[#<shard>]` with the outcome on the D row,
 * `RECEIPTPOLL`) are still read: a round with no counter at all is summed from its rows as before.
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
const countKey = (roundId: string, shard: number, kind: 'H' | 'S') => ({ pk: `RECEIPTCOUNT#${roundId}#${shard}`, sk: kind });
const randomShard = () => Math.floor(Math.random() * RECEIPT_SHARDS);
const PARK_DAYS = 30;
const shards = Array.from({ length: RECEIPT_SHARDS }, (_, i) => i);
/** Rows per letter in a hand-over transaction (D, REF, poll) and the 100-item limit, one item kept for the counter. */
const LETTERS_PER_TRANSACTION = 33;
const CONFLICT_TRIES = 6;
const COUNTED: Record<ReceiptOutcome, string> = { confirmed: 'confirmed', failedAfterSend: 'failedAfterSend' };

export class DynamoReceiptsStore implements ReceiptsStore {
  private pollStart = 0;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async handedOver(items: readonly HandOver[]): Promise<void> {
    if (items.length === 0) return;
    const at = new Date().toISOString();
    for (let i = 0; i < items.length; i += LETTERS_PER_TRANSACTION) await this.record(items.slice(i, i + LETTERS_PER_TRANSACTION), at);
    // Receipts that came first wait parked: now that their hand-over is recorded, settle them. A
    // callback parks before it looks again (park), so one of the two always sees the other.
    const parked = await batchGetAll(
      this.db,
      this.table,
      items.map((i) => parkKey(i.ref)),
      { consistent: true },
    );
    for (const p of parked) {
      const ref = String(p.pk).slice('RECEIPTPARK#'.length);
      await this.settle(ref, p.outcome as ReceiptOutcome, String(p.at));
      await this.db.send(new DeleteCommand({ TableName: this.table, Key: parkKey(ref) }));
    }
  }

  /**
   * One transaction: each letter's rows on condition that they are new, and the counter increment
   * for those. Letters already recorded (a retry) are left out and the rest written again; a
   * conflict with another transaction on the counter is tried again on another shard.
   */
  private async record(items: readonly HandOver[], at: string): Promise<void> {
    let pending = [...new Map(items.map((i) => [`${i.roundId}\u0000${i.deliveryId}`, i])).values()];
    for (let attempt = 1; pending.length > 0; attempt++) {
      const byRound = new Map<string, HandOver[]>();
      for (const i of pending) byRound.set(i.roundId, [...(byRound.get(i.roundId) ?? []), i]);
      const owners: (HandOver | undefined)[] = [];
      const writes: NonNullable<TransactWriteCommandInput['TransactItems']> = [];
      for (const i of pending) {
        const outcome = i.outcome ?? 'awaiting';
        const isNew = { ConditionExpression: 'attribute_not_exists(pk)' };
        writes.push({ Put: { TableName: this.table, Item: { ...receiptKey(i.roundId, i.deliveryId), channel: i.channel, at }, ...isNew } });
        writes.push({ Put: { TableName: this.table, Item: { ...refKey(i.ref), roundId: i.roundId, deliveryId: i.deliveryId, channel: i.channel, outcome, at }, ...isNew } });
        owners.push(i, i);
        if (outcome === 'awaiting' && i.channel !== 'helsenorge') {
          writes.push({ Put: { TableName: this.table, Item: { ...pollKey(i.ref), roundId: i.roundId, deliveryId: i.deliveryId } } });
          owners.push(i);
        }
      }
      for (const [roundId, its] of byRound) {
        const add = { handed: its.length, confirmed: its.filter((i) => i.outcome === 'confirmed').length, failedAfterSend: its.filter((i) => i.outcome === 'failedAfterSend').length };
        writes.push({
          Update: {
            TableName: this.table,
            Key: countKey(roundId, randomShard(), 'H'),
            UpdateExpression: 'ADD handed :h, confirmed :c, failedAfterSend :f',
            ExpressionAttributeValues: { ':h': add.handed, ':c': add.confirmed, ':f': add.failedAfterSend },
          },
        });
        owners.push(undefined);
      }
      try {
        await this.db.send(new TransactWriteCommand({ TransactItems: writes }));
        return;
      } catch (e) {
        if (!(e instanceof TransactionCanceledException) || attempt >= CONFLICT_TRIES) throw e;
        const reasons = e.CancellationReasons ?? [];
        const recorded = new Set(reasons.flatMap((r, n) => (r.Code === 'ConditionalCheckFailed' && owners[n] ? [owners[n]] : [])));
        if (recorded.size === 0 && !reasons.some((r) => r.Code === 'TransactionConflict')) throw e;
        pending = pending.filter((i) => !recorded.has(i));
        if (recorded.size === 0) await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
      }
    }
  }

  async handedOverAmong(roundId: string, deliveryIds: readonly string[]): Promise<ReadonlyMap<string, Channel | undefined>> {
    if (deliveryIds.length === 0) return new Map();
    const keys = deliveryIds.flatMap((d) => [receiptKey(roundId, d), legacyReceiptKey(roundId, d)]);
    const rows = await batchGetAll(this.db, this.table, keys, { consistent: true, projection: 'sk, #way', names: { '#way': 'channel' } });
    return new Map(rows.map((r) => [String(r.sk).slice('D#'.length), r.channel === undefined ? undefined : (r.channel as Channel)]));
  }

  async byRef(ref: string): Promise<{ roundId: string; deliveryId: string; channel: Channel } | undefined> {
    const res = await this.db.send(new GetCommand({ TableName: this.table, Key: refKey(ref), ConsistentRead: true }));
    return res.Item && { roundId: String(res.Item.roundId), deliveryId: String(res.Item.deliveryId), channel: res.Item.channel as Channel };
  }

  async settle(ref: string, outcome: ReceiptOutcome, at: string): Promise<boolean> {
    let settled: Record<string, unknown>;
    try {
      const res = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: refKey(ref),
          UpdateExpression: 'SET outcome = :o, settledAt = :at',
          ConditionExpression: 'outcome = :awaiting',
          ExpressionAttributeValues: { ':o': outcome, ':at': at, ':awaiting': 'awaiting' },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      settled = res.Attributes ?? {};
    } catch (e) {
      if (!(e instanceof ConditionalCheckFailedException)) throw e;
      // The exception carries the item as DynamoDB stores it (not unmarshalled).
      const old = e.Item;
      if (!old) return false; // not (yet) known: the caller parks it
      if (old.outcome) return true; // a report is in already: the first one is kept
      return this.settleLegacy(ref, outcome, at, { roundId: String(old.roundId?.S), deliveryId: String(old.deliveryId?.S), channel: old.channel?.S as Channel, rpk: old.rpk?.S });
    }
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: countKey(String(settled.roundId), randomShard(), 'S'),
        UpdateExpression: `ADD ${COUNTED[outcome]} :one`,
        ExpressionAttributeValues: { ':one': 1 },
      }),
    );
    // Only channels that are polled (Digipost) have a poll entry to drop.
    if (settled.channel !== 'helsenorge') await this.db.send(new DeleteCommand({ TableName: this.table, Key: pollKey(ref) }));
    return true;
  }

  /** A hand-over recorded before the counters: its outcome lives on its D row. */
  private async settleLegacy(ref: string, outcome: ReceiptOutcome, at: string, found: { roundId: string; deliveryId: string; channel: Channel; rpk: string | undefined }): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: found.rpk ?? `RECEIPT#${found.roundId}`, sk: `D#${found.deliveryId}` },
          UpdateExpression: 'SET outcome = :o, settledAt = :at',
          ConditionExpression: 'outcome = :awaiting',
          ExpressionAttributeValues: { ':o': outcome, ':at': at, ':awaiting': 'awaiting' },
        }),
      );
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
    }
    if (found.channel !== 'helsenorge') {
      await Promise.all([this.db.send(new DeleteCommand({ TableName: this.table, Key: pollKey(ref) })), this.db.send(new DeleteCommand({ TableName: this.table, Key: legacyPollKey(ref) }))]);
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
      const res = await this.db.send(new QueryCommand({ TableName: this.table, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': pk }, Limit: limit - out.length }));
      out.push(...(res.Items ?? []).map((i) => ({ ref: String(i.sk), roundId: String(i.roundId), deliveryId: String(i.deliveryId) })));
    }
    return out;
  }

  async summary(roundId: string): Promise<ReceiptSummary> {
    const counters = await batchGetAll(
      this.db,
      this.table,
      shards.flatMap((s) => [countKey(roundId, s, 'H'), countKey(roundId, s, 'S')]),
    );
    if (counters.length === 0) return this.legacySummary(roundId);
    const sum = (field: string) => counters.reduce((n, c) => n + (typeof c[field] === 'number' ? c[field] : 0), 0);
    const confirmed = sum('confirmed');
    const failedAfterSend = sum('failedAfterSend');
    return { confirmed, failedAfterSend, awaiting: Math.max(0, sum('handed') - confirmed - failedAfterSend) };
  }

  /** A round recorded before the counters: its D rows hold the outcomes. */
  private async legacySummary(roundId: string): Promise<ReceiptSummary> {
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
