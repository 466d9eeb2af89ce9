/**
 * The one definition of every table, queue and bucket. The CDK stateful stack builds them from
 * here and the local runtime creates them in the emulators from here, so the two cannot drift.
 * Plain data on purpose: no CDK or SDK imports, so handlers and the local runtime can read it.
 */

import { throughput } from './throughput.js';

export type AttributeType = 'S' | 'N';

export interface KeyDef {
  readonly name: string;
  readonly type: AttributeType;
}

export interface IndexDef {
  readonly name: string;
  readonly partitionKey: KeyDef;
  readonly sortKey?: KeyDef;
}

export interface TableDef {
  /** Logical id, also the suffix of the physical name. */
  readonly id: TableId;
  readonly partitionKey: KeyDef;
  readonly sortKey?: KeyDef;
  readonly indexes: readonly IndexDef[];
  /**
   * Attribute DynamoDB expires items by (retention of personal data, leases, caches): only items
   * that carry it expire. Never set on audit events.
   */
  readonly ttlAttribute?: string;
  /**
   * Georedundant stages only (lib/georedundancy.ts): the global table's multi-Region consistency.
   * `strong` (MRSC: conditions and consistent reads linearizable across regions, a region cut off
   * from quorum fails closed) is allowed only on a table no code path transacts on: MRSC global
   * tables refuse TransactWriteItems/TransactGetItems, and support no TTL (docs/georedundancy.md).
   * The IAM contract test checks this against the transactions it records. `eventual` (MREC):
   * asynchronous replication, last writer wins, TTL kept.
   */
  readonly multiRegion: 'strong' | 'eventual';
  /** Environment variable through which handlers learn the physical name. */
  readonly envVar: string;
}

export type TableId = 'main' | 'recipients' | 'deliveries' | 'citizens' | 'audit' | 'fence';

const S = (name: string): KeyDef => ({ name, type: 'S' });
const N = (name: string): KeyDef => ({ name, type: 'N' });

export const tables: Readonly<Record<TableId, TableDef>> = {
  /**
   * Projects and everything researchers author: members, letters and their versions, form tasks,
   * recipient-list metadata, rounds, the audit trail, and the global operations state.
   * gsi1 serves the listings (projects per organisation, projects per member, rounds per status).
   * gsi2 (sparse: only project items carry gsi2pk) lists every project for operations as one
   * query, so their reads stay bounded however many rounds, batches and lists the table holds.
   */
  main: {
    id: 'main',
    multiRegion: 'eventual',
    partitionKey: S('pk'),
    sortKey: S('sk'),
    indexes: [
      { name: 'gsi1', partitionKey: S('gsi1pk'), sortKey: S('gsi1sk') },
      { name: 'gsi2', partitionKey: S('gsi2pk'), sortKey: S('gsi2sk') },
    ],
    // Recipient-list metadata and rounds (their report) carry expiresAt; audit events never do.
    ttlAttribute: 'expiresAt',
    envVar: 'TABLE_MAIN',
  },
  /** Accepted recipients of an uploaded list, stored in chunks so a round reads them without re-parsing. */
  recipients: {
    id: 'recipients',
    multiRegion: 'eventual',
    partitionKey: S('listId'),
    sortKey: N('chunk'),
    indexes: [],
    ttlAttribute: 'expiresAt',
    envVar: 'TABLE_RECIPIENTS',
  },
  /**
   * The dispatch engine's state, one partition per released round: one item per batch (lease and
   * each recipient's outcome, compact) and the round's counter shards — the source of truth for
   * dispatch. (Who contacted a citizen is answered from the contact ledger in the citizens table.)
   */
  deliveries: {
    id: 'deliveries',
    multiRegion: 'eventual',
    partitionKey: S('roundId'),
    sortKey: S('deliveryId'),
    indexes: [],
    ttlAttribute: 'expiresAt',
    envVar: 'TABLE_DELIVERIES',
  },
  /**
   * Records keyed by the citizen's own national ID: reservation, withdrawals, population-registry
   * facts, inbox, tasks and the contact ledger used for duplicate and frequency checks.
   */
  citizens: {
    id: 'citizens',
    multiRegion: 'eventual',
    partitionKey: S('pk'),
    sortKey: S('sk'),
    indexes: [{ name: 'gsi1', partitionKey: S('gsi1pk'), sortKey: S('gsi1sk') }],
    ttlAttribute: 'expiresAt',
    envVar: 'TABLE_CITIZENS',
  },
  /**
   * The audit trail, append-only: a table of its own so that IAM can say so. Every role may at
   * most PutItem, GetItem and Query here (lib/access-matrix.ts); none may UpdateItem, DeleteItem or
   * BatchWriteItem, and nothing here expires. Keys as keys.audit: pk AUDIT#<scope>, sk <at>#<seq>.
   */
  audit: {
    id: 'audit',
    multiRegion: 'eventual',
    partitionKey: S('pk'),
    sortKey: S('sk'),
    // byChange (sparse: chain heads only): the heads changed since the last scheduled seal.
    indexes: [{ name: 'byChange', partitionKey: S('headIndex'), sortKey: S('changedAt') }],
    envVar: 'TABLE_AUDIT',
  },
  /**
   * The rounds' fences on a georedundant stage (issue 25): one item per released round, pk
   * `ROUND#<projectId>#<roundId>`, with its home region and the epoch a failover moves by a
   * compare-and-set. The only MRSC table: a worker reads its round's fence strongly consistently at
   * every gate read, so a failover confirmed in one region stops the other within one wave, and a
   * region cut off from the others cannot read it and sends nothing. Never transacted on; nothing
   * here expires. On a single-region stage it exists and stays empty (rounds have no home).
   */
  fence: {
    id: 'fence',
    multiRegion: 'strong',
    partitionKey: S('pk'),
    indexes: [],
    envVar: 'TABLE_FENCE',
  },
};

export type QueueId = 'dispatch' | 'prepare';

export interface QueueDef {
  readonly id: QueueId;
  readonly envVar: string;
  /** Environment variable with the dead-letter queue's URL (operations: status and redrive). */
  readonly dlqEnvVar: string;
  /** Visibility timeout in seconds; at least 6x the consumer's timeout, as AWS recommends. */
  readonly visibilityTimeoutSeconds: number;
  /** Receives before a message is moved to the dead-letter queue. */
  readonly maxReceiveCount: number;
  readonly consumer: {
    /** Timeout of the consumer Lambda in seconds. */
    readonly timeoutSeconds: number;
    readonly batchSize: number;
    /** Bounded so a round cannot flood the delivery channel (event-source maxConcurrency, min 2). */
    readonly maxConcurrency: number;
  };
}

export const queues: Readonly<Record<QueueId, QueueDef>> = {
  /** Batches of released rounds to send: one message = one batch (a range of the round's list). */
  dispatch: {
    id: 'dispatch',
    envVar: 'QUEUE_DISPATCH_URL',
    dlqEnvVar: 'QUEUE_DISPATCH_DLQ_URL',
    visibilityTimeoutSeconds: 180,
    maxReceiveCount: 5,
    consumer: { timeoutSeconds: 30, batchSize: 1, maxConcurrency: throughput.dispatchMaxConcurrency },
  },
  /**
   * Chunks of background pre-flights (issue 22): one message = one chunk of ≤1,000 recipients of a
   * preparing round, one registry bulk read each. Bounded concurrency keeps the registries' load
   * (and the rounds a large list prepares beside) in check.
   */
  prepare: {
    id: 'prepare',
    envVar: 'QUEUE_PREPARE_URL',
    dlqEnvVar: 'QUEUE_PREPARE_DLQ_URL',
    visibilityTimeoutSeconds: 180,
    maxReceiveCount: 5,
    consumer: { timeoutSeconds: 30, batchSize: 1, maxConcurrency: 8 },
  },
};

export const dlqName = (queueName: string): string => `${queueName}-dlq`;

export type BucketId = 'recipientLists';

export interface BucketDef {
  readonly id: BucketId;
  readonly envVar: string;
  /** Uploaded raw files are parsed into the recipients table; the raw object is not kept long. */
  readonly expireAfterDays: number;
}

export const buckets: Readonly<Record<BucketId, BucketDef>> = {
  // A raw upload is deleted as soon as it is parsed (or fails to parse); this only catches files
  // PUT to an upload URL and never registered. One day is S3's shortest lifecycle expiration.
  recipientLists: { id: 'recipientLists', envVar: 'BUCKET_RECIPIENT_LISTS', expireAfterDays: 1 },
};

/**
 * Where audit chain heads are sealed: S3 Object Lock in compliance mode, so for `retentionDays`
 * no one — an account administrator included — can delete or overwrite a sealed head. Kept apart
 * from `buckets` because it is the opposite kind of bucket: nothing in it ever expires early,
 * nothing is personal data (hashes of audit events only), and it is written once.
 */
export interface SealBucketDef {
  readonly id: 'auditSeals';
  readonly envVar: string;
  readonly retentionDays: number;
}

export const auditSealBucket: SealBucketDef = {
  id: 'auditSeals',
  envVar: 'BUCKET_AUDIT_SEALS',
  // Ten years: longer than the audit and the round reports it vouches for are kept.
  retentionDays: 3653,
};

/** Physical names for one deployment or one local namespace ("dev", a test's random id, …). */
export const physicalName = (namespace: string, id: string): string => `research-dispatch-${namespace}-${id.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
