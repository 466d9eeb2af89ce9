import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys } from './keys.js';

export interface HaltState {
  readonly halted: boolean;
  readonly reason?: string;
  readonly at?: string;
  readonly by?: string;
}

/** The global halt flag: one item, read strongly consistent by every batch before and after it claims. */
export class DynamoOperationsState {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async read(): Promise<HaltState> {
    const res = await this.db.send(new GetCommand({ TableName: this.table, Key: keys.opsState(), ConsistentRead: true }));
    const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
    return { halted: res.Item?.halted === true, reason: text(res.Item?.reason), at: text(res.Item?.at), by: text(res.Item?.by) };
  }

  async write(state: HaltState): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.table, Item: { ...keys.opsState(), ...state } }));
  }
}
