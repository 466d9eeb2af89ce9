import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { StatisticsEntry, StatisticsReader, StatisticsRecorder } from '../../domain/statistics/ports.js';
import { mergeEntries } from '../../domain/statistics/statistics.js';
import { chunks, queryAll } from './batch.js';
import { isConditionFailure } from './errors.js';
import { keys } from './keys.js';
import { withRetry } from '../../domain/shared/retry.js';

const isTransactionConflict = (e: unknown): boolean => e instanceof TransactionCanceledException && (e.CancellationReasons ?? []).some((r) => r.Code === 'TransactionConflict');

/** A transaction holds at most 100 items: 99 counters and the batch marker. */
const PER_TRANSACTION = 99;

const add = (table: string, e: StatisticsEntry) => ({
  TableName: table,
  Key: keys.statistics(e.month, e.organization, e.channel),
  // ADD is atomic on the server: concurrent batches never lose each other's counts.
  UpdateExpression: 'SET organization = :org, #month = :month, channel = :channel ADD sent :sent, skipped :skipped, failed :failed',
  ExpressionAttributeNames: { '#month': 'month' },
  ExpressionAttributeValues: { ':org': e.organization, ':month': e.month, ':channel': e.channel, ':sent': e.sent, ':skipped': e.skipped, ':failed': e.failed },
});

/** Usage counters in the main table, one item per month, organisation and channel. */
export class DynamoStatistics implements StatisticsRecorder, StatisticsReader {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async record(entries: readonly StatisticsEntry[], options: { readonly batchKey?: string } = {}): Promise<void> {
    const merged = mergeEntries(entries);
    if (merged.length === 0) return;
    if (options.batchKey === undefined) {
      await Promise.all(merged.map((e) => this.db.send(new UpdateCommand(add(this.table, e)))));
      return;
    }
    // Exactly once per batch key: the marker and the counters commit together or not at all.
    await Promise.all(
      chunks(merged, PER_TRANSACTION).map(async (part, i) => {
        try {
          await withRetry(
            () =>
              this.db.send(
                new TransactWriteCommand({
                  TransactItems: [
                    {
                      Put: {
                        TableName: this.table,
                        Item: { ...keys.statisticsBatch(i === 0 ? options.batchKey! : `${options.batchKey}#${i}`), entity: 'statisticsBatch' },
                        ConditionExpression: 'attribute_not_exists(pk)',
                      },
                    },
                    ...part.map((e) => ({ Update: add(this.table, e) })),
                  ],
                }),
              ),
            // Two calls with the same key at once: one wins, the other learns so on its retry.
            { maxAttempts: 9, baseDelayMs: 20, maxDelayMs: 2_000, retryable: (e) => !isConditionFailure(e) && isTransactionConflict(e) },
          );
        } catch (e) {
          if (!isConditionFailure(e)) throw e; // already recorded: a retried batch adds nothing
        }
      }),
    );
  }

  async read(months: readonly string[]): Promise<StatisticsEntry[]> {
    const perMonth = await Promise.all(
      months.map((month) => queryAll(this.db, { TableName: this.table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `STATS#${month}` }, ConsistentRead: true })),
    );
    return perMonth.flat().map((i) => ({
      organization: String(i.organization),
      month: String(i.month),
      channel: String(i.channel),
      sent: Number(i.sent ?? 0),
      skipped: Number(i.skipped ?? 0),
      failed: Number(i.failed ?? 0),
    }));
  }
}
