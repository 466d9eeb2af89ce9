import { parseArgs } from 'node:util';
import { BACKFILL_OPTIONS, runBackfill, segmentsOf, useBackfillTarget } from './shared/backfill-env.js';

/**
 * npm run ops:backfill-child-pseudonyms -- [--dry-run] [--segments N] [--data-dir .data | --citizens-table NAME --main-table NAME --region R --hash-key-secret-arn ARN]
 *
 * Once per stage, after the release in which a guardian's task about a child carries the child's
 * own pseudonym in the project (issue 24): older such tasks get it, and the answers to them, which
 * named the child in a way that joins with nothing in the round report, are rewritten to it
 * (functions/adapters/dynamo/child-pseudonym-backfill.ts). Safe to run while the platform runs,
 * and again: each write is conditional on what was read.
 *
 * Without --citizens-table: the local runtime of `npm start` (its configuration in
 * <data-dir>/runtime.json). With --citizens-table and --main-table (the stack's tables) it runs
 * with your AWS credentials, which need Scan and UpdateItem on the citizens table, Query and
 * UpdateItem on the main table, and GetSecretValue on the citizen hash key secret
 * (--hash-key-secret-arn or CITIZEN_HASH_KEY_SECRET_ARN). Prints counts as JSON, never a person.
 * Exit 0 when both tables were read and every item found rewritten (or counted), 1 on an error.
 */
const { values } = parseArgs({
  options: {
    ...BACKFILL_OPTIONS,
    'citizens-table': { type: 'string' },
    'main-table': { type: 'string' },
  },
});

const main = async (): Promise<number> => {
  const parsed = segmentsOf(values.segments);
  if ('exit' in parsed) return parsed.exit;
  const { segments } = parsed;
  const aws = values['citizens-table'] !== undefined || values['main-table'] !== undefined;
  if (aws && (!values['citizens-table'] || !values['main-table'])) {
    process.stderr.write('against AWS give both tables: --citizens-table NAME --main-table NAME\n');
    return 2;
  }
  const exit = await useBackfillTarget({ aws, region: values.region, hashKeySecretArn: values['hash-key-secret-arn'], dataDir: values['data-dir'], awsHint: '--citizens-table and --main-table' });
  if (exit !== undefined) return exit;
  // Imported after the environment is in place: the clients and the keyring read it on first use.
  const { dynamo } = await import('../functions/shared/clients.js');
  const { config } = await import('../functions/shared/config.js');
  const { ensureSecrets } = await import('../functions/shared/secrets.js');
  const { backfillChildPseudonyms } = await import('../functions/adapters/dynamo/child-pseudonym-backfill.js');
  await ensureSecrets();
  const tables = { citizens: values['citizens-table'] ?? config.tableName('citizens'), main: values['main-table'] ?? config.tableName('main') };
  const report = await backfillChildPseudonyms(dynamo(), tables, config.hashKeys(), { segments, dryRun: values['dry-run'] });
  process.stdout.write(`${JSON.stringify({ dryRun: values['dry-run'], ...report })}\n`);
  return 0;
};

runBackfill('ops:backfill-child-pseudonyms', main);
