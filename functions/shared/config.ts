import type { HashKeyring } from '../domain/shared/citizen-key.js';
import { parseRetention, type RetentionPolicy } from '../domain/shared/retention.js';
import { hashKeyring } from './hash-keys.js';
import { auditSealBucket, buckets, queues, tables, type BucketId, type QueueId, type TableId } from '../../lib/resources.js';

/**
 * Configuration comes from the environment: the CDK stack sets it on each Lambda, the local
 * runtime sets it before the handlers run. Read on use (not at import) so a test or the local
 * runtime can configure the process before the first call.
 */
const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`missing configuration ${name}`);
  return value;
};

const flag = (name: string, fallback: boolean): boolean => {
  const value = process.env[name];
  return value === undefined || value === '' ? fallback : value === 'true' || value === '1';
};

export const config = {
  region: (): string => process.env.AWS_REGION ?? 'eu-north-1',
  /**
   * A georedundant stage's regions, home first (GEO_REGIONS, comma-separated; lib/georedundancy.ts).
   * Empty on a single-region stage: rounds get no home and every worker dispatches every round.
   */
  georedundantRegions: (): string[] =>
    (process.env.GEO_REGIONS ?? '')
      .split(',')
      .map((r) => r.trim())
      .filter(Boolean),
  /** Local emulator endpoints; undefined in AWS, where the SDK's defaults apply. */
  dynamoEndpoint: (): string | undefined => process.env.DYNAMODB_ENDPOINT || undefined,
  awsEndpoint: (): string | undefined => process.env.AWS_ENDPOINT || undefined,
  tableName: (id: TableId): string => env(tables[id].envVar),
  queueUrl: (id: QueueId): string => env(queues[id].envVar),
  dlqUrl: (id: QueueId): string => env(queues[id].dlqEnvVar),
  bucketName: (id: BucketId): string => env(buckets[id].envVar),
  /** The Object Lock bucket audit chain heads are sealed in. */
  auditSealBucket: (): string => env(auditSealBucket.envVar),
  /** How long a sealed head is locked (compliance mode), in days. */
  auditSealRetentionDays: (): number => Number(process.env.AUDIT_SEAL_RETENTION_DAYS || auditSealBucket.retentionDays),
  /** True only in the embedded local runtime: enables /dev routes and http links to loopback. */
  isLocal: (): boolean => flag('RD_LOCAL', false),
  /** Synthetic test persons (month + 80): on locally, off when deployed, unless configured. */
  allowSyntheticNins: (): boolean => flag('ALLOW_SYNTHETIC_NINS', flag('RD_LOCAL', false)),
  /** How long personal data is kept (RETENTION_DAYS, RETENTION_LONG_DAYS); see domain/shared/retention.ts. */
  retention: (): RetentionPolicy => parseRetention(process.env.RETENTION_DAYS, process.env.RETENTION_LONG_DAYS),
  /** Every live version of the citizen hash key, from memory (see shared/hash-keys.ts). */
  hashKeys: (): HashKeyring => hashKeyring(),
};
