import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ActiveRound } from '../../domain/dispatch/operations.js';
import type { PlanCursor } from '../../domain/dispatch/plan-round.js';
import type { RoundDispatchState } from '../../domain/dispatch/release.js';
import type { TestRound } from '../../domain/dispatch/test-send.js';
import { keys } from './keys.js';
import { queryAll } from './batch.js';

/**
 * The dispatch side's writes to a round item: status transitions (each conditional on the status
 * it leaves), the planned count, and the planner's cursor. Field-level updates only, so they never
 * overwrite what the rounds module keeps on the same item.
 */
export class DynamoRoundDispatchState implements RoundDispatchState {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async markDispatching(projectId: string, roundId: string, planned: number, by: string, at: string): Promise<boolean> {
    return this.transition(projectId, roundId, ['ready'], 'dispatching', { planned, releasedBy: by, releasedAt: at });
  }

  async transition(projectId: string, roundId: string, from: readonly string[], to: string, extra: Record<string, unknown> = {}): Promise<boolean> {
    const names: Record<string, string> = { '#s': 'status', '#g': 'gsi1pk' };
    const values: Record<string, unknown> = { ':to': to, ':g': `ROUNDSTATUS#${to}`, ':at': new Date().toISOString() };
    const sets = ['#s = :to', '#g = :g', 'updatedAt = :at'];
    for (const [i, [k, v]] of Object.entries(extra).entries()) {
      names[`#x${i}`] = k;
      values[`:x${i}`] = v;
      sets.push(`#x${i} = :x${i}`);
    }
    from.forEach((f, i) => (values[`:f${i}`] = f));
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.round(projectId, roundId),
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: `attribute_exists(pk) AND #s IN (${from.map((_, i) => `:f${i}`).join(', ')})`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (e) {
      if ((e as { name?: string }).name === 'ConditionalCheckFailedException') return false;
      throw e;
    }
  }

  /** A test send's round: released at once, marked `test`, with the same item shape as any round. */
  async createTestRound(r: TestRound): Promise<void> {
    const zero = { sent: 0, skippedReserved: 0, skippedWithdrawn: 0, skippedDuplicate: 0, skippedOther: 0, failed: 0, cancelled: 0 };
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          ...keys.round(r.projectId, r.roundId),
          gsi1pk: 'ROUNDSTATUS#dispatching',
          gsi1sk: `${r.createdAt}#${r.roundId}`,
          type: 'ROUND',
          ...r,
          listId: 'test-send',
          test: true,
          status: 'dispatching',
          onlyNonResponders: false,
          preflight: { total: r.planned, eligible: r.planned, reserved: 0, withdrawn: 0, alreadySent: 0, invalid: 0, deceased: 0, notFound: 0, frequencyCapped: 0, notAwaitingAnswer: 0 },
          findings: [],
          skipReasons: {},
          ...zero,
          releasedAt: r.createdAt,
          releasedBy: r.createdBy,
          updatedAt: r.createdAt,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async readCursor(projectId: string, roundId: string): Promise<PlanCursor> {
    const res = await this.db.send(
      new GetCommand({ TableName: this.table, Key: keys.round(projectId, roundId), ConsistentRead: true, ProjectionExpression: 'plannedBatches, planStarted' }),
    );
    return { plannedBatches: Number(res.Item?.plannedBatches ?? 0), started: res.Item?.planStarted === true };
  }

  async totalBatches(projectId: string, roundId: string): Promise<number | undefined> {
    const res = await this.db.send(
      new GetCommand({ TableName: this.table, Key: keys.round(projectId, roundId), ConsistentRead: true, ProjectionExpression: 'totalBatches' }),
    );
    return res.Item?.totalBatches === undefined ? undefined : Number(res.Item.totalBatches);
  }

  async beginPlanning(projectId: string, roundId: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({ TableName: this.table, Key: keys.round(projectId, roundId), UpdateExpression: 'SET planStarted = :t', ExpressionAttributeValues: { ':t': true } }),
    );
  }

  async advanceCursor(projectId: string, roundId: string, plannedBatches: number, layout: { totalBatches: number; canaryBatches: number }): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: keys.round(projectId, roundId),
        UpdateExpression: 'SET plannedBatches = :n, totalBatches = :t, canaryBatches = :c',
        ConditionExpression: 'attribute_not_exists(plannedBatches) OR plannedBatches < :n',
        ExpressionAttributeValues: { ':n': plannedBatches, ':t': layout.totalBatches, ':c': layout.canaryBatches },
      }),
    ).catch((e: { name?: string }) => {
      if (e.name !== 'ConditionalCheckFailedException') throw e;
    });
  }

  /** Rounds in a status, across projects (gsi1: ROUNDSTATUS#<status>), optionally of one project. */
  async roundsInStatus(statuses: readonly string[], projectId?: string): Promise<ActiveRound[]> {
    const items = (
      await Promise.all(
        statuses.map((status) =>
          queryAll(this.db, { TableName: this.table, IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :g', ExpressionAttributeValues: { ':g': `ROUNDSTATUS#${status}` } }),
        ),
      )
    ).flat();
    return items
      .filter((i) => !projectId || i.projectId === projectId)
      .map((i) => ({
        projectId: String(i.projectId),
        roundId: String(i.roundId),
        status: String(i.status),
        planned: Number(i.planned ?? 0),
        canarySize: typeof i.canary === 'object' && i.canary ? Number((i.canary as { size: number }).size) : undefined,
        canaryConfirmed: i.canaryConfirmed === true,
      }));
  }
}
