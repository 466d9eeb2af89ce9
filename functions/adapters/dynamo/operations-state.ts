import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys } from './keys.js';

export interface HaltState {
  readonly halted: boolean;
  readonly reason?: string;
  readonly at?: string;
  readonly by?: string;
}

/**
 * The global halt flag: one item, read strongly consistent by every batch before and after it claims.
 *
 * On a georedundant stage (`fenceTable` given: what operations use) the same state is written
 * first to the MRSC fence table, which every gate read consults (round-repository.ts
 * `stopsOf`): a halt given in one region stops the other at its next wave, where the
 * replicated main table would show it only after replication. Both writes are of the whole state,
 * so a halt or a resume that died between them is finished by pressing again; meanwhile the state
 * reads as halted if either says so (fail closed: a resume is then pressed again, never skipped).
 */
export class DynamoOperationsState {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly fenceTable?: string,
  ) {}

  async read(): Promise<HaltState> {
    const [main, fence] = await Promise.all([this.get(this.table, keys.opsState()), this.fenceTable ? this.get(this.fenceTable, keys.haltFence()) : undefined]);
    return fence?.halted && !main.halted ? fence : main;
  }

  async write(state: HaltState): Promise<void> {
    if (this.fenceTable) await this.db.send(new PutCommand({ TableName: this.fenceTable, Item: { ...keys.haltFence(), ...state } }));
    await this.db.send(new PutCommand({ TableName: this.table, Item: { ...keys.opsState(), ...state } }));
  }

  private async get(table: string, key: Record<string, string>): Promise<HaltState> {
    const res = await this.db.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }));
    const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
    return { halted: res.Item?.halted === true, reason: text(res.Item?.reason), at: text(res.Item?.at), by: text(res.Item?.by) };
  }
}
