import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Failover, FailoverPorts } from '../../domain/operations/failover.js';
import { isConditionFailure } from './errors.js';

/** Failovers of a georedundant stage in the main (control) table: pk `OPERATIONS`, sk `FAILOVER#<id>`. */
const key = (failoverId: string) => ({ pk: 'OPERATIONS', sk: `FAILOVER#${failoverId}` });

const toFailover = (item: Record<string, unknown>): Failover => {
  const { pk: _pk, sk: _sk, type: _type, ...f } = item;
  return f as unknown as Failover;
};

type FailoverStore = FailoverPorts['failovers'];
type Heartbeats = FailoverPorts['heartbeats'];

export class DynamoFailoverStore implements FailoverStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async create(f: Failover): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.table, Item: { ...key(f.failoverId), type: 'FAILOVER', ...f }, ConditionExpression: 'attribute_not_exists(pk)' }));
  }

  async get(failoverId: string): Promise<Failover | undefined> {
    const res = await this.db.send(new GetCommand({ TableName: this.table, Key: key(failoverId), ConsistentRead: true }));
    return res.Item ? toFailover(res.Item) : undefined;
  }

  /**
   * Failovers are rare (a disaster or a drill), so the whole FAILOVER# range of the one OPERATIONS
   * partition is read, executed ones filtered out; consistent, so a request just made is listed.
   */
  async listPending(): Promise<Failover[]> {
    const out: Failover[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const res = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          FilterExpression: '#s = :pending',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':pk': 'OPERATIONS', ':prefix': 'FAILOVER#', ':pending': 'pending' },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of res.Items ?? []) out.push(toFailover(item));
      start = res.LastEvaluatedKey;
    } while (start);
    return out;
  }

  async markExecuted(failoverId: string, by: { readonly sub: string; readonly name?: string | undefined }, at: string, moved: number): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: key(failoverId),
          UpdateExpression: `SET #s = :done, confirmedBy = :by, confirmedAt = :at, moved = :m${by.name ? ', confirmedByName = :name' : ''}`,
          ConditionExpression: '#s = :pending',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':done': 'executed', ':pending': 'pending', ':by': by.sub, ':at': at, ':m': moved, ...(by.name ? { ':name': by.name } : {}) },
        }),
      );
      return true;
    } catch (e) {
      if (isConditionFailure(e)) return false;
      throw e;
    }
  }
}

/** Each region's heartbeat in the main table (replicated to every region): pk `REGION#<name>`, sk `HEARTBEAT`. */
export class DynamoRegionHeartbeats implements Heartbeats {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async beat(region: string, at: string): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.table, Item: { pk: `REGION#${region}`, sk: 'HEARTBEAT', type: 'HEARTBEAT', region, at } }));
  }

  async last(region: string): Promise<string | undefined> {
    const res = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: `REGION#${region}`, sk: 'HEARTBEAT' } }));
    return typeof res.Item?.at === 'string' ? res.Item.at : undefined;
  }
}
