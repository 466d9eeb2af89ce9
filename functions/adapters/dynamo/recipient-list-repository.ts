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
 *
 * Beside the chunks (sort keys 0…n-1) one boundaries item (sort key -1) records the first row of
 * every chunk, so a range of rows is read from the chunks that hold it alone: the dispatch worker
 * reads a batch's one or two chunks, never the whole list (a 1,000,000-row list is ~1,000 chunks;
 * its boundaries are a few KB).
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

/** Splits recipients into chunk payloads by row count and by size; `rows` is each chunk's row count. */
export const packChunks = (recipients: readonly Recipient[]): { data: string; rows: number }[] => {
  const out: { data: string; rows: number }[] = [];
  let current: string[] = [];
  let bytes = 2;
  for (const r of recipients) {
    const encoded = JSON.stringify(pack(r));
    if (current.length > 0 && (current.length >= CHUNK_ROWS || bytes + encoded.length + 1 > CHUNK_BYTES)) {
      out.push({ data: `[${current.join(',')}]`, rows: current.length });
      current = [];
      bytes = 2;
    }
    current.push(encoded);
    bytes += encoded.length + 1;
  }
  if (current.length > 0) out.push({ data: `[${current.join(',')}]`, rows: current.length });
  return out;
};

/** Sort key of the item that records where each chunk starts. */
const BOUNDARIES = -1;

/** The list's chunk items and its boundaries item: `starts[i]` is the first row of chunk i, `rows` the total. */
const chunkItems = (listId: string, recipients: readonly Recipient[], ttl: { expiresAt?: number }) => {
  const packed = packChunks(recipients);
  const starts: number[] = [];
  let row = 0;
  for (const c of packed) {
    starts.push(row);
    row += c.rows;
  }
  return {
    count: packed.length,
    items: [{ ...keys.recipientChunk(listId, BOUNDARIES), starts, rows: row, ...ttl }, ...packed.map((c, chunk) => ({ ...keys.recipientChunk(listId, chunk), data: c.data, ...ttl }))],
  };
};

interface Boundaries {
  readonly starts: readonly number[];
  readonly rows: number;
}

/** Chunks a container keeps (consecutive batches mostly share one): bounded, whatever the list's size. */
const CHUNK_CACHE_SIZE = 8;
/** Boundaries of lists a container keeps (a few KB each). */
const BOUNDARIES_CACHE_SIZE = 64;

const remember = <K, V>(cache: Map<K, V>, key: K, value: V, max: number) => {
  cache.delete(key);
  cache.set(key, value);
  while (cache.size > max) cache.delete(cache.keys().next().value!);
};

const META_FIELDS = ['projectId', 'listId', 'rows', 'accepted', 'rejectedCount', 'duplicatesInList', 'columns', 'source', 'chunks', 'createdBy', 'createdAt', 'expiresAt'] as const;
const toMeta = (item: Record<string, unknown>): ListMetadata => Object.fromEntries(META_FIELDS.filter((f) => item[f] !== undefined).map((f) => [f, item[f]])) as unknown as ListMetadata;

export class DynamoRecipientListRepository implements RecipientListRepository, RecipientSource {
  /** Lists are immutable once stored, so what was read stays right: boundaries per list, and a few chunks. */
  private readonly boundaries = new Map<string, Promise<Boundaries>>();
  private readonly chunkCache = new Map<string, Promise<Recipient[]>>();

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly mainTable: string,
    private readonly recipientsTable: string,
  ) {}

  async createList(meta: ListMetadata, recipients: readonly Recipient[]): Promise<void> {
    // Rows and record expire together (DynamoDB TTL on both tables).
    const ttl = meta.expiresAt !== undefined ? { expiresAt: meta.expiresAt } : {};
    const { count, items } = chunkItems(meta.listId, recipients, ttl);
    try {
      await batchPutAll(this.db, this.recipientsTable, items, 16);
      await this.db.send(
        new PutCommand({
          TableName: this.mainTable,
          Item: { ...keys.recipientList(meta.projectId, meta.listId), type: 'RECIPIENT_LIST', ...meta, chunks: count },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (e) {
      // Nothing half-written: without its metadata the list is invisible, and its chunks go too.
      await this.deleteChunks(meta.listId, count).catch(() => undefined);
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
      KeyConditionExpression: 'listId = :l AND chunk >= :first',
      ExpressionAttributeValues: { ':l': listId, ':first': 0 },
      ConsistentRead: true,
    });
    // Never a silently partial list: any chunk past its retention means the list is (being) deleted.
    if (items.some((i) => isExpired(i.expiresAt))) throw new ListExpiredError();
    return items.flatMap((item) => (JSON.parse(String(item.data)) as PackedRecipient[]).map(unpack));
  }

  /**
   * Recipients [start, end) of a list, read from the chunks that hold them (found through the
   * list's boundaries item); a few recently read chunks are kept, never a whole large list.
   */
  async slice(listId: string, start: number, end: number): Promise<Recipient[]> {
    const b = await this.cached(this.boundaries, listId, BOUNDARIES_CACHE_SIZE, () => this.readBoundaries(listId));
    if (!b) return (await this.readRecipients(listId)).slice(start, end);
    const to = Math.min(end, b.rows);
    if (start >= to) return [];
    // Chunk i holds rows [starts[i], starts[i+1]).
    const chunkOf = (row: number) => {
      let lo = 0;
      let hi = b.starts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (b.starts[mid]! <= row) lo = mid;
        else hi = mid - 1;
      }
      return lo;
    };
    const first = chunkOf(start);
    const last = chunkOf(to - 1);
    // The span's chunks: those kept are reused, the others read in one Query and kept.
    const max = Math.max(CHUNK_CACHE_SIZE, last - first + 1);
    const span: Promise<Recipient[]>[] = [];
    const missing: number[] = [];
    for (let c = first; c <= last; c++) {
      const kept = this.chunkCache.get(`${listId}#${c}`);
      if (kept) remember(this.chunkCache, `${listId}#${c}`, kept, max);
      else missing.push(c);
    }
    const read = missing.length > 0 ? this.readChunks(listId, missing) : undefined;
    for (let c = first; c <= last; c++) {
      const key = `${listId}#${c}`;
      let rows = this.chunkCache.get(key);
      if (!rows) {
        const i = missing.indexOf(c);
        rows = read!.then((all) => all[i]!);
        rows.catch(() => this.chunkCache.delete(key));
        remember(this.chunkCache, key, rows, max);
      }
      span.push(rows);
    }
    const out: Recipient[] = [];
    for (const [k, rows] of (await Promise.all(span)).entries()) {
      const from = b.starts[first + k]!;
      out.push(...rows.slice(Math.max(0, start - from), to - from));
    }
    return out;
  }

  /** Stores recipients under a list id without list metadata (a test send's synthetic persons). */
  async storeUnlisted(listId: string, recipients: readonly Recipient[]): Promise<void> {
    await batchPutAll(this.db, this.recipientsTable, chunkItems(listId, recipients, {}).items);
  }

  private async cached<T>(cache: Map<string, Promise<T>>, key: string, max: number, load: () => Promise<T>): Promise<T> {
    let p = cache.get(key);
    if (!p) {
      p = load();
      p.catch(() => cache.delete(key));
      remember(cache, key, p, max);
    }
    return p;
  }

  /** The list's boundaries; undefined for a list stored before boundaries were recorded. */
  private async readBoundaries(listId: string): Promise<Boundaries | undefined> {
    const res = await this.db.send(new GetCommand({ TableName: this.recipientsTable, Key: keys.recipientChunk(listId, BOUNDARIES), ConsistentRead: true }));
    if (!res.Item) {
      // Either no such list, or one stored before boundaries were recorded: read as before, and do
      // not remember the answer (it must not stand in for boundaries written later).
      this.boundaries.delete(listId);
      return undefined;
    }
    if (isExpired(res.Item.expiresAt)) throw new ListExpiredError();
    return { starts: (res.Item.starts as number[]).map(Number), rows: Number(res.Item.rows) };
  }

  /** Chunks by number, in the order asked (one Query over the consecutive run). */
  private async readChunks(listId: string, chunkNos: readonly number[]): Promise<Recipient[][]> {
    const lo = chunkNos[0]!;
    const hi = chunkNos[chunkNos.length - 1]!;
    const items = await queryAll(this.db, {
      TableName: this.recipientsTable,
      KeyConditionExpression: 'listId = :l AND chunk BETWEEN :lo AND :hi',
      ExpressionAttributeValues: { ':l': listId, ':lo': lo, ':hi': hi },
      ConsistentRead: true,
    });
    if (items.some((i) => isExpired(i.expiresAt))) throw new ListExpiredError();
    const byNo = new Map(items.map((i) => [Number(i.chunk), i]));
    return chunkNos.map((c) => {
      const item = byNo.get(c);
      // The boundaries promise this chunk: missing means the list is being deleted (TTL) under us.
      if (!item) throw new ListExpiredError();
      return (JSON.parse(String(item.data)) as PackedRecipient[]).map(unpack);
    });
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
    // From the boundaries item (-1) through the last chunk.
    for (let i = BOUNDARIES; i < count; i += 16) {
      await Promise.all(Array.from({ length: Math.min(16, count - i) }, (_, j) => extend(this.recipientsTable, keys.recipientChunk(listId, i + j), 'listId')));
    }
    await extend(this.mainTable, keys.recipientList(projectId, listId), 'pk');
    return true;
  }

  private async deleteChunks(listId: string, count: number): Promise<void> {
    const all = Array.from({ length: count + 1 }, (_, i) => keys.recipientChunk(listId, i + BOUNDARIES));
    for (const batch of chunks(all, 25)) {
      await this.db.send(new BatchWriteCommand({ RequestItems: { [this.recipientsTable]: batch.map((Key) => ({ DeleteRequest: { Key } })) } }));
    }
  }
}
