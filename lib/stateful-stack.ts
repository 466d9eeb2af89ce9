import { Aws, Duration, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { DataPlane } from './constructs/data-access.js';
import { EncryptedTable } from './constructs/encrypted-table.js';
import { GlobalTable, globalTableName } from './constructs/global-table.js';
import { SealBucket } from './constructs/seal-bucket.js';
import { SecureBucket } from './constructs/secure-bucket.js';
import { WorkQueue } from './constructs/work-queue.js';
import { GEO_DATA_KEY_ALIAS, type GeoSettings } from './georedundancy.js';
import { auditSealBucket, buckets, queues, tables, type BucketId, type QueueId, type TableId } from './resources.js';

export interface StatefulStackProps extends StackProps {
  /** Browser origins allowed to upload recipient lists through presigned URLs. */
  readonly uploadOrigins: readonly string[];
  /**
   * A georedundant stage (lib/georedundancy.ts): `home` defines the global tables (replica in the
   * secondary region; an MRSC witness for the `strong` table, the fence), the hash-key secret with its replica
   * and the seal bucket replicating to the secondary's; `secondary` holds that region's own key
   * (deployed first: the home stack names it by alias), queues, buckets and the seal replica, and
   * refers to the replicas by their shared names. Absent: the single-region stage as before.
   */
  readonly geo?: { readonly settings: GeoSettings; readonly stage: string; readonly role: 'home' | 'secondary' };
}

/** Name of a georedundant stage's hash-key secret: fixed, so the secondary region finds its replica. */
export const geoSecretName = (stage: string): string => `research-dispatch/${stage}/citizen-hash-key`;
/** Name of a georedundant stage's callback-seal-key secret, for the same reason. */
export const geoSealSecretName = (stage: string): string => `research-dispatch/${stage}/callback-seal-key`;

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
      // Georedundant: one key per region under the same alias, so a replica's key can be named.
      alias: props.geo ? GEO_DATA_KEY_ALIAS : `alias/${this.stackName}/data`,
      pendingWindow: Duration.days(30),
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const geo = props.geo;
    const tableMap = {} as Record<TableId, dynamodb.ITable>;
    for (const def of Object.values(tables)) {
      if (!geo) tableMap[def.id] = new EncryptedTable(this, `Table-${def.id}`, { def, key }).table;
      else if (geo.role === 'home') tableMap[def.id] = new GlobalTable(this, `Table-${def.id}`, { def, key, geo: geo.settings, stage: geo.stage }).table;
      // The replica in this region, created by the home stack's global table.
      else tableMap[def.id] = dynamodb.TableV2.fromTableAttributes(this, `Table-${def.id}`, { tableName: globalTableName(geo.stage, def), encryptionKey: key });
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

    // Georedundant home: every sealed head is replicated (Object Lock retention included) to the
    // secondary region's seal bucket, itself Object Lock in compliance mode.
    const auditSeals = new SealBucket(this, 'Bucket-auditSeals', { def: auditSealBucket, replicateToRegion: geo?.role === 'home' ? geo.settings.secondaryRegion : undefined }).bucket;

    if (geo?.role === 'secondary') {
      // The replica of the home region's secret (same name), encrypted with this region's key.
      const citizenHashKey = secretsmanager.Secret.fromSecretNameV2(this, 'CitizenHashKey', geoSecretName(geo.stage));
      const callbackSealKey = secretsmanager.Secret.fromSecretNameV2(this, 'CallbackSealKey', geoSealSecretName(geo.stage));
      this.data = { key, tables: tableMap, queues: queueMap, buckets: bucketMap, auditSeals, citizenHashKey, callbackSealKey };
      return;
    }
    const citizenHashKey = new secretsmanager.Secret(this, 'CitizenHashKey', {
      description: 'research-dispatch: key of the keyed hash that stands in for national IDs in the audit trail and lookups',
      encryptionKey: key,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
      ...(geo
        ? {
            secretName: geoSecretName(geo.stage),
            replicaRegions: [
              {
                region: geo.settings.secondaryRegion,
                encryptionKey: kms.Key.fromKeyArn(this, 'SecondaryDataKey', `arn:${Aws.PARTITION}:kms:${geo.settings.secondaryRegion}:${Aws.ACCOUNT_ID}:${GEO_DATA_KEY_ALIAS}`),
              },
            ],
          }
        : {}),
    });
    Validations.of(citizenHashKey).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Stored hashes (byCitizen index, operations trail, project pseudonyms) are made with this key, so a scheduled rotation that replaces it would orphan them. The secret is a versioned keyring instead ({"current": "v2", "keys": {"v1": …, "v2": …}}): an operator adds a version and makes it current, every live version stays usable for complaint lookups, and a version is removed only once nothing hashed with it is retained.',
    });

    // External form tasks' callback secrets are random and stored sealed under this key (AES-256-GCM,
    // functions/adapters/crypto/secret-box.ts), so a rotation of the hash key never touches them.
    const callbackSealKey = new secretsmanager.Secret(this, 'CallbackSealKey', {
      description: 'research-dispatch: key that seals external form tasks’ callback secrets (AES-256-GCM)',
      encryptionKey: key,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
      ...(geo
        ? {
            secretName: geoSealSecretName(geo.stage),
            replicaRegions: [
              {
                region: geo.settings.secondaryRegion,
                encryptionKey: kms.Key.fromKeyArn(this, 'SecondaryDataKeyForSeal', `arn:${Aws.PARTITION}:kms:${geo.settings.secondaryRegion}:${Aws.ACCOUNT_ID}:${GEO_DATA_KEY_ALIAS}`),
              },
            ],
          }
        : {}),
    });
    Validations.of(callbackSealKey).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Every external form task’s callback secret is sealed with this key, so a scheduled rotation that replaces it would make them unopenable. The secret may be a versioned keyring instead ({"current": "k2", "keys": {"k1": …, "k2": …}}): an operator adds a version and makes it current, and what older versions sealed still opens while they are kept.',
    });

    this.data = { key, tables: tableMap, queues: queueMap, buckets: bucketMap, auditSeals, citizenHashKey, callbackSealKey };
  }
}
