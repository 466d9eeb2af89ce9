import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, GetCommand, PutCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { batchGetAll } from './batch.js';
import type { Fence, Gate, GatePort, RoundFence, Stops } from '../../domain/dispatch/ports.js';
import type { ProjectFence } from '../../domain/projects/ports.js';
import type { LetterVersion } from '../../domain/letters/letter.js';
import type { Project } from '../../domain/projects/project.js';
import type { ChunkSummary } from '../../domain/rounds/preparation.js';
import type { RoundPatch, RoundRepository } from '../../domain/rounds/ports.js';
import type { RoundHome } from '../../domain/operations/failover.js';
import { ACTIVE, canTransition, type ReleaseInfo, type Round, type RoundStatus, type Waiting } from '../../domain/rounds/round.js';
import { queryAll } from './batch.js';
import { isConditionFailure } from './errors.js';
import { keys } from './keys.js';
import { drain } from '../../domain/shared/retry.js';

/**
 * The round item in the main table — the one place a round is stored:
 *   pk `PROJECT#<projectId>`, sk `ROUND#<roundId>`, gsi1pk `ROUNDSTATUS#<status>`, gsi1sk `<createdAt>#<roundId>`,
 * and the Round's fields (a released round's `release` with its layout). Counts are not here: a
 * released round is counted by the engine's counter shards (batch-store.ts). Every status change
 * is a conditional UpdateItem on the status it leaves, checked against the transition table first.
 */
const statusIndex = (status: RoundStatus, createdAt: string, roundId: string) => ({ gsi1pk: `ROUNDSTATUS#${status}`, gsi1sk: `${createdAt}#${roundId}` });
/** A background pre-flight's chunk result: next to its round, outside the `ROUND#` range listRounds reads. */
const prepChunkKey = (projectId: string, roundId: string, chunk: number) => ({ pk: `PROJECT#${projectId}`, sk: `ROUNDPREP#${roundId}#${String(chunk).padStart(7, '0')}` });
/** Chunk results are only needed until the round is prepared; they go a week later. */
const PREP_CHUNK_TTL_SECONDS = 7 * 86_400;
const releaseSeqKey = (projectId: string) => ({ pk: `PROJECT#${projectId}`, sk: 'RELEASESEQ' });

const STRIP = new Set(['pk', 'sk', 'gsi1pk', 'gsi1sk', 'type']);
export const toRound = (item: Record<string, unknown>): Round => {
  const round = Object.fromEntries(Object.entries(item).filter(([k]) => !STRIP.has(k))) as unknown as Round;
  // Failed chunks are a number set (ADD/DELETE keep them exact under concurrent chunks): an array here.
  const failed = (round.preparation as { failedChunks?: unknown } | undefined)?.failedChunks;
  if (failed instanceof Set) return { ...round, preparation: { ...round.preparation!, failedChunks: [...(failed as Set<number>)].map(Number).sort((a, b) => a - b) } };
  return round;
};
const toItem = (r: Round) => ({ ...keys.round(r.projectId, r.roundId), ...statusIndex(r.status, r.createdAt, r.roundId), type: 'ROUND', ...r });

const PROJECT_STRIP = new Set(['pk', 'sk', 'gsi1pk', 'gsi1sk']);

/** A project's fence item holds its pause while more pauses are recorded than the last resume ended. */
const pauseHeld = (item: Record<string, unknown> | undefined): boolean => Number(item?.pauses ?? 0) > Number(item?.resumedThrough ?? 0);

/**
 * A georedundant stage's homes: the region a release homes a round in (epoch 1), and the fence
 * table (MRSC) where each round's home and epoch are the truth the engine sends by.
 */
export interface RoundHoming {
  readonly region: string;
  readonly fenceTable: string;
}

export class DynamoRoundRepository implements RoundRepository, GatePort, RoundFence, ProjectFence {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly homing?: RoundHoming,
  ) {}

  /**
   * The stops as the fence table holds them, strongly consistent: the halt (operations-state.ts
   * writes it there first) and the project's pauses and approval reset (notePause, noteResume,
   * noteApprovalReset: one item). Two reads side by side.
   */
  async stopsOf(projectId: string): Promise<Stops> {
    if (!this.homing) return { halted: false };
    const read = (key: Record<string, string>) => this.db.send(new GetCommand({ TableName: this.homing!.fenceTable, Key: key, ConsistentRead: true }));
    const [halt, project] = await Promise.all([read(keys.haltFence()), read(keys.projectFence(projectId))]);
    const approvalResetAt = typeof project.Item?.approvalResetAt === 'string' ? project.Item.approvalResetAt : undefined;
    return { halted: halt.Item?.halted === true, ...(pauseHeld(project.Item) ? { pauseHeld: true } : {}), ...(approvalResetAt ? { approvalResetAt } : {}) };
  }

  /** A project's pause in the fence: one more (`pauses`), an atomic count the regions' writes add to. */
  async notePause(projectId: string): Promise<void> {
    if (!this.homing) return;
    await this.db.send(new UpdateCommand({ TableName: this.homing.fenceTable, Key: keys.projectFence(projectId), UpdateExpression: 'ADD pauses :one', ExpressionAttributeValues: { ':one': 1 } }));
  }

  /**
   * A resume in the fence: `resumedThrough` set to the pauses read, only while they are still that
   * many — a pause recorded meanwhile (in any region) is not ended by a resume that never saw it.
   */
  async noteResume(projectId: string): Promise<'ended' | 'none' | 'paused_again'> {
    if (!this.homing) return 'none';
    const key = keys.projectFence(projectId);
    const found = (await this.db.send(new GetCommand({ TableName: this.homing.fenceTable, Key: key, ConsistentRead: true }))).Item;
    if (!pauseHeld(found)) return 'none';
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.homing.fenceTable,
          Key: key,
          UpdateExpression: 'SET resumedThrough = :n',
          ConditionExpression: 'pauses = :n',
          ExpressionAttributeValues: { ':n': Number(found!.pauses) },
        }),
      );
      return 'ended';
    } catch (e) {
      if (isConditionFailure(e)) return 'paused_again';
      throw e;
    }
  }

  async pausesHeld(projectIds: readonly string[]): Promise<ReadonlySet<string>> {
    if (!this.homing || projectIds.length === 0) return new Set();
    const byKey = new Map(projectIds.map((id) => [keys.projectFence(id).pk, id]));
    const items = await batchGetAll(this.db, this.homing.fenceTable, projectIds.map(keys.projectFence), { consistent: true, projection: 'pk, pauses, resumedThrough' });
    return new Set(items.filter(pauseHeld).flatMap((i) => byKey.get(String(i.pk)) ?? []));
  }

  /** A reset of a project's approval in the fence: the latest `approvalResetAt` only (an older one arriving late changes nothing). */
  async noteApprovalReset(projectId: string, at: string): Promise<void> {
    if (!this.homing) return;
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.homing.fenceTable,
          Key: keys.projectFence(projectId),
          UpdateExpression: 'SET approvalResetAt = :t',
          ConditionExpression: 'attribute_not_exists(approvalResetAt) OR approvalResetAt < :t',
          ExpressionAttributeValues: { ':t': at },
        }),
      );
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
    }
  }

  /** The round's fence, strongly consistent (MRSC: it fails in a region cut off from the others, and so nothing is sent there). */
  async homeOf(projectId: string, roundId: string): Promise<Fence | undefined> {
    if (!this.homing) return undefined;
    const res = await this.db.send(new GetCommand({ TableName: this.homing.fenceTable, Key: keys.roundFence(projectId, roundId), ConsistentRead: true }));
    return res.Item ? { homeRegion: String(res.Item.homeRegion), epoch: Number(res.Item.epoch) } : undefined;
  }

  /** Homes of the active rounds that have one (georedundant stages): what a failover may move. */
  async activeHomes(roundId?: string): Promise<RoundHome[]> {
    const active = (await Promise.all(ACTIVE.map((s) => this.listRoundsByStatus(s)))).flat();
    return active.flatMap((r) =>
      r.homeRegion !== undefined && r.epoch !== undefined && (!roundId || r.roundId === roundId)
        ? [{ projectId: r.projectId, roundId: r.roundId, homeRegion: r.homeRegion, epoch: r.epoch, ...(r.ledgerRebuild ? { ledgerRebuild: true as const } : {}) }]
        : [],
    );
  }

  /** Rounds homed in `region` completed at or after `since` (a failover rebuilds their ledger): the completed status index, read whole. */
  async completedIn(region: string, since?: string): Promise<RoundHome[]> {
    return (await this.listRoundsByStatus('completed')).flatMap((r) =>
      r.status === 'completed' && r.homeRegion === region && r.epoch !== undefined && (since === undefined || (r.completedAt ?? '') >= since)
        ? [{ projectId: r.projectId, roundId: r.roundId, homeRegion: r.homeRegion, epoch: r.epoch }]
        : [],
    );
  }

  /**
   * The fencing compare-and-set: the home moves only from the epoch it was read at — first in the
   * fence (what workers send by; strongly consistent across regions, so it is refused in a region
   * without quorum), then on the round, which holds until the new home has rebuilt its ledger
   * (dispatch/rebuild-ledger.ts). A try that moved the fence but not the round is finished by the
   * next (the fence already at `to`, one epoch on). A round without a fence gets one.
   */
  async moveHome(home: RoundHome, to: string): Promise<boolean> {
    if (this.homing && !(await this.moveFence(home, to))) return false;
    return this.ifEpoch(home.projectId, home.roundId, home.epoch, 'SET homeRegion = :to, epoch = :next, ledgerRebuild = :hold', { ':to': to, ':next': home.epoch + 1, ':hold': true });
  }

  private async moveFence(home: RoundHome, to: string): Promise<boolean> {
    const next = home.epoch + 1;
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.homing!.fenceTable,
          Key: keys.roundFence(home.projectId, home.roundId),
          UpdateExpression: 'SET homeRegion = :to, epoch = :next',
          ConditionExpression: 'attribute_not_exists(pk) OR epoch = :seen',
          ExpressionAttributeValues: { ':to': to, ':next': next, ':seen': home.epoch },
        }),
      );
      return true;
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
      const now = await this.homeOf(home.projectId, home.roundId);
      return now?.homeRegion === to && now.epoch === next;
    }
  }

  /** A release's fence: the round's first home (kept if a retried release finds it written). */
  private async fenceAtRelease(projectId: string, roundId: string): Promise<void> {
    if (!this.homing) return;
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.homing.fenceTable,
          Item: { ...keys.roundFence(projectId, roundId), homeRegion: this.homing.region, epoch: 1 },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
    }
  }

  /** The rebuild's end: the hold goes, unless a later failover moved the round again (its own rebuild clears it). */
  async ledgerRebuilt(projectId: string, roundId: string, epoch: number): Promise<boolean> {
    return this.ifEpoch(projectId, roundId, epoch, 'REMOVE ledgerRebuild', {});
  }

  private async ifEpoch(projectId: string, roundId: string, epoch: number, update: string, values: Record<string, unknown>): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.round(projectId, roundId),
          UpdateExpression: update,
          ConditionExpression: 'epoch = :seen',
          ExpressionAttributeValues: { ...values, ':seen': epoch },
        }),
      );
      return true;
    } catch (e) {
      if (isConditionFailure(e)) return false;
      throw e;
    }
  }

  async createRound(round: Round): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.table, Item: toItem(round), ConditionExpression: 'attribute_not_exists(pk)' }));
  }

  async getRound(projectId: string, roundId: string, opts: { consistent?: boolean } = {}): Promise<Round | undefined> {
    const res = await this.db.send(new GetCommand({ TableName: this.table, Key: keys.round(projectId, roundId), ConsistentRead: opts.consistent ?? true }));
    return res.Item ? toRound(res.Item) : undefined;
  }

  async listRounds(projectId: string): Promise<Round[]> {
    return (
      await queryAll(this.db, {
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :r)',
        ExpressionAttributeValues: { ':pk': keys.project(projectId).pk, ':r': 'ROUND#' },
        ConsistentRead: true,
      })
    ).map(toRound);
  }

  async listRoundsByStatus(status: RoundStatus): Promise<Round[]> {
    return (await queryAll(this.db, { TableName: this.table, IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :s', ExpressionAttributeValues: { ':s': `ROUNDSTATUS#${status}` } })).map(toRound);
  }

  async transitionRound(projectId: string, roundId: string, from: readonly RoundStatus[], to: RoundStatus, patch: RoundPatch = {}): Promise<boolean> {
    const allowed = from.filter((f) => canTransition(f, to) || f === to);
    if (allowed.length === 0) throw new Error(`no transition from ${from.join('|')} to ${to}`);
    try {
      await this.db.send(new UpdateCommand(this.transitionUpdate(projectId, roundId, allowed, to, patch)));
      return true;
    } catch (e) {
      if (isConditionFailure(e)) return false;
      throw e;
    }
  }

  async releaseSeq(projectId: string): Promise<number> {
    const res = await this.db.send(new GetCommand({ TableName: this.table, Key: releaseSeqKey(projectId), ConsistentRead: true }));
    return Number(res.Item?.seq ?? 0);
  }

  async releaseRound(projectId: string, roundId: string, from: readonly RoundStatus[], release: ReleaseInfo, seenSeq: number): Promise<'released' | 'round_changed' | 'raced'> {
    // The fence first: a round that dispatches always has one (a release that then fails leaves a fence no worker acts on).
    await this.fenceAtRelease(projectId, roundId);
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            { Update: this.transitionUpdate(projectId, roundId, from, 'dispatching', { release, scheduledFor: null, ...(this.homing ? { homeRegion: this.homing.region, epoch: 1 } : {}) }) },
            {
              Update: {
                TableName: this.table,
                Key: releaseSeqKey(projectId),
                UpdateExpression: 'SET seq = :next',
                ConditionExpression: 'attribute_not_exists(seq) OR seq = :seen',
                ExpressionAttributeValues: { ':next': seenSeq + 1, ':seen': seenSeq },
              },
            },
          ],
        }),
      );
      return 'released';
    } catch (e) {
      if (!(e instanceof TransactionCanceledException)) throw e;
      const reasons = e.CancellationReasons ?? [];
      if (reasons[0]?.Code === 'ConditionalCheckFailed') return 'round_changed';
      if (reasons[1]?.Code === 'ConditionalCheckFailed' || reasons.some((r) => r.Code === 'TransactionConflict')) return 'raced';
      throw e;
    }
  }

  async setWaiting(projectId: string, roundId: string, waiting: Waiting | undefined): Promise<void> {
    await this.db
      .send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.round(projectId, roundId),
          ...(waiting
            ? { UpdateExpression: 'SET waiting = :w', ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(waiting)', ExpressionAttributeValues: { ':w': waiting } }
            : { UpdateExpression: 'REMOVE waiting', ConditionExpression: 'attribute_exists(waiting)' }),
        }),
      )
      .catch((e: unknown) => {
        if (!isConditionFailure(e)) throw e;
      });
  }

  async recordPreparedChunk(projectId: string, roundId: string, chunk: number, summary: ChunkSummary): Promise<boolean> {
    // Chunks landing at once update the same round item: a transaction conflict is tried again.
    for (let attempt = 0; ; attempt++) {
      try {
        await this.db.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: this.table,
                  Item: { ...prepChunkKey(projectId, roundId, chunk), type: 'ROUNDPREP', summary, expiresAt: Math.floor(Date.now() / 1000) + PREP_CHUNK_TTL_SECONDS },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
              {
                Update: {
                  TableName: this.table,
                  Key: keys.round(projectId, roundId),
                  // A chunk noted as failed for good (then redriven) is failed no more.
                  UpdateExpression: 'SET preparation.checked = preparation.checked + :n DELETE preparation.failedChunks :c',
                  ConditionExpression: '#s = :preparing',
                  ExpressionAttributeNames: { '#s': 'status' },
                  ExpressionAttributeValues: { ':n': summary.rows, ':preparing': 'preparing', ':c': new Set([chunk]) },
                },
              },
            ],
          }),
        );
        return true;
      } catch (e) {
        if (!(e instanceof TransactionCanceledException)) throw e;
        const reasons = e.CancellationReasons ?? [];
        if (reasons.some((r) => r.Code === 'ConditionalCheckFailed')) return false;
        if (!reasons.some((r) => r.Code === 'TransactionConflict') || attempt >= 8) throw e;
        await new Promise((r) => setTimeout(r, 20 * 2 ** attempt * (0.5 + Math.random())));
      }
    }
  }

  async markPreparationChunkFailed(projectId: string, roundId: string, chunk: number): Promise<boolean> {
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            { ConditionCheck: { TableName: this.table, Key: prepChunkKey(projectId, roundId, chunk), ConditionExpression: 'attribute_not_exists(pk)' } },
            {
              Update: {
                TableName: this.table,
                Key: keys.round(projectId, roundId),
                UpdateExpression: 'ADD preparation.failedChunks :c',
                ConditionExpression: '#s = :preparing AND (attribute_not_exists(preparation.failedChunks) OR NOT contains(preparation.failedChunks, :n))',
                ExpressionAttributeNames: { '#s': 'status' },
                ExpressionAttributeValues: { ':c': new Set([chunk]), ':n': chunk, ':preparing': 'preparing' },
              },
            },
          ],
        }),
      );
      return true;
    } catch (e) {
      if (e instanceof TransactionCanceledException && (e.CancellationReasons ?? []).some((r) => r.Code === 'ConditionalCheckFailed')) return false;
      throw e;
    }
  }

  async preparedChunks(projectId: string, roundId: string): Promise<ChunkSummary[]> {
    const items = await queryAll(this.db, {
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
      ExpressionAttributeValues: { ':pk': `PROJECT#${projectId}`, ':p': `ROUNDPREP#${roundId}#` },
      ConsistentRead: true,
    });
    return items.map((i) => i.summary as ChunkSummary);
  }

  async setPreparationWaiting(projectId: string, roundId: string, waiting: Waiting | undefined): Promise<void> {
    await this.db
      .send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.round(projectId, roundId),
          ...(waiting
            ? { UpdateExpression: 'SET preparation.waiting = :w', ExpressionAttributeValues: { ':w': waiting, ':preparing': 'preparing' } }
            : { UpdateExpression: 'REMOVE preparation.waiting', ExpressionAttributeValues: { ':preparing': 'preparing' } }),
          ConditionExpression: '#s = :preparing',
          ExpressionAttributeNames: { '#s': 'status' },
        }),
      )
      .catch((e: unknown) => {
        if (!isConditionFailure(e)) throw e;
      });
  }

  async setAuditHead(projectId: string, roundId: string, head: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: keys.round(projectId, roundId),
        UpdateExpression: 'SET auditHead = :h',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':h': head },
      }),
    );
  }

  /**
   * The gate every batch reads before it claims and before every wave: the halt flag, the project,
   * the round and (when asked) the letter version with its approval, in one strongly consistent
   * read. Keys the service leaves unprocessed (throttling) are read again with backoff.
   */
  async read(projectId: string, roundId: string, letter?: { letterId: string; version: number }): Promise<Gate> {
    const wanted: Record<string, unknown>[] = [keys.opsState(), keys.project(projectId), keys.round(projectId, roundId), releaseSeqKey(projectId)];
    if (letter) wanted.push(keys.letterVersion(projectId, letter.letterId, letter.version));
    const items: Record<string, unknown>[] = [];
    await drain(
      wanted,
      async (pending) => {
        const res = await this.db.send(new BatchGetCommand({ RequestItems: { [this.table]: { Keys: pending, ConsistentRead: true } } }));
        items.push(...(res.Responses?.[this.table] ?? []));
        return (res.UnprocessedKeys?.[this.table]?.Keys as Record<string, unknown>[] | undefined) ?? [];
      },
      { maxAttempts: 7, baseDelayMs: 50, maxDelayMs: 1_000, exhausted: () => new Error('gate state read was throttled') },
    );
    const find = (k: { pk: string; sk: string }): Record<string, unknown> | undefined => items.find((i) => i.pk === k.pk && i.sk === k.sk);
    const ops = find(keys.opsState());
    const project = find(keys.project(projectId));
    const round = find(keys.round(projectId, roundId));
    const version = letter ? find(keys.letterVersion(projectId, letter.letterId, letter.version)) : undefined;
    return {
      halted: ops?.halted === true,
      releaseSeq: Number(find(releaseSeqKey(projectId))?.seq ?? 0),
      ...(project ? { project: Object.fromEntries(Object.entries(project).filter(([k]) => !PROJECT_STRIP.has(k))) as unknown as Project } : {}),
      ...(round ? { round: toRound(round) } : {}),
      ...(version ? { version: Object.fromEntries(Object.entries(version).filter(([k]) => !PROJECT_STRIP.has(k) && k !== 'entity')) as unknown as LetterVersion } : {}),
    };
  }

  private transitionUpdate(projectId: string, roundId: string, from: readonly RoundStatus[], to: RoundStatus, patch: RoundPatch) {
    const names: Record<string, string> = { '#s': 'status', '#g': 'gsi1pk', '#u': 'updatedAt' };
    const values: Record<string, unknown> = { ':to': to, ':g': `ROUNDSTATUS#${to}`, ':u': new Date().toISOString() };
    const sets = ['#s = :to', '#g = :g', '#u = :u'];
    const removes: string[] = [];
    Object.entries(patch).forEach(([k, v], i) => {
      if (v === undefined) return;
      names[`#f${i}`] = k;
      if (v === null) removes.push(`#f${i}`);
      else {
        values[`:f${i}`] = v;
        sets.push(`#f${i} = :f${i}`);
      }
    });
    from.forEach((s, i) => (values[`:from${i}`] = s));
    return {
      TableName: this.table,
      Key: keys.round(projectId, roundId),
      UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
      ConditionExpression: `attribute_exists(pk) AND #s IN (${from.map((_, i) => `:from${i}`).join(', ')})`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    };
  }
}
