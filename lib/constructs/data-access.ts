import { Aws, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { deployedBucketName } from './secure-bucket.js';
import { deployedSealBucketName } from './seal-bucket.js';
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
}

/** Same naming the local runtime uses (local/provision.ts), so handlers find the DLQ either way. */
export const dlqEnvVar = (queueEnvVar: string): string => `${queueEnvVar.replace(/_URL$/, '')}_DLQ_URL`;

export const CITIZEN_HASH_KEY_SECRET_ARN = 'CITIZEN_HASH_KEY_SECRET_ARN';

// Named actions instead of grantReadWriteData & co., whose KMS and S3 grants contain wildcard
// actions (kms:GenerateDataKey*, s3:GetObject*, s3:List*). TransactWriteItems and
// BatchWriteItem are authorised through the item actions below.
const TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:Scan',
  'dynamodb:ConditionCheckItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
];
const KEY_ACTIONS = ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'];
const SEND_ACTIONS = ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'];
// Operations reports DLQ depth and redrives dead letters back onto the work queue.
const DLQ_ACTIONS = [
  'sqs:GetQueueAttributes',
  'sqs:ReceiveMessage',
  'sqs:DeleteMessage',
  'sqs:ChangeMessageVisibility',
  'sqs:StartMessageMoveTask',
  'sqs:ListMessageMoveTasks',
];
const OBJECT_ACTIONS = ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'];

/**
 * Grants a Lambda role the data plane it works on and returns the environment variables through
 * which functions/shared/config.ts finds each resource. The hash key is passed as a secret ARN,
 * never as a value, so it appears neither in the template nor in the function configuration.
 */
export const grantDataAccess = (role: iam.IRole, data: DataPlane): Record<string, string> => {
  const env: Record<string, string> = {};
  for (const def of Object.values(tables)) {
    const table = data.tables[def.id];
    // Each index by name rather than table.grant's "<table>/index/*".
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: TABLE_ACTIONS,
        resources: [table.tableArn, ...def.indexes.map((ix) => `${table.tableArn}/index/${ix.name}`)],
      }),
    );
    env[def.envVar] = table.tableName;
  }
  for (const def of Object.values(queues)) {
    const { queue, dlq } = data.queues[def.id];
    queue.grant(role, ...SEND_ACTIONS);
    dlq.grant(role, ...DLQ_ACTIONS);
    env[def.envVar] = queue.queueUrl;
    env[dlqEnvVar(def.envVar)] = dlq.queueUrl;
  }
  for (const def of Object.values(buckets)) {
    const name = deployedBucketName(def);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: OBJECT_ACTIONS, resources: [`arn:${Aws.PARTITION}:s3:::${name}/*`] }),
    );
    Validations.of(role).acknowledge({
      // The finding as cdk-nag renders the ARN: pseudo parameters as <AWS::…>.
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${deployedBucketName(def, '<AWS::AccountId>', '<AWS::Region>')}/*]`,
      reason: `Objects in the ${def.id} bucket get keys generated at upload time, so object actions are granted on "<bucket>/*" of this one bucket only; the actions are named one by one.`,
    });
    env[def.envVar] = name;
  }
  // Sealing writes new objects with a compliance retention; nothing may read back, list or
  // delete through a Lambda (the audit:verify command runs with an operator's credentials).
  const seals = deployedSealBucketName(auditSealBucket);
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['s3:PutObject', 's3:PutObjectRetention'], resources: [`arn:${Aws.PARTITION}:s3:::${seals}/*`] }),
  );
  Validations.of(role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${deployedSealBucketName(auditSealBucket, '<AWS::AccountId>', '<AWS::Region>')}/*]`,
    reason: 'Sealed audit heads get one new object key per sealed head (chain and position), so PutObject is granted on "<bucket>/*" of the seal bucket only; Object Lock makes every written object immutable.',
  });
  env[auditSealBucket.envVar] = seals;
  data.key.grant(role, ...KEY_ACTIONS);
  // Not secret.grantRead: its KMS grant goes through a kms:ViaService principal that lands in the
  // key policy of the stateful stack, which would then depend on this stack (a cycle). Decrypt
  // on the key is granted above.
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
      resources: [data.citizenHashKey.secretArn],
    }),
  );
  env[CITIZEN_HASH_KEY_SECRET_ARN] = data.citizenHashKey.secretArn;

  return env;
};
