import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { DynamoAuditLog } from '../functions/adapters/dynamo/audit-log.js';
import { S3AuditSeal } from '../functions/adapters/s3/audit-seal-store.js';
import { checkAgainstSeals, OPERATIONS_SCOPE, scopeOfChain, type SealCheck } from '../functions/domain/shared/audit.js';
import { auditSealBucket, physicalName, tables } from '../lib/resources.js';

const USAGE = `usage: npm run audit:verify -- (--project <projectId> | --operations) [--namespace <ns>]
  Checks a project's (or the operations) audit chain, and every head sealed for it in the
  Object Lock bucket: each sealed head must be an event of the chain with the same hash.
  Tables and bucket: TABLE_AUDIT and BUCKET_AUDIT_SEALS, or --namespace <ns> for a local runtime
  ("dev" for npm start). Endpoints: DYNAMODB_ENDPOINT / AWS_ENDPOINT (local) or AWS defaults.
  Exit status: 0 verified, 1 not verified, 2 usage or configuration error.`;

export interface AuditVerifyResult extends SealCheck {
  readonly chain: string;
}

/** The command without process globals: arguments and environment in, result and exit status out. */
export const runAuditVerify = async (argv: readonly string[], env: Readonly<Record<string, string | undefined>>): Promise<{ status: 0 | 1 | 2; result?: AuditVerifyResult; message?: string }> => {
  let values: { project?: string; operations?: boolean; namespace?: string };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { project: { type: 'string' }, operations: { type: 'boolean' }, namespace: { type: 'string' } },
      strict: true,
    }));
  } catch (e) {
    return { status: 2, message: `${(e as Error).message}\n${USAGE}` };
  }
  if (!values.project === !values.operations) return { status: 2, message: USAGE };
  const chain = values.operations ? OPERATIONS_SCOPE : values.project!;
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(chain)) return { status: 2, message: 'not a project id' };
  const table = values.namespace ? physicalName(values.namespace, tables.audit.id) : env[tables.audit.envVar];
  const bucket = values.namespace ? physicalName(values.namespace, auditSealBucket.id) : env[auditSealBucket.envVar];
  if (!table || !bucket) return { status: 2, message: `set ${tables.audit.envVar} and ${auditSealBucket.envVar}, or give --namespace\n${USAGE}` };

  const region = env.AWS_REGION ?? 'eu-north-1';
  const local = env.DYNAMODB_ENDPOINT || env.AWS_ENDPOINT ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {};
  const dynamo = new DynamoDBClient({ region, endpoint: env.DYNAMODB_ENDPOINT || undefined, ...local });
  const s3 = new S3Client({ region, endpoint: env.AWS_ENDPOINT || undefined, forcePathStyle: Boolean(env.AWS_ENDPOINT), ...local });
  try {
    const audit = new DynamoAuditLog(DynamoDBDocumentClient.from(dynamo), table);
    const scope = scopeOfChain(chain);
    const [events, head, seals] = await Promise.all([audit.list(scope), audit.head(scope), new S3AuditSeal(s3, bucket, 0).sealed(chain)]);
    const result = { chain, ...checkAgainstSeals(scope, events, head, seals) };
    return { status: result.ok ? 0 : 1, result };
  } finally {
    dynamo.destroy();
    s3.destroy();
  }
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runAuditVerify(process.argv.slice(2), process.env).then(
    ({ status, result, message }) => {
      if (message) console.error(message);
      if (result) console.log(JSON.stringify(result, null, 2));
      process.exitCode = status;
    },
    (e: unknown) => {
      console.error(`audit:verify failed: ${(e as Error).message}`);
      process.exitCode = 2;
    },
  );
}
