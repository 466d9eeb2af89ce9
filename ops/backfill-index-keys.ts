import { parseArgs } from 'node:util';
import { BACKFILL_OPTIONS, runBackfill, segmentsOf, useBackfillTarget } from './shared/backfill-env.js';

/**
 * npm run ops:backfill-index-keys -- [--dry-run] [--segments N] [--data-dir .data | --table NAME --region R --hash-key-secret-arn ARN]
 *
 * Once per stage, after the release that hashed the index keys (issue 24 #5): ledger entries and
 * withdrawals written before it still have the national ID in clear as their gsi1 sort key; this
 * gives them the keyed hash (functions/adapters/dynamo/index-key-backfill.ts). Safe to run while
 * the platform runs, and again: each write is conditional on the old key.
 *
 * Without --table: the local runtime of `npm start` (its configuration in <data-dir>/runtime.json).
 * With --table (the stack's citizens table) it runs with your AWS credentials, which need Scan and
 * UpdateItem on that table and GetSecretValue on the citizen hash key secret
 * (--hash-key-secret-arn or CITIZEN_HASH_KEY_SECRET_ARN). Prints counts as JSON, never a person.
 * Exit 0 when the whole table was read and every item found rewritten (or counted), 1 on an error.
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
  const exit = await useBackfillTarget({ aws: values.table !== undefined, region: values.region, hashKeySecretArn: values['hash-key-secret-arn'], dataDir: values['data-dir'], awsHint: '--table' });
  if (exit !== undefined) return exit;
  // Imported after the environment is in place: the clients and the keyring read it on first use.
  const { dynamo } = await import('../functions/shared/clients.js');
  const { config } = await import('../functions/shared/config.js');
  const { ensureSecrets } = await import('../functions/shared/secrets.js');
  const { backfillIndexKeys } = await import('../functions/adapters/dynamo/index-key-backfill.js');
  await ensureSecrets();
  const report = await backfillIndexKeys(dynamo(), values.table ?? config.tableName('citizens'), config.hashKeys(), { segments, dryRun: values['dry-run'] });
  process.stdout.write(`${JSON.stringify({ dryRun: values['dry-run'], ...report })}\n`);
  return 0;
};

runBackfill('ops:backfill-index-keys', main);
