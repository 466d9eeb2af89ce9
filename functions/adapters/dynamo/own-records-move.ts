import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mapLimited } from '../../domain/shared/concurrency.js';
import { scanSegments } from './batch.js';
import { OWN_RECORDS_MOVED } from './citizen-registry.js';
import { isConditionFailure } from './errors.js';
import { keys } from './keys.js';

/** What a move found and did: counts only, never a person. */
export interface OwnRecordsMoveReport {
  /** Old records found under `CIT#`: reservations and withdrawals. */
  readonly found: { readonly reservations: number; readonly withdrawals: number };
  /** Of those, copied to the citizen's `OWN#` partition and then deleted (0 on a dry run). */
  readonly moved: number;
  /** Reservations left as the citizen set them since (a setting in `OWN#` wins over an old one). */
  readonly newerKept: number;
  /** Whether the move is now marked done on the table (never on a dry run). */
  readonly done: boolean;
}

export interface OwnRecordsMoveOptions {
  /** Parallel scan segments (DynamoDB's TotalSegments). */
  readonly segments?: number;
  /** Count, write nothing. */
  readonly dryRun?: boolean;
  /** Items per scan page (tests use small pages to cross page boundaries). */
  readonly pageSize?: number;
  /** Do nothing where the move is already marked done (the local runtime's start: no scan of a table it already moved). */
  readonly unlessDone?: boolean;
}

/** Moves in flight per segment: well inside a table's on-demand write rate. */
const WRITES_IN_FLIGHT = 16;

/**
 * Issue 24 #5 for rows written before it: the citizen's own reservation (`CIT#<id>/RESERVATION`)
 * and withdrawals (`CIT#<id>/WITHDRAWN#<project>`) move to the citizen's own-settings partition
 * (`OWN#<id>`), where the dispatch worker, which writes contacts and tasks under `CIT#`, has no
 * write grant — and where one item answers both at send time. Readers read both places until this
 * marks the move done (citizen-registry.ts), so a person's setting is found before, during and
 * after their move.
 *
 * Each record is copied first, then deleted. A reservation is copied only where the citizen made
 * no setting since (a conditional update): theirs wins. A withdrawal is added to the settings
 * item's `withdrawnFrom` and copied with its time and project index (kept if already there). A
 * second run finds nothing and marks done again. Nothing here logs or returns an ID. Run it once
 * per stage after deploying the version that reads `OWN#` (ops/move-own-records.ts); the local
 * runtime runs it at every start unless its table is already moved.
 */
export const moveOwnRecords = async (db: DynamoDBDocumentClient, table: string, opts: OwnRecordsMoveOptions = {}): Promise<OwnRecordsMoveReport> => {
  const segments = Math.max(1, Math.floor(opts.segments ?? 4));
  if (opts.unlessDone && (await db.send(new GetCommand({ TableName: table, Key: keys.migration(OWN_RECORDS_MOVED), ConsistentRead: true }))).Item?.done === true) {
    return { found: { reservations: 0, withdrawals: 0 }, moved: 0, newerKept: 0, done: true };
  }
  const totals = { reservations: 0, withdrawals: 0, moved: 0, newerKept: 0 };
  const move = async (item: Record<string, unknown>): Promise<void> => {
    const pk = String(item.pk);
    const nin = pk.slice('CIT#'.length);
    const sk = String(item.sk);
    const reservation = sk === 'RESERVATION';
    if (reservation) totals.reservations++;
    else totals.withdrawals++;
    if (opts.dryRun) return;
    if (reservation) {
      try {
        await db.send(
          new UpdateCommand({
            TableName: table,
            Key: keys.ownSettings(nin),
            UpdateExpression: 'SET reserved = :r, reservationUpdatedAt = :u',
            ConditionExpression: 'attribute_not_exists(reserved)',
            ExpressionAttributeValues: { ':r': item.reserved === true, ':u': String(item.updatedAt ?? new Date().toISOString()) },
          }),
        );
      } catch (e) {
        if (!isConditionFailure(e)) throw e;
        totals.newerKept++;
      }
    } else {
      const { pk: _pk, sk: _sk, ...rest } = item;
      const projectId = String(item.projectId);
      await db.send(new UpdateCommand({ TableName: table, Key: keys.ownSettings(nin), UpdateExpression: 'ADD withdrawnFrom :p', ExpressionAttributeValues: { ':p': new Set([projectId]) } }));
      try {
        await db.send(new PutCommand({ TableName: table, Item: { ...keys.ownWithdrawal(nin, projectId), ...rest }, ConditionExpression: 'attribute_not_exists(pk)' }));
      } catch (e) {
        if (!isConditionFailure(e)) throw e;
      }
    }
    // Only now the old record goes: a reader that still reads both places finds the person's setting in one of them at every moment.
    await db.send(new DeleteCommand({ TableName: table, Key: { pk, sk } }));
    totals.moved++;
  };
  await scanSegments(
    db,
    {
      TableName: table,
      FilterExpression: 'begins_with(pk, :cit) AND (sk = :reservation OR begins_with(sk, :withdrawn))',
      ExpressionAttributeValues: { ':cit': 'CIT#', ':reservation': 'RESERVATION', ':withdrawn': 'WITHDRAWN#' },
    },
    { segments, pageSize: opts.pageSize },
    async (items) => {
      await mapLimited(items, WRITES_IN_FLIGHT, move);
    },
  );
  if (opts.dryRun) return { found: { reservations: totals.reservations, withdrawals: totals.withdrawals }, moved: 0, newerKept: 0, done: false };
  await db.send(
    new PutCommand({
      TableName: table,
      Item: { ...keys.migration(OWN_RECORDS_MOVED), done: true, at: new Date().toISOString(), moved: totals.moved },
    }),
  );
  return { found: { reservations: totals.reservations, withdrawals: totals.withdrawals }, moved: totals.moved, newerKept: totals.newerKept, done: true };
};
