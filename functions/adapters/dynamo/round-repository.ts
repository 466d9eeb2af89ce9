import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RoundPatch, RoundRepository } from '../../domain/rounds/ports.js';
import { COUNTER_FIELDS, RoundStateError, type CounterField, type Round, type RoundStatus, type SkipReason } from '../../domain/rounds/round.js';
import { isConditionFailure } from './errors.js';
import { keys } from './keys.js';
import { queryAll } from './batch.js';

/**
 * Round item in the main table:
 *   pk `PROJECT#<projectId>`, sk `ROUND#<roundId>`, gsi1pk `ROUNDSTATUS#<status>`, gsi1sk `<createdAt>#<roundId>`,
 *   the Round fields (status, preflight, findings, letterId, letterVersion, contentHash, listId, …),
 *   the counters as top-level numbers — planned, sent, skippedReserved, skippedWithdrawn,
 *   skippedDuplicate, skippedOther, failed, cancelled — and `skipReasons` (map reason → number).
 * Counters are top-level so they can be ADDed atomically, also inside a TransactWriteItems with
 * the delivery record (roundCountsUpdate). Status changes are UpdateItems that never touch them.
 */
const statusIndex = (status: RoundStatus, createdAt: string, roundId: string) => ({ gsi1pk: `ROUNDSTATUS#${status}`, gsi1sk: `${createdAt}#${roundId}` });

const toItem = (r: Round) => {
  const { counts, ...rest } = r;
  return { ...keys.round(r.projectId, r.roundId), ...statusIndex(r.status, r.createdAt, r.roundId), type: 'ROUND', ...rest, ...counts };
};

const STRIP = new Set(['pk', 'sk', 'gsi1pk', 'gsi1sk', 'type', ...COUNTER_FIELDS]);
const toRound = (item: Record<string, unknown>): Round => {
  const rest = Object.fromEntries(Object.entries(item).filter(([k]) => !STRIP.has(k)));
  const counts = Object.fromEntries(COUNTER_FIELDS.map((f) => [f, Number(item[f] ?? 0)])) as Record<CounterField, number>;
  return { ...rest, counts, skipReasons: (item.skipReasons as Round['skipReasons']) ?? {} } as unknown as Round;
};

/**
 * One UpdateItem input that adds counter deltas and skip reasons to a round. Use it as an
 * `Update` inside the dispatch transaction that moves a delivery, so counts and delivery states
 * can never disagree. skipReasons exists (as {}) from creation, so nested ADD paths are valid.
 */
export const roundCountsUpdate = (
  table: string,
  projectId: string,
  roundId: string,
  delta: Partial<Record<CounterField, number>>,
  skipReasons: Partial<Record<SkipReason, number>> = {},
  opts: { now?: string } = {},
) => {
  const names: Record<string, string> = { '#u': 'updatedAt' };
  const values: Record<string, unknown> = { ':u': opts.now ?? new Date().toISOString() };
  const adds: string[] = [];
  Object.entries(delta).forEach(([field, n], i) => {
    if (!n) return;
    names[`#c${i}`] = field;
    values[`:c${i}`] = n;
    adds.push(`#c${i} :c${i}`);
  });
  Object.entries(skipReasons).forEach(([reason, n], i) => {
    if (!n) return;
    names['#sr'] = 'skipReasons';
    names[`#r${i}`] = reason;
    values[`:r${i}`] = n;
    adds.push(`#sr.#r${i} :r${i}`);
  });
  return {
    TableName: table,
    Key: keys.round(projectId, roundId),
    UpdateExpression: `SET #u = :u${adds.length ? ` ADD ${adds.join(', ')}` : ''}`,
    ConditionExpression: 'attribute_exists(pk)',
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
};

export class DynamoRoundRepository implements RoundRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async createRound(round: Round): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.table, Item: toItem(round), ConditionExpression: 'attribute_not_exists(pk)' }));
  }

  async getRound(projectId: string, roundId: string, opts: { consistent?: boolean } = {}): Promise<Round | undefined> {
    const res = await this.db.send(new GetCommand({ TableName: this.table, Key: keys.round(projectId, roundId), ConsistentRead: opts.consistent ?? true }));
    return res.Item ? toRound(res.Item) : undefined;
  }

  async listRounds(projectId: string): Promise<Round[]> {
    return (
      await this.queryAll({
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :r)',
        ExpressionAttributeValues: { ':pk': keys.project(projectId).pk, ':r': 'ROUND#' },
      })
    ).map(toRound);
  }

  async listRoundsByStatus(status: RoundStatus): Promise<Round[]> {
    return (
      await this.queryAll({
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :s',
        ExpressionAttributeValues: { ':s': `ROUNDSTATUS#${status}` },
      })
    ).map(toRound);
  }

  async transitionRound(projectId: string, roundId: string, from: readonly RoundStatus[], to: RoundStatus, patch: RoundPatch = {}): Promise<void> {
    const { addCounts, ...fields } = patch;
    const now = new Date().toISOString();
    const names: Record<string, string> = { '#s': 'status', '#g': 'gsi1pk', '#u': 'updatedAt' };
    const values: Record<string, unknown> = { ':to': to, ':g': `ROUNDSTATUS#${to}`, ':u': now };
    const sets = ['#s = :to', '#g = :g', '#u = :u'];
    Object.entries(fields).forEach(([k, v], i) => {
      if (v === undefined) return;
      names[`#f${i}`] = k;
      values[`:f${i}`] = v;
      sets.push(`#f${i} = :f${i}`);
    });
    const adds: string[] = [];
    Object.entries(addCounts ?? {}).forEach(([k, v], i) => {
      if (!v) return;
      names[`#a${i}`] = k;
      values[`:a${i}`] = v;
      adds.push(`#a${i} :a${i}`);
    });
    const fromNames = from.map((_, i) => `:from${i}`);
    from.forEach((s, i) => (values[`:from${i}`] = s));
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.round(projectId, roundId),
          UpdateExpression: `SET ${sets.join(', ')}${adds.length ? ` ADD ${adds.join(', ')}` : ''}`,
          ConditionExpression: `attribute_exists(pk) AND #s IN (${fromNames.join(', ')})`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    } catch (e) {
      if (isConditionFailure(e)) throw new RoundStateError('ROUND_STATE_CHANGED', 'The round changed status in the meantime; reload it and try again');
      throw e;
    }
  }

  async addToCounts(projectId: string, roundId: string, delta: Partial<Record<CounterField, number>>, skipReasons?: Partial<Record<SkipReason, number>>): Promise<void> {
    await this.db.send(new UpdateCommand(roundCountsUpdate(this.table, projectId, roundId, delta, skipReasons)));
  }

  private queryAll(input: Omit<Parameters<typeof queryAll>[1], 'TableName'>) {
    return queryAll(this.db, { TableName: this.table, ...input });
  }
}
