import { withRetry } from '../functions/domain/shared/retry.js';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  ResourceInUseException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  type AttributeDefinition,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { auditSealBucket, buckets, dlqName, physicalName, queues, tables, type QueueId, type TableDef } from '../lib/resources.js';

/**
 * Creates the tables, queues and bucket of one namespace from the shared definitions in
 * lib/resources.ts (the same ones the CDK stateful stack uses), idempotently, and returns the
 * environment variables the handlers read their names from.
 */
const tableInput = (def: TableDef, name: string) => {
  const attrs = new Map<string, AttributeDefinition>();
  const add = (k: { name: string; type: 'S' | 'N' }) => attrs.set(k.name, { AttributeName: k.name, AttributeType: k.type });
  add(def.partitionKey);
  if (def.sortKey) add(def.sortKey);
  for (const ix of def.indexes) {
    add(ix.partitionKey);
    if (ix.sortKey) add(ix.sortKey);
  }
  const keySchema = (pk: { name: string }, sk?: { name: string }) => [{ AttributeName: pk.name, KeyType: 'HASH' as const }, ...(sk ? [{ AttributeName: sk.name, KeyType: 'RANGE' as const }] : [])];
  return new CreateTableCommand({
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attrs.values()],
    KeySchema: keySchema(def.partitionKey, def.sortKey),
    GlobalSecondaryIndexes: def.indexes.length
      ? def.indexes.map((ix) => ({
          IndexName: ix.name,
          KeySchema: keySchema(ix.partitionKey, ix.sortKey),
          Projection: { ProjectionType: 'ALL' as const },
        }))
      : undefined,
  });
};

/** One table, created or found (with its TTL and every index of its definition). */
const provisionTable = async (dynamo: DynamoDBClient, def: (typeof tables)[keyof typeof tables], name: string): Promise<void> => {
  try {
    await dynamo.send(tableInput(def, name));
  } catch (e) {
    if (!(e instanceof ResourceInUseException)) throw e;
  }
  // Also on a table kept from an earlier version (npm start's .data), which may predate its TTL.
  if (def.ttlAttribute) {
    const ttl = await dynamo.send(new DescribeTimeToLiveCommand({ TableName: name }));
    if (ttl.TimeToLiveDescription?.TimeToLiveStatus !== 'ENABLED') {
      await dynamo.send(new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { AttributeName: def.ttlAttribute, Enabled: true } }));
    }
  }
  const described = await dynamo.send(new DescribeTableCommand({ TableName: name }));
  // A table kept from an earlier version may predate one of its indexes: add what is missing.
  const have = new Set((described.Table?.GlobalSecondaryIndexes ?? []).map((ix) => ix.IndexName));
  const create = tableInput(def, name).input;
  for (const ix of create.GlobalSecondaryIndexes ?? []) {
    if (have.has(ix.IndexName)) continue;
    await dynamo.send(new UpdateTableCommand({ TableName: name, AttributeDefinitions: create.AttributeDefinitions, GlobalSecondaryIndexUpdates: [{ Create: ix }] }));
  }
};

/** A 5xx from the store (DynamoDB Local's bare 500 comes as "Unknown"). */
const isServerError = (e: unknown): boolean => ((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 0) >= 500 || (e as Error).name === 'Unknown';

export const provision = async (
  namespace: string,
  clients: { dynamo: DynamoDBClient; sqs: SQSClient; s3: S3Client },
  /** Tests of crash recovery shorten the visibility timeout, so a "dead" batch comes back in seconds. */
  visibilityOverride: Partial<Record<QueueId, number>> = {},
): Promise<Record<string, string>> => {
  const env: Record<string, string> = {};
  await Promise.all(
    Object.values(tables).map(async (def) => {
      const name = physicalName(namespace, def.id);
      env[def.envVar] = name;
      // Each table's set-up is safe to repeat. DynamoDB Local just started on a data directory has
      // answered a table's creation beside the others with a bare 500 ("UnknownError": one CI run of
      // restart-dynamodb.test); such an answer is tried again, a little later.
      await withRetry(() => provisionTable(clients.dynamo, def, name), { maxAttempts: 4, baseDelayMs: 250, maxDelayMs: 2_000, retryable: isServerError });
    }),
  );
  for (const def of Object.values(queues)) {
    const name = physicalName(namespace, def.id);
    const dlq = await clients.sqs.send(new CreateQueueCommand({ QueueName: dlqName(name) }));
    const dlqArn = (await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn;
    const q = await clients.sqs.send(
      new CreateQueueCommand({
        QueueName: name,
        Attributes: {
          VisibilityTimeout: String(visibilityOverride[def.id] ?? def.visibilityTimeoutSeconds),
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: String(def.maxReceiveCount) }),
        },
      }),
    );
    env[def.envVar] = q.QueueUrl!;
    env[def.dlqEnvVar] = dlq.QueueUrl!;
  }
  // The seal bucket asks for Object Lock as in AWS; the local emulator (fauxqs) ignores it — and
  // the lock headers on each PUT — so locally sealed heads are written but not immutable.
  for (const def of [...Object.values(buckets), { ...auditSealBucket, objectLock: true }]) {
    const name = physicalName(namespace, def.id);
    try {
      await clients.s3.send(new CreateBucketCommand({ Bucket: name, ...('objectLock' in def ? { ObjectLockEnabledForBucket: true } : {}) }));
    } catch (e) {
      const code = (e as { name?: string }).name;
      if (code !== 'BucketAlreadyOwnedByYou' && code !== 'BucketAlreadyExists') throw e;
    }
    env[def.envVar] = name;
  }
  return env;
};
