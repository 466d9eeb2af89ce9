import { BatchGetCommand, BatchWriteCommand, QueryCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';

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

const chunks = <T>(items: readonly T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
      let pending: Record<string, unknown>[] = chunk;
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > 0) await pause(Math.min(1000, 20 * 2 ** attempt));
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
        pending = (res.UnprocessedKeys?.[table]?.Keys as Record<string, unknown>[] | undefined) ?? [];
        if (attempt > 10 && pending.length > 0) throw new Error('BatchGet could not finish');
      }
      return found;
    }),
  );
  return results.flat();
};

/** BatchWrite puts in chunks of 25, retrying unprocessed items with backoff until all are written. */
export const batchPutAll = async (
  db: DynamoDBDocumentClient,
  table: string,
  items: readonly Record<string, unknown>[],
  concurrency = 8,
): Promise<void> => {
  const all = chunks(items, 25);
  let next = 0;
  const worker = async () => {
    while (next < all.length) {
      const chunk = all[next++]!;
      let pending = chunk.map((Item) => ({ PutRequest: { Item } }));
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > 0) await pause(Math.min(1000, 20 * 2 ** attempt));
        const res = await db.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
        pending = (res.UnprocessedItems?.[table] as typeof pending | undefined) ?? [];
        if (attempt > 10 && pending.length > 0) throw new Error('BatchWrite could not finish');
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, all.length) }, worker));
};

export { chunks };
