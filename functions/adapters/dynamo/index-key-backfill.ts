import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { globalCitizenKey, type HashKeyring } from '../../domain/shared/citizen-key.js';
import { mapLimited } from '../../domain/shared/concurrency.js';
import { scanSegments } from './batch.js';
import { ledgerIndexOf } from './contact-ledger.js';
import { isConditionFailure } from './errors.js';
import { keys } from './keys.js';

/** What a backfill found and did: counts only, never a person. */
export interface IndexKeyBackfillReport {
  /** Ledger and withdrawal items read (those with an index key). */
  readonly scanned: number;
  /** Items whose index sort key was the person's national ID in clear, by kind. */
  readonly clear: { readonly ledger: number; readonly withdrawals: number };
  /** Of those, rewritten under the keyed hash (0 on a dry run). */
  readonly rewritten: number;
  /** Of those, changed by someone else between the read and the write: left as they now are. */
  readonly changedMeanwhile: number;
}

export interface IndexKeyBackfillOptions {
  /** Parallel scan segments (DynamoDB's TotalSegments). */
  readonly segments?: number;
  /** Count, write nothing. */
  readonly dryRun?: boolean;
  /** Items per scan page (tests use small pages to cross page boundaries). */
  readonly pageSize?: number;
}

/** Rewrites in flight per segment: well inside a table's on-demand write rate. */
const WRITES_IN_FLIGHT = 16;

/** The person of an item in their own partition (`CIT#` or `OWN#`). */
const ninOf = (pk: unknown): string => String(pk).slice(String(pk).indexOf('#') + 1);

/**
 * Issue 24 #5 for rows written before it: ledger entries (`LEDGER#…`) and withdrawals
 * (`WITHDRAWN#…`) in the citizens table whose gsi1 sort key is the person's national ID in clear
 * (the way they were written before the index took the keyed hash) get the keys the current code
 * writes — the versioned global keyed hash, and for the ledger the shard that hash gives. Readers
 * take the person from the item's own pk and query every shard, so they find an item before,
 * during and after its rewrite.
 *
 * An item is recognised exactly: its gsi1sk equals the ID of its own pk. Each write is conditional
 * on the old sort key, so a row rewritten meanwhile (by a retried batch, by another run) is left
 * alone, and a second run finds nothing to do. Nothing here logs or returns an ID.
 */
export const backfillIndexKeys = async (db: DynamoDBDocumentClient, table: string, ring: HashKeyring, opts: IndexKeyBackfillOptions = {}): Promise<IndexKeyBackfillReport> => {
  const segments = Math.max(1, Math.floor(opts.segments ?? 4));
  const totals = { scanned: 0, ledger: 0, withdrawals: 0, rewritten: 0, changedMeanwhile: 0 };
  const rewrite = async (item: Record<string, unknown>): Promise<void> => {
    const nin = ninOf(item.pk);
    const sk = String(item.sk);
    const projectId = String(item.projectId);
    const ledger = sk.startsWith('LEDGER#');
    const next = ledger ? ledgerIndexOf(nin, projectId, String(item.roundId), ring) : keys.projectWithdrawal(projectId, globalCitizenKey(nin, ring));
    if (ledger) totals.ledger++;
    else totals.withdrawals++;
    if (opts.dryRun) return;
    try {
      await db.send(
        new UpdateCommand({
          TableName: table,
          Key: { pk: item.pk, sk: item.sk },
          UpdateExpression: 'SET gsi1pk = :pk, gsi1sk = :sk',
          ConditionExpression: 'gsi1sk = :old',
          ExpressionAttributeValues: { ':pk': next.gsi1pk, ':sk': next.gsi1sk, ':old': item.gsi1sk },
        }),
      );
      totals.rewritten++;
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
      totals.changedMeanwhile++;
    }
  };
  await scanSegments(
    db,
    {
      TableName: table,
      FilterExpression: 'attribute_exists(gsi1sk) AND (begins_with(sk, :ledger) OR begins_with(sk, :withdrawn))',
      ProjectionExpression: 'pk, sk, gsi1sk, projectId, roundId',
      ExpressionAttributeValues: { ':ledger': 'LEDGER#', ':withdrawn': 'WITHDRAWN#' },
    },
    { segments, pageSize: opts.pageSize },
    async (items) => {
      totals.scanned += items.length;
      await mapLimited(
        items.filter((item) => String(item.gsi1sk) === ninOf(item.pk)),
        WRITES_IN_FLIGHT,
        rewrite,
      );
    },
  );
  return { scanned: totals.scanned, clear: { ledger: totals.ledger, withdrawals: totals.withdrawals }, rewritten: totals.rewritten, changedMeanwhile: totals.changedMeanwhile };
};
