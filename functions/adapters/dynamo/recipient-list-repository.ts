import { BatchWriteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RecipientListRepository } from '../../domain/lists/ports.js';
import type { RecipientSource } from '../../domain/dispatch/ports.js';
import { ListExpiredError, type ListMetadata, type Recipient } from '../../domain/lists/recipient-list.js';
import { isExpired } from '../../domain/shared/retention.js';
import { isConditionFailure } from './errors.js';
import type { Language } from '../../domain/letters/letter.js';
import { batchPutAll, chunks, queryAll } from './batch.js';
import { keys } from './keys.js';

/**
 * Recipients are stored in chunks (items of up to CHUNK_ROWS recipients, kept under CHUNK_BYTES),
 * each holding a compact JSON array of `[nin, language|0, fields|0]`. One string attribute per
 * chunk keeps a 100,000-row list to ~100 items and keeps the SDK's per-attribute marshalling cost
 * (the CPU bottleneck here) out of the way. The tables are KMS-encrypted at rest.
 */
export const CHUNK_ROWS = 1000;
const CHUNK_BYTES = 300 * 1024;

type PackedRecipient = [string, Language | 0, Record<string, string> | 0];

const pack = (r: Recipient): PackedRecipient => [r.nin, r.language ?? 0, r.fields ?? 0];
const unpack = ([nin, language, fields]: PackedRecipient): Recipient => ({
  nin,
  ...(language ? { language } : {}),
  ...(fields ? { fields } : {}),
});

/** Splits recipients into chunk payloads by row count and by size. */
export const packChunks = (recipients: readonly Recipient[]): string[] => {
  const out: string[] = [];
  let current: string[] = [];
  let bytes = 2;
  for (const r of recipients) {
    const encoded = JSON.stringify(pack(r));
    if (current.length > 0 && (current.length >= CHUNK_ROWS || bytes + encoded.length + 1 > CHUNK_BYTES)) {
      out.push(`[${current.join(',')}]`);
      current = [];
      bytes = 2;
    }
    current.push(encoded);
    bytes += encoded.length + 1;
  }
  if (current.length > 0) out.push(`[${current.join(',')}]`);
  return out;
};

const META_FIELDS = ['projectId', 'listId', 'rows', 'accepted', 'rejectedCount', 'duplicatesInList', 'columns', 'source', 'chunks', 'createdBy', 'createdAt', 'expiresAt'] as const;
const toMeta = (item: Record<string, unknown>): ListMetadata =>
  Object.fromEntries(META_FIELDS.filter((f) => item[f] !== undefined).map((f) => [f, item[f]])) as unknown as ListMetadata;

/** Lists are immutable once stored, so a worker container keeps the few it is sending to. */
const LIST_CACHE_SIZE = 4;

export class DynamoRecipientListRepository implements RecipientListRepository, RecipientSource {
  private readonly cache = new Map<string, Promise<Recipient[]>>();

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly mainTable: string,
    private readonly recipientsTable: string,
  ) {}

  async createList(meta: ListMetadata, recipients: readonly Recipient[]): Promise<void> {
    const payloads = packChunks(recipients);
    // Rows and record expire together (DynamoDB TTL on both tables).
    const ttl = meta.expiresAt !== undefined ? { expiresAt: meta.expiresAt } : {};
    const items = payloads.map((data, chunk) => ({ ...keys.recipientChunk(meta.listId, chunk), data, ...ttl }));
    try {
      await batchPutAll(this.db, this.recipientsTable, items, 16);
      await this.db.send(
        new PutCommand({
          TableName: this.mainTable,
          Item: { ...keys.recipientList(meta.projectId, meta.listId), type: 'RECIPIENT_LIST', ...meta, chunks: payloads.length },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (e) {
      // Nothing half-written: without its metadata the list is invisible, and its chunks go too.
      await this.deleteChunks(meta.listId, payloads.length).catch(() => undefined);
      throw e;
    }
  }

  async getList(projectId: string, listId: string): Promise<ListMetadata | undefined> {
    const res = await this.db.send(new GetCommand({ TableName: this.mainTable, Key: keys.recipientList(projectId, listId), ConsistentRead: true }));
    // TTL deletes lazily: a list past its retention is gone as far as anyone reading it is concerned.
    return res.Item && !isExpired(res.Item.expiresAt) ? toMeta(res.Item) : undefined;
  }

  async listLists(projectId: string): Promise<ListMetadata[]> {
    const items = await queryAll(this.db, {
      TableName: this.mainTable,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :l)',
      ExpressionAttributeValues: { ':pk': keys.project(projectId).pk, ':l': 'LIST#' },
    });
    return items.filter((i) => !isExpired(i.expiresAt)).map(toMeta);
  }

  async readRecipients(listId: string): Promise<Recipient[]> {
    const items = await queryAll(this.db, {
      TableName: this.recipientsTable,
      KeyConditionExpression: 'listId = :l',
      ExpressionAttributeValues: { ':l': listId },
      ConsistentRead: true,
    });
    // Never a silently partial list: any chunk past its retention means the list is (being) deleted.
    if (items.some((i) => isExpired(i.expiresAt))) throw new ListExpiredError();
    return items.flatMap((item) => (JSON.parse(String(item.data)) as PackedRecipient[]).map(unpack));
  }

  /** Recipients [start, end) of a list, from the container's cache of its chunks. */
  async slice(listId: string, start: number, end: number): Promise<Recipient[]> {
    let list = this.cache.get(listId);
    if (!list) {
      list = this.readRecipients(listId);
      this.cache.set(listId, list);
      list.catch(() => this.cache.delete(listId));
      while (this.cache.size > LIST_CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!);
    }
    return (await list).slice(start, end);
  }

  /** Stores recipients under a list id without list metadata (a test send's synthetic persons). */
  async storeUnlisted(listId: string, recipients: readonly Recipient[]): Promise<void> {
    await batchPutAll(this.db, this.recipientsTable, packChunks(recipients).map((data, chunk) => ({ ...keys.recipientChunk(listId, chunk), data })));
  }

  async extendRetention(projectId: string, listId: string, expiresAt: number): Promise<boolean> {
    const extend = async (TableName: string, Key: Record<string, unknown>, exists: string) => {
      try {
        await this.db.send(
          new UpdateCommand({
            TableName,
            Key,
            UpdateExpression: 'SET expiresAt = :e',
            // Only later, never earlier; and an item already expired stays expired.
            ConditionExpression: `attribute_exists(${exists}) AND (attribute_not_exists(expiresAt) OR (expiresAt < :e AND expiresAt > :now))`,
            ExpressionAttributeValues: { ':e': expiresAt, ':now': Math.floor(Date.now() / 1000) },
          }),
        );
      } catch (e) {
        if (!isConditionFailure(e)) throw e;
      }
    };
    const res = await this.db.send(new GetCommand({ TableName: this.mainTable, Key: keys.recipientList(projectId, listId), ConsistentRead: true }));
    if (!res.Item || isExpired(res.Item.expiresAt)) return false;
    // Rows first: the record never promises longer than its rows are kept.
    const count = Number(res.Item.chunks ?? 0);
    for (let i = 0; i < count; i += 16) {
      await Promise.all(
        Array.from({ length: Math.min(16, count - i) }, (_, j) => extend(this.recipientsTable, keys.recipientChunk(listId, i + j), 'listId')),
      );
    }
    await extend(this.mainTable, keys.recipientList(projectId, listId), 'pk');
    return true;
  }

  private async deleteChunks(listId: string, count: number): Promise<void> {
    const all = Array.from({ length: count }, (_, i) => keys.recipientChunk(listId, i));
    for (const batch of chunks(all, 25)) {
      await this.db.send(new BatchWriteCommand({ RequestItems: { [this.recipientsTable]: batch.map((Key) => ({ DeleteRequest: { Key } })) } }));
    }
  }
}
