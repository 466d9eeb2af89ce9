import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ContactLedger, ContactRecord } from '../../domain/dispatch/ports.js';
import { batchGetAll, queryAll } from './batch.js';
import { keys } from './keys.js';

/**
 * The contact ledger on the citizens table: one item per citizen and project,
 * `keys.contacts(nin, projectId)` = { pk: `CIT#${nin}`, sk: `CONTACTS#${projectId}` },
 * holding `contacts: ContactRecord[]` (appended, never rewritten) and `updatedAt`, indexed on gsi1
 * as `keys.projectContacts(projectId)` so a round's pre-flight can read a project's contacts in a
 * few Query pages instead of one read per recipient.
 *
 * The dispatch worker appends a record in the same TransactWriteItems that marks the delivery
 * sent: use `contactAppendUpdate(table, nin, record)` as one `Update` of that transaction.
 */
export const contactAppendUpdate = (table: string, nin: string, record: ContactRecord) => ({
  TableName: table,
  Key: keys.contacts(nin, record.projectId),
  UpdateExpression: 'SET contacts = list_append(if_not_exists(contacts, :empty), :rec), updatedAt = :at, gsi1pk = :g, gsi1sk = :n',
  ExpressionAttributeValues: { ':empty': [], ':rec': [record], ':at': record.sentAt, ':g': keys.projectContacts(record.projectId).gsi1pk, ':n': nin },
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
   * Every citizen the project has contacted, with their contacts: for the pre-flight, where a
   * project's contacts are far fewer reads than a list's recipients. Eventually consistent (an
   * index); the send-time check uses contactsOf.
   */
  async contactsOfProject(projectId: string): Promise<Map<string, ContactRecord[]>> {
    const items = await queryAll(this.db, {
      TableName: this.table,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :g',
      ExpressionAttributeValues: { ':g': keys.projectContacts(projectId).gsi1pk },
      ProjectionExpression: 'gsi1sk, contacts',
    });
    return new Map(items.map((i) => [String(i.gsi1sk), (i.contacts as ContactRecord[] | undefined) ?? []]));
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
