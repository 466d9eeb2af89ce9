import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ContactLedger, ContactRecord } from '../../domain/dispatch/ports.js';
import { batchGetAll } from './batch.js';
import { keys } from './keys.js';

/**
 * The contact ledger on the citizens table: one item per citizen and project,
 * `keys.contacts(nin, projectId)` = { pk: `CIT#${nin}`, sk: `CONTACTS#${projectId}` },
 * holding `contacts: ContactRecord[]` (appended, never rewritten) and `updatedAt`.
 *
 * The dispatch worker appends a record in the same TransactWriteItems that marks the delivery
 * sent: use `contactAppendUpdate(table, nin, record)` as one `Update` of that transaction.
 */
export const contactAppendUpdate = (table: string, nin: string, record: ContactRecord) => ({
  TableName: table,
  Key: keys.contacts(nin, record.projectId),
  UpdateExpression: 'SET contacts = list_append(if_not_exists(contacts, :empty), :rec), updatedAt = :at',
  ExpressionAttributeValues: { ':empty': [], ':rec': [record], ':at': record.sentAt },
});

const ninOf = (pk: unknown) => String(pk).slice('CIT#'.length);

export class DynamoContactLedger implements ContactLedger {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async contactsOf(nins: readonly string[], projectId: string): Promise<Map<string, ContactRecord[]>> {
    const items = await batchGetAll(this.db, this.table, nins.map((n) => keys.contacts(n, projectId)), { consistent: true });
    return new Map(items.map((i) => [ninOf(i.pk), (i.contacts as ContactRecord[] | undefined) ?? []]));
  }

  /**
   * Appends contact records outside a delivery transaction: for tests that need "already
   * received" history, and for any writer that has no delivery record to update with it.
   */
  async recordContacts(entries: readonly { nin: string; record: ContactRecord }[], concurrency = 16): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < entries.length) {
        const e = entries[next++]!;
        await this.db.send(new UpdateCommand(contactAppendUpdate(this.table, e.nin, e.record)));
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, entries.length) }, worker));
  }
}
