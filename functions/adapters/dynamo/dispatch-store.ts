import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DeleteCommand,
  GetCommand,
  UpdateCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { counterOf } from '../../domain/dispatch/decide.js';
import { batchPrefix, COUNTERS, withPending, type Counter, type Delivery } from '../../domain/dispatch/delivery.js';
import type { BatchRef, DispatchRound, DispatchStore, GateState, Outcome, RoundProgress } from '../../domain/dispatch/store.js';
import type { Project } from '../../domain/projects/project.js';
import { batchGetAll, batchPutAll, chunks, queryAll } from './batch.js';
import { contactAppendUpdate } from './contact-ledger.js';
import { keys } from './keys.js';

type TransactItem = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>[number];

/** Counter records sort after every delivery id of the round ("~" > digits). */
const counterKey = (roundId: string, batchNo: number) => ({ roundId, deliveryId: `~BATCH#${String(batchNo).padStart(6, '0')}` });
const COUNTER_PREFIX = '~BATCH#';
const leaseKey = (projectId: string, leaseId: string) => ({ pk: 'LEASES', sk: `${projectId}#${leaseId}` });

/** DynamoDB allows 100 items per transaction; one slot stays free for the counter or lease. */
const TX_ITEMS = 100;

const isConditionCancel = (e: unknown): boolean =>
  e instanceof TransactionCanceledException && (e.CancellationReasons ?? []).some((r) => r.Code === 'ConditionalCheckFailed');
const isConflict = (e: unknown): boolean =>
  e instanceof TransactionCanceledException &&
  (e.CancellationReasons ?? []).some((r) => r.Code === 'TransactionConflict') &&
  !isConditionCancel(e);

export class LeaseLostError extends Error {
  constructor() {
    super('the claim expired and was taken over; the other worker finishes the batch');
  }
}

const STRIP = new Set(['pk', 'sk', 'gsi1pk', 'gsi1sk']);
const strip = (item: Record<string, unknown>) => Object.fromEntries(Object.entries(item).filter(([k]) => !STRIP.has(k)));

export const toDispatchRound = (item: Record<string, unknown>): DispatchRound => ({
  projectId: String(item.projectId),
  roundId: String(item.roundId),
  status: String(item.status),
  letterId: String(item.letterId),
  letterVersion: Number(item.letterVersion),
  listId: String(item.listId),
  canarySize: typeof item.canary === 'object' && item.canary ? Number((item.canary as { size: number }).size) : undefined,
  canaryConfirmed: item.canaryConfirmed === true,
  planned: item.planned === undefined ? undefined : Number(item.planned),
  test: item.test === true,
  onlyNonResponders: item.onlyNonResponders === true,
  totalBatches: item.totalBatches === undefined ? undefined : Number(item.totalBatches),
  canaryBatches: item.canaryBatches === undefined ? undefined : Number(item.canaryBatches),
  formTaskId: typeof item.formTaskId === 'string' ? item.formTaskId : undefined,
});

/**
 * The pipeline's state in DynamoDB. Deliveries and per-batch counter records live in the
 * deliveries table (one partition per round); leases and the halt flag in the main table.
 * Counters are one record per batch rather than one per round, so concurrent workers never
 * contend on a single item, and a batch's counters change in the same transaction as its
 * deliveries — the counts are exact whenever they are read.
 */
export class DynamoDispatchStore implements DispatchStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tables: { main: string; deliveries: string; citizens: string },
  ) {}

  async writeBatch(ref: BatchRef, deliveries: readonly Delivery[], opts: { resume: boolean; canary: boolean }): Promise<void> {
    let toWrite = deliveries;
    if (opts.resume) {
      // A planner that crashed mid-fan-out may have written (and workers may have claimed) part
      // of this batch: never overwrite a record that exists.
      const existing = await batchGetAll(this.db, this.tables.deliveries, deliveries.map((d) => ({ roundId: d.roundId, deliveryId: d.deliveryId })), {
        consistent: true,
        projection: 'deliveryId',
      });
      const have = new Set(existing.map((e) => String(e.deliveryId)));
      toWrite = deliveries.filter((d) => !have.has(d.deliveryId));
    }
    await batchPutAll(this.db, this.tables.deliveries, toWrite as unknown as Record<string, unknown>[]);
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tables.deliveries,
          Item: {
            ...counterKey(ref.roundId, ref.batchNo),
            projectId: ref.projectId,
            batchNo: ref.batchNo,
            size: deliveries.length,
            canary: opts.canary,
            reasons: {},
            ...Object.fromEntries(COUNTERS.map((c) => [c, 0])),
          },
          ConditionExpression: 'attribute_not_exists(deliveryId)',
        }),
      );
    } catch (e) {
      if ((e as { name?: string }).name !== 'ConditionalCheckFailedException') throw e;
    }
  }

  async gateState(projectId: string, roundId: string): Promise<GateState> {
    const res = await this.db.send(
      new BatchGetCommand({
        RequestItems: { [this.tables.main]: { Keys: [keys.opsState(), keys.project(projectId), keys.round(projectId, roundId)], ConsistentRead: true } },
      }),
    );
    const items = res.Responses?.[this.tables.main] ?? [];
    if (Object.keys(res.UnprocessedKeys ?? {}).length > 0) throw new Error('gate state read was throttled');
    const find = (sk: string, pk?: string) => items.find((i) => i.sk === sk && (pk === undefined || i.pk === pk));
    const ops = find('STATE', 'OPERATIONS');
    const project = find('META', keys.project(projectId).pk);
    const round = find(keys.round(projectId, roundId).sk);
    return {
      halted: ops?.halted === true,
      project: project ? (strip(project) as unknown as Project) : undefined,
      round: round ? toDispatchRound(round) : undefined,
    };
  }

  async readBatch(ref: BatchRef): Promise<Delivery[]> {
    return (await this.queryAll({
      TableName: this.tables.deliveries,
      KeyConditionExpression: 'roundId = :r AND begins_with(deliveryId, :b)',
      ExpressionAttributeValues: { ':r': ref.roundId, ':b': batchPrefix(ref.batchNo) },
      ConsistentRead: true,
    })) as unknown as Delivery[];
  }

  async claim(ref: BatchRef, ids: readonly string[], leaseId: string, leaseUntil: number, now: number): Promise<boolean> {
    const groups = chunks(ids, TX_ITEMS - 1);
    if (groups.length > 1) throw new Error(`a batch holds at most ${TX_ITEMS - 1} deliveries`);
    const items: TransactItem[] = ids.map((deliveryId) => ({
      Update: {
        TableName: this.tables.deliveries,
        Key: { roundId: ref.roundId, deliveryId },
        UpdateExpression: 'SET #s = :claimed, leaseId = :l, leaseUntil = :u ADD attempts :one',
        ConditionExpression: '#s = :pending OR (#s = :claimed AND leaseUntil < :now)',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':claimed': 'claimed', ':pending': 'pending', ':l': leaseId, ':u': leaseUntil, ':now': now, ':one': 1 },
      },
    }));
    items.push({
      Put: {
        TableName: this.tables.main,
        Item: { ...leaseKey(ref.projectId, leaseId), projectId: ref.projectId, roundId: ref.roundId, batchNo: ref.batchNo, count: ids.length, until: leaseUntil },
      },
    });
    try {
      await this.transact(items);
      return true;
    } catch (e) {
      if (isConditionCancel(e)) return false;
      throw e;
    }
  }

  async release(ref: BatchRef, ids: readonly string[], leaseId: string): Promise<void> {
    const items: TransactItem[] = ids.map((deliveryId) => ({
      Update: {
        TableName: this.tables.deliveries,
        Key: { roundId: ref.roundId, deliveryId },
        UpdateExpression: 'SET #s = :pending REMOVE leaseId, leaseUntil',
        ConditionExpression: '#s = :claimed AND leaseId = :l',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':pending': 'pending', ':claimed': 'claimed', ':l': leaseId },
      },
    }));
    items.push({ Delete: { TableName: this.tables.main, Key: leaseKey(ref.projectId, leaseId) } });
    try {
      await this.transact(items);
    } catch (e) {
      if (isConditionCancel(e)) throw new LeaseLostError();
      throw e;
    }
  }

  async finalize(ref: BatchRef, outcomes: readonly Outcome[], leaseId: string, decidedAt: string): Promise<void> {
    // Group outcomes so that each transaction holds ≤ 99 items plus the batch's counter update.
    const groups: Outcome[][] = [];
    let current: Outcome[] = [];
    let size = 0;
    for (const o of outcomes) {
      const cost = o.status === 'sent' ? 2 : 1;
      if (size + cost > TX_ITEMS - 2) {
        groups.push(current);
        current = [];
        size = 0;
      }
      current.push(o);
      size += cost;
    }
    if (current.length) groups.push(current);
    for (const [i, group] of groups.entries()) {
      const items: TransactItem[] = [];
      const counters: Partial<Record<Counter, number>> = {};
      const reasons: Record<string, number> = {};
      for (const o of group) {
        const values: Record<string, unknown> = { ':claimed': 'claimed', ':l': leaseId, ':st': o.status, ':at': decidedAt };
        let set = 'SET #s = :st, decidedAt = :at';
        if (o.status === 'sent' || (o.status === 'failed' && o.channel)) {
          set += ', channel = :ch';
          values[':ch'] = o.channel;
        }
        if ((o.status === 'sent' || o.status === 'failed') && o.channelAttempts !== undefined) {
          set += ', channelAttempts = :ca';
          values[':ca'] = o.channelAttempts;
        }
        if (o.status !== 'sent') {
          set += ', reason = :why';
          values[':why'] = o.reason;
        }
        items.push({
          Update: {
            TableName: this.tables.deliveries,
            Key: { roundId: ref.roundId, deliveryId: o.deliveryId },
            UpdateExpression: `${set} REMOVE leaseId, leaseUntil`,
            ConditionExpression: '#s = :claimed AND leaseId = :l',
            ExpressionAttributeNames: { '#s': 'status' },
            ExpressionAttributeValues: values,
          },
        });
        if (o.status === 'sent') {
          items.push({ Update: contactAppendUpdate(this.tables.citizens, o.nin, o.contact) });
          counters.sent = (counters.sent ?? 0) + 1;
        } else if (o.status === 'skipped') {
          const c = counterOf(o.reason);
          counters[c] = (counters[c] ?? 0) + 1;
          if (c === 'skippedOther') reasons[o.reason] = (reasons[o.reason] ?? 0) + 1;
        } else {
          counters.failed = (counters.failed ?? 0) + 1;
        }
      }
      items.push({ Update: this.counterUpdate(ref, counters, reasons) });
      if (i === groups.length - 1) items.push({ Delete: { TableName: this.tables.main, Key: leaseKey(ref.projectId, leaseId) } });
      try {
        await this.transact(items);
      } catch (e) {
        if (isConditionCancel(e)) throw new LeaseLostError();
        throw e;
      }
    }
    if (groups.length === 0) await this.dropLease(ref, leaseId);
  }

  async dropLease(ref: BatchRef, leaseId: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.tables.main, Key: leaseKey(ref.projectId, leaseId) }));
  }

  async cancelPending(ref: BatchRef, ids: readonly string[], decidedAt: string): Promise<void> {
    for (const group of chunks(ids, TX_ITEMS - 1)) {
      const items: TransactItem[] = group.map((deliveryId) => ({
        Update: {
          TableName: this.tables.deliveries,
          Key: { roundId: ref.roundId, deliveryId },
          UpdateExpression: 'SET #s = :cancelled, decidedAt = :at, reason = :why',
          ConditionExpression: '#s = :pending',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':cancelled': 'cancelled', ':pending': 'pending', ':at': decidedAt, ':why': 'round_cancelled' },
        },
      }));
      items.push({ Update: this.counterUpdate(ref, { cancelled: group.length }, {}) });
      try {
        await this.transact(items);
      } catch (e) {
        if (!isConditionCancel(e)) throw e;
        // One of them was claimed meanwhile: cancel the others one by one, so none is lost.
        if (group.length > 1) for (const id of group) await this.cancelPending(ref, [id], decidedAt);
      }
    }
  }

  async redriveFailed(ref: BatchRef, ids: readonly string[]): Promise<number> {
    let moved = 0;
    for (const id of ids) {
      try {
        await this.transact([
          {
            Update: {
              TableName: this.tables.deliveries,
              Key: { roundId: ref.roundId, deliveryId: id },
              UpdateExpression: 'SET #s = :pending REMOVE decidedAt, reason, channel',
              ConditionExpression: '#s = :failed',
              ExpressionAttributeNames: { '#s': 'status' },
              ExpressionAttributeValues: { ':pending': 'pending', ':failed': 'failed' },
            },
          },
          { Update: this.counterUpdate(ref, { failed: -1 }, {}) },
        ]);
        moved++;
      } catch (e) {
        if (!isConditionCancel(e)) throw e;
      }
    }
    return moved;
  }

  async progress(roundId: string, planned: number): Promise<RoundProgress> {
    const items = await this.queryAll({
      TableName: this.tables.deliveries,
      KeyConditionExpression: 'roundId = :r AND begins_with(deliveryId, :c)',
      ExpressionAttributeValues: { ':r': roundId, ':c': COUNTER_PREFIX },
      ConsistentRead: true,
    });
    const totals = Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Record<Counter, number>;
    const skipReasons: Record<string, number> = {};
    const incompleteBatches: { batchNo: number; canary: boolean }[] = [];
    let canaryComplete = true;
    for (const item of items) {
      let done = 0;
      for (const c of COUNTERS) {
        const n = Number(item[c] ?? 0);
        totals[c] += n;
        done += n;
      }
      for (const [reason, n] of Object.entries((item.reasons as Record<string, number>) ?? {})) skipReasons[reason] = (skipReasons[reason] ?? 0) + Number(n);
      if (done < Number(item.size)) {
        incompleteBatches.push({ batchNo: Number(item.batchNo), canary: item.canary === true });
        if (item.canary === true) canaryComplete = false;
      }
    }
    return { counts: withPending({ planned, ...totals }), skipReasons, incompleteBatches: incompleteBatches.sort((a, b) => a.batchNo - b.batchNo), canaryComplete };
  }

  async markSending(ref: BatchRef, leaseId: string): Promise<void> {
    // Conditional on the lease still being there: a worker whose lease was taken over must not send.
    await this.db
      .send(
        new UpdateCommand({
          TableName: this.tables.main,
          Key: leaseKey(ref.projectId, leaseId),
          UpdateExpression: 'SET sending = :t',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':t': true },
        }),
      )
      .catch((e: { name?: string }) => {
        if (e.name === 'ConditionalCheckFailedException') throw new LeaseLostError();
        throw e;
      });
  }

  async inFlight(projectId: string | undefined, now: number): Promise<number> {
    const items = await this.queryAll({
      TableName: this.tables.main,
      KeyConditionExpression: projectId ? 'pk = :p AND begins_with(sk, :s)' : 'pk = :p',
      ExpressionAttributeValues: projectId ? { ':p': 'LEASES', ':s': `${projectId}#` } : { ':p': 'LEASES' },
      ConsistentRead: true,
    });
    return items.filter((i) => i.sending === true && Number(i.until) > now).reduce((sum, i) => sum + Number(i.count), 0);
  }

  async wasChained(ref: BatchRef): Promise<boolean> {
    const res = await this.db.send(
      new GetCommand({ TableName: this.tables.deliveries, Key: counterKey(ref.roundId, ref.batchNo), ConsistentRead: true, ProjectionExpression: 'chained' }),
    );
    return res.Item?.chained === true;
  }

  async markChained(ref: BatchRef): Promise<void> {
    await this.db.send(
      new UpdateCommand({ TableName: this.tables.deliveries, Key: counterKey(ref.roundId, ref.batchNo), UpdateExpression: 'SET chained = :t', ExpressionAttributeValues: { ':t': true } }),
    );
  }

  /** Every decision about one citizen, by keyed hash (GSI byCitizen holds only decided deliveries). */
  async decisionsAbout(citizenKey: string): Promise<Delivery[]> {
    const items = await this.queryAll({
      TableName: this.tables.deliveries,
      IndexName: 'byCitizen',
      KeyConditionExpression: 'citizenKey = :c',
      ExpressionAttributeValues: { ':c': citizenKey },
    });
    return items as unknown as Delivery[];
  }

  /** Failed deliveries of a round, grouped by batch (redrive). */
  async failedOf(roundId: string): Promise<Map<number, string[]>> {
    const items = await this.queryAll({
      TableName: this.tables.deliveries,
      KeyConditionExpression: 'roundId = :r',
      FilterExpression: '#s = :failed',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':r': roundId, ':failed': 'failed' },
      ConsistentRead: true,
    });
    const out = new Map<number, string[]>();
    for (const i of items) out.set(Number(i.batchNo), [...(out.get(Number(i.batchNo)) ?? []), String(i.deliveryId)]);
    return out;
  }

  /** The project of a round, from its counter records (redrive by round id alone). */
  async projectOfRound(roundId: string): Promise<string | undefined> {
    const res = await this.db.send(
      new QueryCommand({
        TableName: this.tables.deliveries,
        KeyConditionExpression: 'roundId = :r AND begins_with(deliveryId, :c)',
        ExpressionAttributeValues: { ':r': roundId, ':c': COUNTER_PREFIX },
        Limit: 1,
      }),
    );
    const p = res.Items?.[0]?.projectId;
    return p === undefined ? undefined : String(p);
  }

  private counterUpdate(ref: BatchRef, counters: Partial<Record<Counter, number>>, reasons: Record<string, number>) {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const sets: string[] = [];
    for (const [i, [c, n]] of Object.entries(counters).entries()) {
      names[`#c${i}`] = c;
      values[`:c${i}`] = n;
      sets.push(`#c${i} = #c${i} + :c${i}`);
    }
    for (const [i, [reason, n]] of Object.entries(reasons).entries()) {
      names[`#r${i}`] = reason;
      values[`:r${i}`] = n;
      sets.push(`reasons.#r${i} = if_not_exists(reasons.#r${i}, :zero) + :r${i}`);
    }
    if (Object.keys(reasons).length) values[':zero'] = 0;
    return {
      TableName: this.tables.deliveries,
      Key: counterKey(ref.roundId, ref.batchNo),
      UpdateExpression: `SET ${sets.join(', ')}`,
      ConditionExpression: 'attribute_exists(deliveryId)',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    };
  }

  /** Transactions that lose a race with another transaction on the same item are retried. */
  private async transact(items: TransactItem[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.db.send(new TransactWriteCommand({ TransactItems: items }));
        return;
      } catch (e) {
        if (!isConflict(e) || attempt >= 8) throw e;
        await new Promise((r) => setTimeout(r, Math.min(500, 10 * 2 ** attempt) * (0.5 + Math.random())));
      }
    }
  }

  private queryAll(input: Parameters<typeof queryAll>[1]) {
    return queryAll(this.db, input);
  }
}
