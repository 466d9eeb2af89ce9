import { BatchGetCommand, BatchWriteCommand, QueryCommand, ScanCommand, type DynamoDBDocumentClient, type QueryCommandInput, type ScanCommandInput } from '@aws-sdk/lib-dynamodb';
import { mapLimited } from '../../domain/shared/concurrency.js';
import { drain } from '../../domain/shared/retry.js';

/** Every item a query matches, page after page (DynamoDB answers at most 1 MB per page). */
export const queryAll = async (db: DynamoDBDocumentClient, input: Omit<QueryCommandInput, 'ExclusiveStartKey'>): Promise<Record<string, unknown>[]> => {
  const out: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const res = await db.send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
    out.push(...(res.Items ?? []));
    start = res.LastEvaluatedKey;
  } while (start);
  return out;
};

/**
 * A whole-table scan in `segments` parallel segments (DynamoDB's TotalSegments), each page handed to
 * `each` before the next page of its segment is read. For one-off operator jobs (backfills), never
 * a request path. `pageSize`: items per page (tests use small pages to cross page boundaries).
 */
export const scanSegments = async (
  db: DynamoDBDocumentClient,
  input: Omit<ScanCommandInput, 'Segment' | 'TotalSegments' | 'ExclusiveStartKey' | 'Limit'>,
  opts: { readonly segments: number; readonly pageSize?: number | undefined },
  each: (items: Record<string, unknown>[]) => Promise<void> | void,
): Promise<void> => {
  await mapLimited(
    Array.from({ length: opts.segments }, (_, segment) => segment),
    opts.segments,
    async (segment) => {
      let start: Record<string, unknown> | undefined;
      do {
        const page = await db.send(new ScanCommand({ ...input, Segment: segment, TotalSegments: opts.segments, ExclusiveStartKey: start, ...(opts.pageSize ? { Limit: opts.pageSize } : {}) }));
        await each(page.Items ?? []);
        start = page.LastEvaluatedKey;
      } while (start);
    },
  );
};

const chunks = <T>(items: readonly T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};

/** Unprocessed keys and items are asked for again: waits from 20 ms doubling up to 1 s (half jittered), 12 steps at most. */
const LEFTOVER = { maxAttempts: 12, baseDelayMs: 20, maxDelayMs: 1_000 } as const;

/** BatchGet in chunks of 100, retrying unprocessed keys with backoff until all are read. */
export const batchGetAll = async (
  db: DynamoDBDocumentClient,
  table: string,
  keys: readonly Record<string, unknown>[],
  opts: { consistent?: boolean; projection?: string; names?: Record<string, string> } = {},
): Promise<Record<string, unknown>[]> => {
  const unique = [...new Map(keys.map((k) => [JSON.stringify(k), k])).values()];
  const results = await Promise.all(
    chunks(unique, 100).map(async (chunk) => {
      const found: Record<string, unknown>[] = [];
      await drain(
        chunk,
        async (pending) => {
          const res = await db.send(
            new BatchGetCommand({
              RequestItems: {
                [table]: {
                  Keys: pending,
                  ConsistentRead: opts.consistent,
                  ProjectionExpression: opts.projection,
                  ExpressionAttributeNames: opts.names,
                },
              },
            }),
          );
          found.push(...(res.Responses?.[table] ?? []));
          return (res.UnprocessedKeys?.[table]?.Keys as Record<string, unknown>[] | undefined) ?? [];
        },
        { ...LEFTOVER, exhausted: () => new Error('BatchGet could not finish') },
      );
      return found;
    }),
  );
  return results.flat();
};

/** BatchWrite puts in chunks of 25, retrying unprocessed items with backoff until all are written. */
export const batchPutAll = async (db: DynamoDBDocumentClient, table: string, items: readonly Record<string, unknown>[], concurrency = 8): Promise<void> => {
  type Put = { PutRequest: { Item: Record<string, unknown> } };
  await mapLimited(chunks(items, 25), concurrency, (chunk) =>
    drain(
      chunk.map((Item): Put => ({ PutRequest: { Item } })),
      async (pending) => {
        const res = await db.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
        return (res.UnprocessedItems?.[table] as Put[] | undefined) ?? [];
      },
      { ...LEFTOVER, exhausted: () => new Error('BatchWrite could not finish') },
    ),
  );
};

export { chunks };
