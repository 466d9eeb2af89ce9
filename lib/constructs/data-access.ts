import { Aws, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { deployedBucketName } from './secure-bucket.js';
import type { Access } from '../access-matrix.js';
import { auditSealBucket, buckets, queues, tables, type BucketId, type QueueId, type TableId } from '../resources.js';

/** What the stateful stack hands the stateless one. */
export interface DataPlane {
  readonly key: kms.IKey;
  readonly tables: Readonly<Record<TableId, dynamodb.ITable>>;
  readonly queues: Readonly<Record<QueueId, { readonly queue: sqs.IQueue; readonly dlq: sqs.IQueue }>>;
  readonly buckets: Readonly<Record<BucketId, s3.IBucket>>;
  /** Where audit chain heads are sealed (Object Lock, compliance mode). */
  readonly auditSeals: s3.IBucket;
  /** Key of the keyed hash that stands in for national IDs in the audit and lookups. */
  readonly citizenHashKey: secretsmanager.ISecret;
  /** Key external form tasks' callback secrets are sealed with (AES-256-GCM), independent of the hash key. */
  readonly callbackSealKey: secretsmanager.ISecret;
}

/** Same naming the local runtime uses (local/provision.ts), so handlers find the DLQ either way. */
export const dlqEnvVar = (queueEnvVar: string): string => `${queueEnvVar.replace(/_URL$/, '')}_DLQ_URL`;

export const CITIZEN_HASH_KEY_SECRET_ARN = 'CITIZEN_HASH_KEY_SECRET_ARN';
/** functions/shared/secrets.ts reads the callback seal key through this ARN (the same name there). */
const CALLBACK_SEAL_KEY_SECRET_ARN = 'CALLBACK_SEAL_KEY_SECRET_ARN';

// Named actions instead of grantReadWriteData & co., whose KMS and S3 grants contain wildcard
// actions (kms:GenerateDataKey*, s3:GetObject*, s3:List*). TransactWriteItems and
// BatchWriteItem/BatchGetItem are authorised through the item actions of lib/access-matrix.ts.
const SEND_ACTIONS = ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'];
// Operations reports DLQ depth and redrives dead letters back onto the work queue.
const DLQ_ACTIONS = ['sqs:GetQueueAttributes', 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:StartMessageMoveTask', 'sqs:ListMessageMoveTasks'];

/**
 * Grants a Lambda role what its row of the access matrix (lib/access-matrix.ts) says, and
 * nothing else, and returns the environment variables through which functions/shared/config.ts
 * finds each resource. Resource names are configuration, not permissions, so every function
 * learns all of them (the composition root builds its adapters from them); the hash-key secret's
 * ARN is given only to functions that may read it, because its presence makes the handler
 * middleware fetch the secret. The key is passed as a secret ARN, never as a value, so it
 * appears neither in the template nor in the function configuration.
 */
export const grantDataAccess = (role: iam.IRole, data: DataPlane, access: Access): Record<string, string> => {
  const env: Record<string, string> = {};
  let writes = false;
  for (const def of Object.values(tables)) {
    const table = data.tables[def.id];
    env[def.envVar] = table.tableName;
    for (const grant of access.tables[def.id] ?? []) {
      const scoped = grant.leadingKeys !== undefined && grant.leadingKeys.length > 0;
      if (scoped && grant.actions.includes('Scan')) throw new Error(`${def.id}: Scan cannot be limited by dynamodb:LeadingKeys`);
      if (scoped && grant.indexes) throw new Error(`${def.id}: index access cannot be limited by dynamodb:LeadingKeys`);
      writes ||= grant.actions.some((a) => ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem'].includes(a));
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: grant.actions.map((a) => `dynamodb:${a}`),
          // Each index by name rather than table.grant's "<table>/index/*".
          resources: [table.tableArn, ...(grant.indexes ? def.indexes.map((ix) => `${table.tableArn}/index/${ix.name}`) : [])],
          ...(scoped ? { conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...grant.leadingKeys] } } } : {}),
        }),
      );
    }
  }
  for (const def of Object.values(queues)) {
    const { queue, dlq } = data.queues[def.id];
    const grant = access.queues[def.id] ?? {};
    if (grant.send) {
      queue.grant(role, ...SEND_ACTIONS);
      writes = true;
    }
    if (grant.deadLetters) dlq.grant(role, ...DLQ_ACTIONS);
    env[def.envVar] = queue.queueUrl;
    env[dlqEnvVar(def.envVar)] = dlq.queueUrl;
  }
  for (const def of Object.values(buckets)) {
    const name = deployedBucketName(def);
    env[def.envVar] = name;
    const actions = access.buckets[def.id] ?? [];
    if (actions.length === 0) continue;
    writes ||= actions.includes('PutObject');
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: actions.map((a) => `s3:${a}`), resources: [`arn:${Aws.PARTITION}:s3:::${name}/*`] }));
    Validations.of(role).acknowledge({
      // The finding as cdk-nag renders the ARN: pseudo parameters as <AWS::…>.
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${deployedBucketName(def, '<AWS::AccountId>', '<AWS::Region>')}/*]`,
      reason: `Objects in the ${def.id} bucket get keys generated at upload time, so object actions are granted on "<bucket>/*" of this one bucket only; the actions are named one by one.`,
    });
  }
  // Sealing writes new objects with a compliance retention; nothing may delete through a Lambda.
  const seals = deployedBucketName(auditSealBucket);
  env[auditSealBucket.envVar] = seals;
  if (access.seals) {
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject', 's3:PutObjectRetention'], resources: [`arn:${Aws.PARTITION}:s3:::${seals}/*`] }));
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${deployedBucketName(auditSealBucket, '<AWS::AccountId>', '<AWS::Region>')}/*]`,
      reason:
        'Sealed audit heads get one new object key per sealed head (chain and position), so PutObject is granted on "<bucket>/*" of the seal bucket only; Object Lock makes every written object immutable.',
    });
  }
  // GET …/audit/verify compares with the latest sealed head: list and read under heads/ only
  // (still never delete: the bucket policy denies that to everyone).
  if (access.readSeals) {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [`arn:${Aws.PARTITION}:s3:::${seals}`],
        conditions: { StringLike: { 's3:prefix': ['heads/*'] } },
      }),
    );
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [`arn:${Aws.PARTITION}:s3:::${seals}/heads/*`] }));
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${deployedBucketName(auditSealBucket, '<AWS::AccountId>', '<AWS::Region>')}/heads/*]`,
      reason: 'The sealed heads of every chain are read under heads/ of the seal bucket (one object per sealed head, keys made when sealing); read only, never delete.',
    });
  }
  // Everything is encrypted with the one platform key: reading needs Decrypt, writing (SQS
  // messages, S3 objects, DynamoDB items) also GenerateDataKey. Envelope encryption never calls
  // kms:Encrypt itself.
  data.key.grant(role, ...(writes ? ['kms:Decrypt', 'kms:GenerateDataKey'] : ['kms:Decrypt']));
  if (access.hashKey) {
    // Not secret.grantRead: its KMS grant goes through a kms:ViaService principal that lands in the
    // key policy of the stateful stack, which would then depend on this stack (a cycle). Decrypt
    // on the key is granted above.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        // A secret named, not created, here (a georedundant secondary's replica) has a partial ARN:
        // the policy must match the suffix Secrets Manager appends.
        resources: [data.citizenHashKey.secretFullArn ?? `${data.citizenHashKey.secretArn}-??????`],
      }),
    );
    env[CITIZEN_HASH_KEY_SECRET_ARN] = data.citizenHashKey.secretArn;
  }
  if (access.callbackSealKey) {
    // As the hash key: read only, by ARN (a replica's partial ARN matched with its suffix).
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        resources: [data.callbackSealKey.secretFullArn ?? `${data.callbackSealKey.secretArn}-??????`],
      }),
    );
    env[CALLBACK_SEAL_KEY_SECRET_ARN] = data.callbackSealKey.secretArn;
  }
  return env;
};
