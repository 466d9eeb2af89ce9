import { Duration, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { DataPlane } from './constructs/data-access.js';
import { EncryptedTable } from './constructs/encrypted-table.js';
import { SealBucket } from './constructs/seal-bucket.js';
import { SecureBucket } from './constructs/secure-bucket.js';
import { WorkQueue } from './constructs/work-queue.js';
import { auditSealBucket, buckets, queues, tables, type BucketId, type QueueId, type TableId } from './resources.js';

export interface StatefulStackProps extends StackProps {
  /** Browser origins allowed to upload recipient lists through presigned URLs. */
  readonly uploadOrigins: readonly string[];
}

/**
 * Everything that holds data: tables, queues, the recipient-list bucket, the key that encrypts
 * them and the citizen hash key. Kept apart from the stateless stack so that redeploying code
 * can never replace or delete data; termination protection is set by the app.
 */
export class StatefulStack extends Stack {
  readonly data: DataPlane;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);

    const key = new kms.Key(this, 'DataKey', {
      description: 'research-dispatch: tables, queues, recipient lists and secrets',
      enableKeyRotation: true,
      alias: `alias/${this.stackName}/data`,
      pendingWindow: Duration.days(30),
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const tableMap = {} as Record<TableId, EncryptedTable['table']>;
    for (const def of Object.values(tables)) {
      tableMap[def.id] = new EncryptedTable(this, `Table-${def.id}`, { def, key }).table;
    }

    const queueMap = {} as Record<QueueId, { queue: WorkQueue['queue']; dlq: WorkQueue['dlq'] }>;
    for (const def of Object.values(queues)) {
      const q = new WorkQueue(this, `Queue-${def.id}`, { def, key });
      queueMap[def.id] = { queue: q.queue, dlq: q.dlq };
    }

    const bucketMap = {} as Record<BucketId, SecureBucket['bucket']>;
    for (const def of Object.values(buckets)) {
      bucketMap[def.id] = new SecureBucket(this, `Bucket-${def.id}`, { def, key, uploadOrigins: props.uploadOrigins }).bucket;
    }

    const auditSeals = new SealBucket(this, 'Bucket-auditSeals', { def: auditSealBucket }).bucket;

    const citizenHashKey = new secretsmanager.Secret(this, 'CitizenHashKey', {
      description: 'research-dispatch: key of the keyed hash that stands in for national IDs in the audit trail and lookups',
      encryptionKey: key,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(citizenHashKey).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Stored hashes (byCitizen index, operations trail, project pseudonyms) are made with this key, so a scheduled rotation that replaces it would orphan them. The secret is a versioned keyring instead ({"current": "v2", "keys": {"v1": …, "v2": …}}): an operator adds a version and makes it current, every live version stays usable for complaint lookups, and a version is removed only once nothing hashed with it is retained.',
    });

    this.data = { key, tables: tableMap, queues: queueMap, buckets: bucketMap, auditSeals, citizenHashKey };
  }
}
