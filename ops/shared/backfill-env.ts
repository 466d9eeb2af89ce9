import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/**
 * What the backfill commands (ops/backfill-*.ts) share: the number of parallel scan segments they
 * take, and where they run — against `npm start`'s local runtime (its configuration in
 * <data-dir>/runtime.json), or against AWS with the operator's own credentials and the citizen
 * hash key's secret. Each answers an exit code when it cannot go on (having said why on stderr).
 */

/** The options every backfill takes (parseArgs), beside the tables it names. */
export const BACKFILL_OPTIONS = {
  'dry-run': { type: 'boolean', default: false },
  segments: { type: 'string', default: '4' },
  region: { type: 'string' },
  'hash-key-secret-arn': { type: 'string' },
  'data-dir': { type: 'string', default: '.data' },
} as const;

/** `--segments`: a whole number from 1 to 64; otherwise exit code 2. */
export const segmentsOf = (raw: string | undefined): { segments: number } | { exit: number } => {
  const segments = Number(raw);
  if (Number.isInteger(segments) && segments >= 1 && segments <= 64) return { segments };
  process.stderr.write('--segments takes a whole number from 1 to 64\n');
  return { exit: 2 };
};

export interface BackfillTarget {
  /** Tables named on the command line: run against AWS. */
  readonly aws: boolean;
  readonly region?: string | undefined;
  readonly hashKeySecretArn?: string | undefined;
  readonly dataDir: string;
  /** What to pass for AWS, said when no local runtime is found. */
  readonly awsHint: string;
  /** False for a backfill that derives nothing from the citizen hash key (default true). */
  readonly needsHashKey?: boolean;
}

/** Puts the environment in place for the platform's clients and keyring; undefined when done, else the exit code. */
export const useBackfillTarget = async (t: BackfillTarget): Promise<number | undefined> => {
  if (t.aws) {
    if (t.region) process.env.AWS_REGION = t.region;
    if (t.needsHashKey === false) return undefined;
    const arn = t.hashKeySecretArn ?? process.env.CITIZEN_HASH_KEY_SECRET_ARN;
    if (!arn) {
      process.stderr.write('the citizen hash key is needed: --hash-key-secret-arn ARN (or CITIZEN_HASH_KEY_SECRET_ARN)\n');
      return 2;
    }
    process.env.CITIZEN_HASH_KEY_SECRET_ARN = arn;
    return undefined;
  }
  const file = join(resolve(process.cwd(), t.dataDir), 'runtime.json');
  try {
    const runtime = JSON.parse(await readFile(file, 'utf8')) as { env: Record<string, string> };
    Object.assign(process.env, runtime.env);
    return undefined;
  } catch {
    process.stderr.write(`no local runtime found (${file}); is npm start running? For AWS pass ${t.awsHint}.\n`);
    return 1;
  }
};

/**
 * Runs a backfill command to its exit code: 1 with the reason on stderr when it throws (the
 * reasons are the platform's own messages, never a person). The SDK's Node-version notice is
 * silenced first, as in local/main.ts: it is not what an operator needs.
 */
export const runBackfill = (name: string, main: () => Promise<number>): void => {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`${name} failed: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
};
