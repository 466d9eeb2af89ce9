import { parseArgs } from 'node:util';
import { BACKFILL_OPTIONS, runBackfill, segmentsOf, useBackfillTarget } from './shared/backfill-env.js';

/**
 * npm run ops:move-own-records -- [--dry-run] [--segments N] [--data-dir .data | --table NAME --region R]
 *
 * Once per stage, after the release that reads the citizens' own records from their own partition
 * (issue 24 #5): reservations and withdrawals written before it, under `CIT#`, move to `OWN#`, and
 * the move is marked done, after which nothing reads the old places again
 * (functions/adapters/dynamo/own-records-move.ts). Until then every reader reads both places, so
 * it is safe while the platform runs, and again.
 *
 * Without --table: the local runtime of `npm start` (its configuration in <data-dir>/runtime.json;
 * `npm start` runs the move itself at every start). With --table (the stack's citizens table) it
 * runs with your AWS credentials, which need Scan, UpdateItem, PutItem and DeleteItem on that
 * table. Prints counts as JSON, never a person. Exit 0 when the whole table was read and every
 * record found moved (or counted), 1 on an error.
 */
const { values } = parseArgs({
  options: {
    ...BACKFILL_OPTIONS,
    table: { type: 'string' },
  },
});

const main = async (): Promise<number> => {
  const parsed = segmentsOf(values.segments);
  if ('exit' in parsed) return parsed.exit;
  const { segments } = parsed;
  const exit = await useBackfillTarget({ aws: values.table !== undefined, region: values.region, dataDir: values['data-dir'], awsHint: '--table', needsHashKey: false });
  if (exit !== undefined) return exit;
  // Imported after the environment is in place: the clients read it on first use.
  const { dynamo } = await import('../functions/shared/clients.js');
  const { config } = await import('../functions/shared/config.js');
  const { moveOwnRecords } = await import('../functions/adapters/dynamo/own-records-move.js');
  const report = await moveOwnRecords(dynamo(), values.table ?? config.tableName('citizens'), { segments, dryRun: values['dry-run'] });
  process.stdout.write(`${JSON.stringify({ dryRun: values['dry-run'], ...report })}\n`);
  return 0;
};

runBackfill('ops:move-own-records', main);
