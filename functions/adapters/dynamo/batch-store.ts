import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  decodeOutcome,
  decodePlan,
  deltaOf,
  encodeOutcome,
  encodePlan,
  freshBatch,
  isDone,
  isRedrivable,
  type BatchState,
  type CountDelta,
  type FencedPlan,
  type Plan,
} from '../../domain/dispatch/batch.js';
import { type RecipientOutcome } from '../../domain/rounds/round.js';
import type { BrakeCounts } from '../../domain/rounds/brake.js';
import { LeaseLostError, type BatchChain, type BatchRef, type BatchStore, type ClaimResult, type RoundProgress } from '../../domain/dispatch/ports.js';
import { COUNTERS, withPending, type Counter } from '../../domain/rounds/round.js';
import { queryAll } from './batch.js';
import { isConditionFailure } from './errors.js';
import { keys } from './keys.js';
import { withRetry } from '../../domain/shared/retry.js';

type TransactItem = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>[number];

/**
 * The engine's state in DynamoDB, in the deliveries table (one partition per round):
 *   `B#<batchNo>`  one item per batch: lease, each recipient's outcome (compact, comma-joined),
 *                  `done`, `chained`, `failed` (redrive), created on the batch's first claim;
 *   `C#<shard>`    the round's counters in 16 shards (batchNo mod 16) plus `C#K` for the canary's
 *                  batches: ADDed in the same transaction as the batch they count, so the nine
 *                  counts are exact whenever read, and reading them is O(1) in the round's size;
 *   `W#<window>[@<resumedAt>]`  the automatic brake's window (afresh after each resume): decided,
 *                  failed and reserved, added per attempt;
 * and in the main table, `INFLIGHT / <projectId>#<roundId>#<batchNo>#<leaseId>`: a wave in flight
 * (what a pause or halt waits for) until its hard deadline `until`, deleted by the wave's commit.
 * On a georedundant stage the marker is in the fence table instead (keys.ts inFlightFence: one
 * item per region), which is strongly consistent across regions (MRSC): a wave marks itself there
 * before its last read of the fence's stops, and a pause or halt given in any region writes the
 * stop there before it counts every region's markers — so either the wave sees the stop, or the
 * acknowledgement waits for the wave. MRSC takes no transaction: the commit drops the marker right
 * after its own transaction. There too each wave's plan (keys.ts planFence), after the batch item's
 * and before the first channel call: the batch items are MREC, and a region lost before its last
 * writes to one replicated must not leave the next home without the plans it may have handed over.
 */
export const SHARDS = 16;
const batchKey = (roundId: string, batchNo: number) => ({ roundId, deliveryId: `B#${String(batchNo).padStart(6, '0')}` });
const shardOf = (batchNo: number, canary: boolean) => (canary ? 'K' : String(batchNo % SHARDS).padStart(2, '0'));
const shardKey = (roundId: string, shard: string) => ({ roundId, deliveryId: `C#${shard}` });
/** The automatic brake's window of consecutive batches (ADDed once per attempt, never in a transaction: no conflicts). */
const windowKey = (roundId: string, window: string) => ({ roundId, deliveryId: `W#${window}` });
const markerKey = (ref: BatchRef, leaseId: string) => ({ pk: 'INFLIGHT', sk: `${ref.projectId}#${ref.roundId}#${ref.batchNo}#${leaseId}` });
/** A batch's marker in its region's fence item: one at a time (one lease holds the batch), dropped only under that lease. */
const fenceMarker = (ref: BatchRef) => `${ref.projectId}#${ref.roundId}#${ref.batchNo}`;

/** Georedundant stages: where waves in flight are marked (the MRSC fence table), this region and every region's. */
export interface InFlightFence {
  readonly table: string;
  readonly region: string;
  readonly regions: readonly string[];
}
/** Skip reasons are top-level counters on a shard (`r_<reason>`), so an ADD creates them; failure reasons likewise (`f_<reason>`). */
const REASON_PREFIX = 'r_';
const FAILURE_PREFIX = 'f_';

const encode = (outcomes: readonly RecipientOutcome[]) => outcomes.map(encodeOutcome).join(',');
const decode = (s: unknown, size: number): RecipientOutcome[] => {
  if (typeof s !== 'string') return freshBatch(0, size).outcomes as RecipientOutcome[];
  return s.split(',').map(decodeOutcome);
};

const toState = (item: Record<string, unknown>, batchNo: number, size: number): BatchState => ({
  batchNo,
  outcomes: decode(item.o, size),
  ...(typeof item.leaseId === 'string' ? { leaseId: item.leaseId, leaseUntil: Number(item.leaseUntil) } : {}),
  attempts: Number(item.attempts ?? 0),
  chained: item.chained === true,
  ...(decodePlan(item.sending) ? { sending: decodePlan(item.sending)! } : {}),
  ...(typeof item.planSeq === 'number' && item.planSeq > 0 ? { planSeq: item.planSeq } : {}),
});

/** A fenced plan's attribute: its number in the batch, and the lease that bound it (two leases never write over each other's). */
const planAttribute = (seq: number, leaseId: string) => `${seq}#${leaseId}`;

const isCancelledBy = (e: unknown, index: number): boolean => e instanceof TransactionCanceledException && e.CancellationReasons?.[index]?.Code === 'ConditionalCheckFailed';
const isConflict = (e: unknown): boolean => e instanceof TransactionCanceledException && (e.CancellationReasons ?? []).some((r) => r.Code === 'TransactionConflict') && !isConditionFailure(e);

export class DynamoBatchStore implements BatchStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tables: { main: string; deliveries: string },
    /** Epoch seconds after which a batch item or shard may be deleted (retention; refreshed by every write). */
    private readonly expiresAt: () => number = () => Math.floor(Date.now() / 1000) + 90 * 86_400,
    private readonly fence?: InFlightFence,
  ) {}

  /** Drops the wave's marker, unless another lease has marked the batch since (a late worker never drops a live wave's). */
  private async dropMarker(ref: BatchRef, leaseId: string): Promise<void> {
    if (!this.fence) {
      await this.db.send(new DeleteCommand({ TableName: this.tables.main, Key: markerKey(ref, leaseId) }));
      return;
    }
    await this.db
      .send(
        new UpdateCommand({
          TableName: this.fence.table,
          Key: keys.inFlightFence(this.fence.region),
          UpdateExpression: 'REMOVE #m',
          ConditionExpression: '#m.lease = :l',
          ExpressionAttributeNames: { '#m': fenceMarker(ref) },
          ExpressionAttributeValues: { ':l': leaseId },
        }),
      )
      .catch((e: unknown) => {
        if (!isConditionFailure(e)) throw e;
      });
  }

  async read(ref: BatchRef, size: number): Promise<BatchState> {
    const res = await this.db.send(new GetCommand({ TableName: this.tables.deliveries, Key: batchKey(ref.roundId, ref.batchNo), ConsistentRead: true }));
    return res.Item ? toState(res.Item, ref.batchNo, size) : freshBatch(ref.batchNo, size);
  }

  /** The batch's plans as the fence table keeps them (strongly consistent: MRSC). */
  private async fencedPlans(ref: BatchRef): Promise<FencedPlan[]> {
    if (!this.fence) return [];
    const res = await this.db.send(new GetCommand({ TableName: this.fence.table, Key: keys.planFence(ref.projectId, ref.roundId, ref.batchNo), ConsistentRead: true }));
    return Object.entries(res.Item ?? {}).flatMap(([name, value]) => {
      const seq = Number(name.split('#')[0]);
      const plan = decodePlan(value);
      return name !== 'pk' && Number.isInteger(seq) && seq > 0 && plan ? [{ seq, plan }] : [];
    });
  }

  async claim(ref: BatchRef, size: number, leaseId: string, leaseUntil: number, now: number): Promise<ClaimResult> {
    // Georedundant: the batch's plans, read beside the claim. An earlier lease wrote each of its plans
    // there before that plan's first call, and its calls ended within that lease, which has expired.
    const fenced = this.fencedPlans(ref);
    fenced.catch(() => undefined);
    try {
      const res = await this.db.send(
        new UpdateCommand({
          TableName: this.tables.deliveries,
          Key: batchKey(ref.roundId, ref.batchNo),
          UpdateExpression:
            'SET leaseId = :l, leaseUntil = :u, projectId = :p, batchNo = :b, o = if_not_exists(o, :fresh), chained = if_not_exists(chained, :f), attempts = if_not_exists(attempts, :zero) + :one, expiresAt = :exp',
          ConditionExpression: '(attribute_not_exists(leaseId) OR leaseUntil < :now) AND (attribute_not_exists(done) OR done = :f)',
          ExpressionAttributeValues: {
            ':l': leaseId,
            ':u': leaseUntil,
            ':p': ref.projectId,
            ':b': ref.batchNo,
            ':fresh': encode(freshBatch(ref.batchNo, size).outcomes),
            ':f': false,
            ':zero': 0,
            ':one': 1,
            ':now': now,
            ':exp': this.expiresAt(),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      const state = toState(res.Attributes ?? {}, ref.batchNo, size);
      return this.fence ? { kind: 'claimed', state, fenced: await fenced } : { kind: 'claimed', state };
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
      const state = await this.read(ref, size);
      return isDone(state) ? { kind: 'done', state } : { kind: 'busy', until: state.leaseUntil ?? now };
    }
  }

  async markWave(ref: BatchRef, leaseId: string, letters: number, until: number): Promise<void> {
    if (!this.fence) {
      // A dead worker's marker counts for nothing after `until`; TTL removes it a day later.
      await this.db.send(new PutCommand({ TableName: this.tables.main, Item: { ...markerKey(ref, leaseId), projectId: ref.projectId, letters, until, expiresAt: Math.floor(until / 1000) + 86_400 } }));
      return;
    }
    await this.db.send(
      new UpdateCommand({
        TableName: this.fence.table,
        Key: keys.inFlightFence(this.fence.region),
        UpdateExpression: 'SET #m = :w',
        ExpressionAttributeNames: { '#m': fenceMarker(ref) },
        ExpressionAttributeValues: { ':w': { lease: leaseId, letters, until } },
      }),
    );
  }

  async bindPlan(ref: BatchRef, leaseId: string, plan: Plan, seq: number): Promise<void> {
    await this.db
      .send(
        new UpdateCommand({
          TableName: this.tables.deliveries,
          Key: batchKey(ref.roundId, ref.batchNo),
          UpdateExpression: 'SET sending = :plan',
          ConditionExpression: 'leaseId = :l',
          ExpressionAttributeValues: { ':plan': encodePlan(plan), ':l': leaseId },
        }),
      )
      .catch((e: unknown) => {
        if (isConditionFailure(e)) throw new LeaseLostError();
        throw e;
      });
    // Only once bound under our lease (a worker that lost it writes nothing there), before any call.
    if (!this.fence) return;
    await this.db.send(
      new UpdateCommand({
        TableName: this.fence.table,
        Key: keys.planFence(ref.projectId, ref.roundId, ref.batchNo),
        UpdateExpression: 'SET #w = :plan',
        ExpressionAttributeNames: { '#w': planAttribute(seq, leaseId) },
        ExpressionAttributeValues: { ':plan': encodePlan(plan) },
      }),
    );
  }

  async unclaim(ref: BatchRef, leaseId: string, opts: { keepPlan?: boolean } = {}): Promise<void> {
    await Promise.all([
      this.dropMarker(ref, leaseId),
      this.db
        .send(
          new UpdateCommand({
            TableName: this.tables.deliveries,
            Key: batchKey(ref.roundId, ref.batchNo),
            UpdateExpression: opts.keepPlan ? 'REMOVE leaseId, leaseUntil' : 'REMOVE leaseId, leaseUntil, sending',
            ConditionExpression: 'leaseId = :l',
            ExpressionAttributeValues: { ':l': leaseId },
          }),
        )
        .catch((e: unknown) => {
          if (!isConditionFailure(e)) throw e;
        }),
    ]);
  }

  async abandon(ref: BatchRef, leaseId: string): Promise<void> {
    await this.dropMarker(ref, leaseId);
  }

  async commit(ref: BatchRef, leaseId: string, next: Pick<BatchState, 'outcomes' | 'chained' | 'planSeq'>, delta: CountDelta, opts: { canary: boolean; keepLease?: boolean }): Promise<void> {
    const failed = next.outcomes.filter(isRedrivable).length;
    const items: TransactItem[] = [
      {
        Update: {
          TableName: this.tables.deliveries,
          Key: batchKey(ref.roundId, ref.batchNo),
          UpdateExpression: opts.keepLease
            ? 'SET o = :o, chained = :c, done = :d, failed = :fl, planSeq = :ps, expiresAt = :exp REMOVE sending'
            : 'SET o = :o, chained = :c, done = :d, failed = :fl, planSeq = :ps, expiresAt = :exp REMOVE leaseId, leaseUntil, sending',
          ConditionExpression: 'leaseId = :l',
          ExpressionAttributeValues: {
            ':o': encode(next.outcomes),
            ':c': next.chained,
            ':d': isDone(next),
            ':fl': failed,
            ':ps': next.planSeq ?? 0,
            ':l': leaseId,
            ':exp': this.expiresAt(),
          },
        },
      },
    ];
    const shard = this.shardUpdate(ref.roundId, shardOf(ref.batchNo, opts.canary), ref.projectId, delta);
    if (shard) items.push({ Update: shard });
    if (!this.fence) items.push({ Delete: { TableName: this.tables.main, Key: markerKey(ref, leaseId) } });
    await this.transact(items, () => new LeaseLostError());
    // Committed. A marker that cannot be dropped now only makes a pause wait until the wave's
    // deadline, as a dead worker's does; the next wave of this lease writes it over anyway.
    if (this.fence) await this.dropMarker(ref, leaseId).catch(() => undefined);
  }

  async progress(roundId: string, planned: number): Promise<RoundProgress> {
    const items = await queryAll(this.db, {
      TableName: this.tables.deliveries,
      KeyConditionExpression: 'roundId = :r AND begins_with(deliveryId, :c)',
      ExpressionAttributeValues: { ':r': roundId, ':c': 'C#' },
      ConsistentRead: true,
    });
    const totals = Object.fromEntries(COUNTERS.map((c) => [c, 0])) as Record<Counter, number>;
    const skipReasons: Record<string, number> = {};
    const failureReasons: Record<string, number> = {};
    let canaryTerminal = 0;
    for (const item of items) {
      for (const c of COUNTERS) {
        const n = Number(item[c] ?? 0);
        totals[c] += n;
        if (item.deliveryId === 'C#K') canaryTerminal += n;
      }
      for (const [k, v] of Object.entries(item)) {
        if (Number(v) === 0) continue;
        if (k.startsWith(REASON_PREFIX)) skipReasons[k.slice(REASON_PREFIX.length)] = (skipReasons[k.slice(REASON_PREFIX.length)] ?? 0) + Number(v);
        if (k.startsWith(FAILURE_PREFIX)) failureReasons[k.slice(FAILURE_PREFIX.length)] = (failureReasons[k.slice(FAILURE_PREFIX.length)] ?? 0) + Number(v);
      }
    }
    return { counts: withPending({ planned, ...totals }), skipReasons, failureReasons, canaryTerminal };
  }

  async chains(roundId: string, totalBatches: number): Promise<BatchChain[]> {
    const items = await queryAll(this.db, {
      TableName: this.tables.deliveries,
      KeyConditionExpression: 'roundId = :r AND begins_with(deliveryId, :b)',
      ExpressionAttributeValues: { ':r': roundId, ':b': 'B#' },
      ProjectionExpression: 'batchNo, done, chained',
      ConsistentRead: true,
    });
    const byNo = new Map(items.map((i) => [Number(i.batchNo), i]));
    return Array.from({ length: totalBatches }, (_, batchNo) => ({ batchNo, done: byNo.get(batchNo)?.done === true, chained: byNo.get(batchNo)?.chained === true }));
  }

  async inFlight(projectId: string | undefined, now: number): Promise<number> {
    const live = (markers: readonly Record<string, unknown>[]) => markers.filter((m) => Number(m.until) > now).reduce((sum, m) => sum + Number(m.letters), 0);
    if (this.fence) {
      const { table, regions } = this.fence;
      const items = await Promise.all(regions.map(async (r) => (await this.db.send(new GetCommand({ TableName: table, Key: keys.inFlightFence(r), ConsistentRead: true }))).Item ?? {}));
      // Every region's waves: a pause or halt given here waits for those its stop reaches there too.
      return live(items.flatMap((item) => Object.entries(item).flatMap(([k, v]) => (k !== 'pk' && (!projectId || k.startsWith(`${projectId}#`)) ? [v as Record<string, unknown>] : []))));
    }
    const items = await queryAll(this.db, {
      TableName: this.tables.main,
      KeyConditionExpression: projectId ? 'pk = :p AND begins_with(sk, :s)' : 'pk = :p',
      ExpressionAttributeValues: projectId ? { ':p': 'INFLIGHT', ':s': `${projectId}#` } : { ':p': 'INFLIGHT' },
      ConsistentRead: true,
    });
    // An expired marker belongs to a dead worker: its claim will be taken over, and nothing it does can commit.
    return live(items);
  }

  async sweepDeadMarkers(before: number): Promise<number> {
    if (!this.fence) return 0;
    const key = keys.inFlightFence(this.fence.region);
    const item = (await this.db.send(new GetCommand({ TableName: this.fence.table, Key: key, ConsistentRead: true }))).Item ?? {};
    const dead = Object.entries(item).flatMap(([name, m]) => {
      const marker = m as { lease?: unknown; until?: unknown } | undefined;
      return name !== 'pk' && typeof marker?.lease === 'string' && Number(marker.until) < before ? [{ name, lease: marker.lease }] : [];
    });
    let removed = 0;
    // A few at a time, each only if still the lease read (a live worker may have marked the batch again since).
    for (let i = 0; i < dead.length; i += 25) {
      const part = dead.slice(i, i + 25);
      try {
        await this.db.send(
          new UpdateCommand({
            TableName: this.fence.table,
            Key: key,
            UpdateExpression: `REMOVE ${part.map((_, j) => `#m${j}`).join(', ')}`,
            ConditionExpression: part.map((_, j) => `#m${j}.lease = :l${j}`).join(' AND '),
            ExpressionAttributeNames: Object.fromEntries(part.map((d, j) => [`#m${j}`, d.name])),
            ExpressionAttributeValues: Object.fromEntries(part.map((d, j) => [`:l${j}`, d.lease])),
          }),
        );
        removed += part.length;
      } catch (e) {
        // One of them was marked again meanwhile: the rest go at the next sweep.
        if (!isConditionFailure(e)) throw e;
      }
    }
    return removed;
  }

  async readAll(roundId: string): Promise<Map<number, BatchState>> {
    const items = await queryAll(this.db, {
      TableName: this.tables.deliveries,
      KeyConditionExpression: 'roundId = :r AND begins_with(deliveryId, :b)',
      ExpressionAttributeValues: { ':r': roundId, ':b': 'B#' },
      ConsistentRead: true,
    });
    return new Map(items.map((i) => [Number(i.batchNo), toState(i, Number(i.batchNo), 0)]));
  }

  /** Every shard (16, and the canary's) replaced by what the batches count: a shard none of them falls in is zeroed. */
  async recount(ref: Pick<BatchRef, 'projectId' | 'roundId'>, batches: readonly { batchNo: number; canary: boolean; delta: CountDelta }[]): Promise<void> {
    const shards = new Map<string, Record<string, number>>([...Array.from({ length: SHARDS }, (_, i) => shardOf(i, false)), shardOf(0, true)].map((s) => [s, {}]));
    for (const b of batches) {
      const shard = shards.get(shardOf(b.batchNo, b.canary))!;
      const add = (attr: string, n: number | undefined) => void (n && (shard[attr] = (shard[attr] ?? 0) + n));
      for (const [c, n] of Object.entries(b.delta.counters)) add(c, n);
      for (const [r, n] of Object.entries(b.delta.reasons)) add(`${REASON_PREFIX}${r}`, n);
      for (const [r, n] of Object.entries(b.delta.failures)) add(`${FAILURE_PREFIX}${r}`, n);
    }
    await Promise.all(
      [...shards].map(([shard, counts]) =>
        this.db.send(new PutCommand({ TableName: this.tables.deliveries, Item: { ...shardKey(ref.roundId, shard), projectId: ref.projectId, expiresAt: this.expiresAt(), ...counts } })),
      ),
    );
  }

  async batchesWithFailures(roundId: string): Promise<number[]> {
    const items = await queryAll(this.db, {
      TableName: this.tables.deliveries,
      KeyConditionExpression: 'roundId = :r AND begins_with(deliveryId, :b)',
      FilterExpression: 'failed > :z',
      ExpressionAttributeValues: { ':r': roundId, ':b': 'B#', ':z': 0 },
      ProjectionExpression: 'batchNo',
      ConsistentRead: true,
    });
    return items.map((i) => Number(i.batchNo));
  }

  async redrive(ref: BatchRef, opts: { canary: boolean }): Promise<number> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const res = await this.db.send(new GetCommand({ TableName: this.tables.deliveries, Key: batchKey(ref.roundId, ref.batchNo), ConsistentRead: true }));
      if (!res.Item || typeof res.Item.o !== 'string') return 0;
      const before = decode(res.Item.o, 0);
      // A letter in doubt may exist (ePROM takes no sender key): redrive never sends it again.
      const after = before.map((o): RecipientOutcome => (isRedrivable(o) ? { kind: 'pending', tries: 0 } : o));
      const moved = before.filter(isRedrivable).length;
      if (moved === 0) return 0;
      const shard = this.shardUpdate(ref.roundId, shardOf(ref.batchNo, opts.canary), ref.projectId, deltaOf(before, after));
      try {
        await this.transact(
          [
            {
              Update: {
                TableName: this.tables.deliveries,
                Key: batchKey(ref.roundId, ref.batchNo),
                UpdateExpression: 'SET o = :new, done = :f, failed = :z',
                // Only while nobody holds the batch and nothing changed since we read it.
                ConditionExpression: 'o = :old AND (attribute_not_exists(leaseId) OR leaseUntil < :now)',
                ExpressionAttributeValues: { ':new': encode(after), ':old': res.Item.o, ':f': false, ':z': 0, ':now': Date.now() },
              },
            },
            { Update: shard! },
          ],
          () => new LeaseLostError(),
        );
        return moved;
      } catch (e) {
        if (!(e instanceof LeaseLostError)) throw e;
        await new Promise((r) => setTimeout(r, 50 * (attempt + 1)));
      }
    }
    return 0;
  }

  async addToWindow(roundId: string, window: string, counts: BrakeCounts): Promise<BrakeCounts> {
    const res = await this.db.send(
      new UpdateCommand({
        TableName: this.tables.deliveries,
        Key: windowKey(roundId, window),
        UpdateExpression: 'ADD decided :d, failed :f, reserved :r SET expiresAt = :exp',
        ExpressionAttributeValues: { ':d': counts.decided, ':f': counts.failed, ':r': counts.reserved, ':exp': this.expiresAt() },
        ReturnValues: 'ALL_NEW',
      }),
    );
    const item = res.Attributes ?? {};
    return { decided: Number(item.decided ?? 0), failed: Number(item.failed ?? 0), reserved: Number(item.reserved ?? 0) };
  }

  private shardUpdate(roundId: string, shard: string, projectId: string, delta: CountDelta) {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const adds: string[] = [];
    let i = 0;
    const add = (attr: string, n: number) => {
      names[`#a${i}`] = attr;
      values[`:a${i}`] = n;
      adds.push(`#a${i} :a${i}`);
      i++;
    };
    for (const [c, n] of Object.entries(delta.counters)) if (n) add(c, n);
    for (const [r, n] of Object.entries(delta.reasons)) if (n) add(`${REASON_PREFIX}${r}`, n);
    for (const [r, n] of Object.entries(delta.failures)) if (n) add(`${FAILURE_PREFIX}${r}`, n);
    if (adds.length === 0) return undefined;
    names['#p'] = 'projectId';
    values[':p'] = projectId;
    names['#e'] = 'expiresAt';
    values[':exp'] = this.expiresAt();
    return {
      TableName: this.tables.deliveries,
      Key: shardKey(roundId, shard),
      UpdateExpression: `SET #p = :p, #e = :exp ADD ${adds.join(', ')}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    };
  }

  /** A transaction that loses a race with another on the same item is retried; a failed condition is the caller's error. */
  private async transact(items: TransactItem[], onCondition: () => Error): Promise<void> {
    if (items.length === 1 && items[0]!.Update) {
      try {
        await this.db.send(new UpdateCommand(items[0]!.Update as never));
        return;
      } catch (e) {
        if (isConditionFailure(e)) throw onCondition();
        throw e;
      }
    }
    try {
      await withRetry(() => this.db.send(new TransactWriteCommand({ TransactItems: items })), {
        maxAttempts: 9,
        baseDelayMs: 10,
        maxDelayMs: 500,
        retryable: (e) => !isCancelledBy(e, 0) && isConflict(e),
      });
    } catch (e) {
      if (isCancelledBy(e, 0)) throw onCondition();
      throw e;
    }
  }
}
