/**
 * Who may touch what: the IAM permission matrix of every Lambda, as data in one place. The
 * stateless stack turns each row into that function's role policy and environment (a function
 * learns the name of a table, queue or bucket only if it may use it); test/infra/access-matrix.test.ts
 * checks the synthesised template against these rows and against the rules stated below;
 * docs/access-matrix.md explains the rows. Plain data: no CDK imports.
 *
 * Rules the rows must keep (asserted in the test):
 * - citizen-facing functions (citizens, citizenTasks, inbox) write no project, approval, round or
 *   operations item: their main-table access is read-only, except citizenTasks' pseudonymous form
 *   responses, which live in a partition of their own (RESPONSES#…);
 * - nobody may UpdateItem, DeleteItem or BatchWriteItem (which can delete) on the audit table;
 * - only the dispatch worker may UpdateItem deliveries (commit outcomes) — operations' redrive is
 *   the one stated exception (it sets failed deliveries back to pending);
 * - only operations reads, receives or deletes on dead-letter queues;
 * - DeleteItem on the citizens table only in the privacy mirror's partitions (PVKMIRROR#…): no
 *   function deletes a reservation, a withdrawal or a contact-ledger entry;
 * - only the lists function touches the recipient-list bucket;
 * - the callback seal key only where an external form task's callback secret is sealed or opened
 *   (formTasks, formCallbacks);
 * - the citizen-hash-key secret only where a keyed hash is made (audit, lookups, pseudonyms, and
 *   the index keys that stand in for national IDs: the ledger index, the withdrawals index and the
 *   privacy mirror, issue 24 #5).
 */
import type { Area } from '../functions/handlers/routes.js';
import type { BucketId, QueueId, TableId } from './resources.js';

export type ReadAction = 'GetItem' | 'BatchGetItem' | 'Query' | 'ConditionCheckItem';
export type TableAction = ReadAction | 'Scan' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'BatchWriteItem';

export interface TableGrant {
  readonly actions: readonly TableAction[];
  /**
   * `dynamodb:LeadingKeys` patterns (StringLike) the partition key of every item touched must
   * match. Scan is refused alongside: a Scan has no leading key, and ForAllValues over an empty
   * set would let it through.
   */
  readonly leadingKeys?: readonly string[];
  /**
   * Also on the table's indexes. Only for grants without leadingKeys: on an index the leading key
   * is the index's partition key (gsi1pk), which the patterns above do not describe.
   */
  readonly indexes?: boolean;
}

export interface QueueGrant {
  /** SendMessage on the work queue (the consumer's receive/delete come from its event source). */
  readonly send?: boolean;
  /** Status and redrive of the dead-letter queue: operations only. */
  readonly deadLetters?: boolean;
}

export interface Access {
  /** Why this function needs what it has, in one line (also in docs/access-matrix.md). */
  readonly purpose: string;
  /** Each grant becomes one statement; several when parts of a table have different rules. */
  readonly tables: Partial<Record<TableId, readonly TableGrant[]>>;
  readonly queues: Partial<Record<QueueId, QueueGrant>>;
  readonly buckets: Partial<Record<BucketId, readonly ('GetObject' | 'PutObject' | 'DeleteObject')[]>>;
  /** Reads the citizen-hash-key secret (keyed hashes of national IDs). */
  readonly hashKey: boolean;
  /** Reads the CallbackSealKey secret: seals (creation) or opens (verification) external form tasks' callback secrets. */
  readonly callbackSealKey?: boolean;
  /** Writes sealed audit heads (new objects in the Object Lock bucket; never read, list or delete). */
  readonly seals?: boolean;
  /** Lists and reads sealed audit heads (under heads/ only): GET …/audit/verify compares with the latest. */
  readonly readSeals?: boolean;
  /** The national integrations' secrets it reads (lib/integration-config.ts); none unless it says so. */
  readonly integrationSecrets: readonly IntegrationSecret[];
}

/**
 * The national integrations' secrets: the Maskinporten key (KRR and Folkeregisteret tokens), the
 * ePROM API key (sending through ePROM and listing the privacy component), the key ePROM's
 * callbacks carry, and the Digipost enterprise key (signing requests).
 */
export const INTEGRATION_SECRETS = ['maskinportenKey', 'epromApiKey', 'epromCallbackKey', 'digipostKey'] as const;
export type IntegrationSecret = (typeof INTEGRATION_SECRETS)[number];

/** Principals: an API area of routes.ts, the consumer of a queue, or the scheduled round watch. */
export type AccessPrincipal = Area | `consumer:${QueueId}` | 'roundWatch' | 'releaseScheduler' | 'nationalJobs' | 'auditSealer';

const READ: readonly ReadAction[] = ['GetItem', 'BatchGetItem', 'Query', 'ConditionCheckItem'];
const WRITE: readonly TableAction[] = ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem'];
const read = (extra: Partial<TableGrant> = {}): TableGrant[] => [{ actions: READ, indexes: true, ...extra }];
const readWrite = (): TableGrant[] => [{ actions: [...READ, ...WRITE], indexes: true }];
/** Read and write only in partitions matching `leadingKeys` (no index, no Scan). */
const within = (leadingKeys: readonly string[]): TableGrant[] => [{ actions: [...READ, ...WRITE], leadingKeys }];
/** Read anything in the table and its indexes (never Scan), write only in partitions matching `leadingKeys`. */
const readAllWriteIn = (leadingKeys: readonly string[], opts: { write?: readonly TableAction[] } = {}): TableGrant[] => [
  { actions: READ, indexes: true },
  { actions: opts.write ?? WRITE, leadingKeys },
];

/** Partition-key patterns (functions/adapters/dynamo/keys.ts). */
export const KEY = {
  project: 'PROJECT#*',
  responses: 'RESPONSES#*',
  operations: 'OPERATIONS',
  citizen: 'CIT#*',
  /** The citizen's own choices (reservation, withdrawals): written only by the citizens function (keys.ts ownSettings). */
  ownRecords: 'OWN#*',
  /** A data migration's marker (keys.ts migration): read by whoever reads the records it moved. */
  migration: 'MIGRATION',
  projectAudit: 'AUDIT#project:*',
  /** The privacy component's mirror, one partition per definition (functions/adapters/national/privacy.ts). */
  privacyMirror: 'PVKMIRROR#*',
  /** A round's fence in the fence table (keys.ts roundFence; georedundant stages). */
  roundFence: 'ROUND#*',
  /** The halt of all sending in the fence table (keys.ts haltFence; georedundant stages). */
  haltFence: 'HALT',
  /** A project's pauses (counted), the resume that ended them, and its approval's latest reset, in the fence table (keys.ts projectFence; georedundant stages). */
  projectFence: 'PROJECT#*',
  /** A region's waves in flight in the fence table (keys.ts inFlightFence; georedundant stages). */
  inFlightFence: 'INFLIGHT#*',
  /** A batch's wave plans in the fence table (keys.ts planFence; georedundant stages). */
  planFence: 'PLAN#*',
} as const;

/**
 * The fence table (georedundant stages): a release writes a round's first fence, the dispatch
 * worker reads it (and the halt) at every gate read, a failover's compare-and-set moves it (reading
 * it again when the condition fails), operations write the halt there before the operations state
 * and a project's pause (or the reset of its approval) before acknowledging it, then count every region's waves in flight there,
 * which each region's workers mark (and drop) in their region's item.
 * Nobody deletes an item.
 */
const fenceAtRelease: TableGrant[] = [{ actions: ['PutItem'], leadingKeys: [KEY.roundFence] }];

/**
 * Reading registry facts (pre-flight, preview, send time) may refresh a stale privacy mirror
 * inline: list the component (ePROM API key) and write the mirror's own partitions. The mirror is
 * keyed by the citizens' keyed hash, so reading it takes the hash key too (hashKey in the rows).
 */
const mirrorRefresh: TableGrant = { actions: ['PutItem', 'DeleteItem', 'BatchWriteItem'], leadingKeys: [KEY.privacyMirror] };
/**
 * A list lives while a round uses it: creating, releasing (now or by the scheduler) and completing
 * a round moves the expiry of the list's rows (and record) later — an UpdateItem of `expiresAt`.
 */
const listRowsKept: TableGrant[] = [{ actions: [...READ, 'UpdateItem'] }];
/** What reading registry facts needs: Maskinporten for KRR and Folkeregisteret, ePROM's key for the privacy component. */
const FACTS_SECRETS: readonly IntegrationSecret[] = ['maskinportenKey', 'epromApiKey'];

/**
 * Append to and read the audit: conditional puts of new keys and queries. Never Update, Delete or
 * BatchWrite. A PutItem could still overwrite an entry (IAM cannot require the condition
 * expression): the heads sealed in the Object Lock bucket (at each round's completion and every
 * 15 minutes by the audit sealer) are what make such an overwrite visible, since GET …/audit/verify
 * compares the chain with the latest seal.
 */
const auditAppend = (scopes?: readonly string[]): TableGrant[] => [{ actions: ['GetItem', 'Query', 'PutItem'], ...(scopes ? { leadingKeys: scopes } : {}) }];

/** A row of the matrix: no queue, no bucket, no hash key and no integration secret unless it says so. */
const row = (access: Pick<Access, 'purpose' | 'tables'> & Partial<Access>): Access => ({ queues: {}, buckets: {}, hashKey: false, integrationSecrets: [], ...access });

export const accessMatrix: Readonly<Record<AccessPrincipal, Access>> = {
  projects: row({
    purpose: 'Projects, members, approvals, settings, the project audit (verified against its latest sealed head); pause/resume quiets or requeues the project’s rounds.',
    tables: {
      // Writes only inside project partitions; listings are queries (gsi1, gsi2), never a scan.
      main: readAllWriteIn([KEY.project]),
      deliveries: read(),
      audit: auditAppend([KEY.projectAudit]),
      // Georedundant stages: a pause recorded in the fence before it is acknowledged, once every region's waves in flight there have ended; an approval reset by a change of link domains recorded there before the answer; a resume ends the pauses it read there and reads the fence's halt; a project's view shows a pause only the fence holds.
      fence: [
        { actions: ['UpdateItem'], leadingKeys: [KEY.projectFence] },
        { actions: ['GetItem', 'BatchGetItem'], leadingKeys: [KEY.projectFence] },
        { actions: ['GetItem'], leadingKeys: [KEY.haltFence, KEY.inFlightFence] },
      ],
    },
    queues: { dispatch: { send: true } },
    // GET …/audit/verify compares the chain with the latest sealed head.
    readSeals: true,
  }),
  letters: row({
    purpose: 'Letters and their versions; link checks call the network, not AWS.',
    tables: { main: within([KEY.project]), audit: auditAppend([KEY.projectAudit]) },
  }),
  formTasks: row({
    purpose: 'Form tasks of a project and reading their pseudonymous responses; an external form task’s random callback secret is returned once and stored sealed (callback seal key).',
    tables: { main: [...within([KEY.project]), { actions: READ, leadingKeys: [KEY.responses] }], audit: auditAppend([KEY.projectAudit]) },
    callbackSealKey: true,
  }),
  citizenTasks: row({
    purpose: 'A citizen’s own tasks; an answer updates the task and writes one pseudonymous response.',
    tables: {
      main: [
        { actions: ['GetItem', 'BatchGetItem', 'Query'], leadingKeys: [KEY.project] },
        // The answer's pseudonymous response: a put of a new item, in the responses partition only.
        { actions: ['PutItem'], leadingKeys: [KEY.responses] },
      ],
      citizens: [{ actions: ['GetItem', 'BatchGetItem', 'Query', 'UpdateItem'], leadingKeys: [KEY.citizen] }],
      audit: auditAppend([KEY.projectAudit]),
    },
    hashKey: true,
  }),
  lists: row({
    purpose: 'Recipient-list uploads: the raw object in the bucket, accepted rows in the recipients table.',
    tables: {
      main: within([KEY.project]),
      recipients: [{ actions: ['GetItem', 'BatchGetItem', 'Query', 'PutItem', 'BatchWriteItem'] }],
      audit: auditAppend([KEY.projectAudit]),
    },
    buckets: { recipientLists: ['GetObject', 'PutObject', 'DeleteObject'] },
  }),
  citizens: row({
    purpose:
      'A citizen’s own reservation and withdrawals, in their own-records partition (OWN#); records from before the move are read under CIT# until the move is marked done; a withdrawal is audited by keyed hash.',
    tables: {
      main: [{ actions: ['GetItem', 'Query'], leadingKeys: [KEY.project] }],
      citizens: [
        { actions: ['GetItem', 'BatchGetItem', 'Query', 'PutItem', 'UpdateItem'], leadingKeys: [KEY.ownRecords] },
        { actions: ['GetItem', 'BatchGetItem', 'Query'], leadingKeys: [KEY.citizen, KEY.migration] },
      ],
      audit: auditAppend([KEY.projectAudit]),
    },
    hashKey: true,
  }),
  registry: row({
    purpose: 'Local stand-in only (no Lambda is deployed for it).',
    tables: {},
  }),
  inbox: row({
    purpose: 'Local stand-in only (no Lambda is deployed for it): the portal inbox, the caller’s own letters the local channels delivered.',
    tables: { citizens: [{ actions: ['Query'], leadingKeys: [KEY.citizen] }] },
  }),
  rounds: row({
    purpose: 'Rounds: pre-flight (list, reservations, population, contacts, withdrawals), overrides, cancel.',
    tables: {
      main: readAllWriteIn([KEY.project]),
      recipients: listRowsKept,
      citizens: [...read(), mirrorRefresh],
      deliveries: read(),
      audit: auditAppend([KEY.projectAudit]),
    },
    // A large list's pre-flight goes to the prepare queue, one message per chunk.
    queues: { dispatch: { send: true }, prepare: { send: true } },
    hashKey: true,
    integrationSecrets: FACTS_SECRETS,
  }),
  dispatch: row({
    purpose:
      'Release (cross-round checks, the release sequence, the first window of batches, the citizen hash key version the round’s references are made with), canary confirmation and test sends (a small test round with its synthetic recipients).',
    tables: {
      main: readAllWriteIn([KEY.project]),
      recipients: [{ actions: [...READ, 'PutItem', 'UpdateItem', 'BatchWriteItem'] }],
      citizens: read(),
      deliveries: read(),
      audit: auditAppend([KEY.projectAudit]),
      fence: fenceAtRelease,
    },
    queues: { dispatch: { send: true } },
    // The release records the keyring's current version (ReleaseInfo.hashKeyVersion).
    hashKey: true,
  }),
  operations: row({
    purpose:
      'Halt/resume, status, complaint lookups (the contact ledger under the citizen’s own key, audited by keyed hash; the letter rendered again from its version and the citizen’s one row of the round’s list) and redrive of failed batches and dead letters (dispatch batches and pre-flight chunks).',
    tables: {
      main: readAllWriteIn([KEY.operations, KEY.project], { write: ['PutItem', 'UpdateItem'] }),
      // Read only: the complaint lookup reads the one chunk holding the citizen's row.
      recipients: [{ actions: ['GetItem', 'Query'] }],
      citizens: [{ actions: ['Query'], leadingKeys: [KEY.citizen] }],
      deliveries: [{ actions: [...READ, 'UpdateItem'], indexes: true }],
      audit: auditAppend(),
      fence: [
        { actions: ['GetItem', 'UpdateItem'], leadingKeys: [KEY.roundFence] },
        { actions: ['GetItem', 'PutItem'], leadingKeys: [KEY.haltFence] },
        // A halt (or pause) acknowledged once every region's waves in flight have ended; the status shows them.
        { actions: ['GetItem'], leadingKeys: [KEY.inFlightFence] },
        // The status lists the projects whose pause only the fence shows here (given in another region).
        { actions: ['BatchGetItem'], leadingKeys: [KEY.projectFence] },
      ],
    },
    queues: { dispatch: { send: true, deadLetters: true }, prepare: { send: true, deadLetters: true } },
    hashKey: true,
  }),
  'consumer:prepare': row({
    purpose:
      'The prepare worker: one chunk of a large list’s pre-flight (the list’s rows it covers, the registries, the project’s contacts), its result stored once beside the round (ROUNDPREP#) with the round’s progress, the round made ready or held when the last chunk lands; a chunk that waits for a registry goes back on the queue; one that fails on its last receive is noted on the round and audited.',
    tables: {
      main: readAllWriteIn([KEY.project]),
      recipients: read(),
      citizens: [...read(), mirrorRefresh],
      audit: auditAppend([KEY.projectAudit]),
    },
    queues: { prepare: { send: true } },
    // The privacy mirror's keys are keyed hashes.
    hashKey: true,
    integrationSecrets: FACTS_SECRETS,
  }),
  'consumer:dispatch': row({
    purpose:
      'The dispatch worker: checks the gates at send time, claims and commits batches with their counter shards, writes the contact ledger, statistics and portal copies, counts letters against the fleet’s rate limit per channel (RATE# counters in the main table), completes rounds and seals their audit head, and pauses a project when the automatic brake trips (the project item and its audit).',
    tables: {
      main: readWrite(),
      recipients: listRowsKept,
      // Writes the ledger, tasks and portal copies under the citizen's key (CIT#) and refreshes a
      // stale privacy mirror (deletes only there); never the citizen's own choices (OWN#: their
      // reservation and withdrawals), which it only reads.
      citizens: [...read(), { actions: ['PutItem', 'UpdateItem', 'BatchWriteItem'], leadingKeys: [KEY.citizen, KEY.privacyMirror] }, { actions: ['DeleteItem'], leadingKeys: [KEY.privacyMirror] }],
      deliveries: [{ actions: [...READ, 'PutItem', 'UpdateItem'], indexes: true }],
      audit: auditAppend([KEY.projectAudit]),
      // Georedundant stages: the fence, the halt and the project's pause at every gate read; the automatic brake's pause recorded there; each wave marked in flight in this region's item (and dropped) there; each wave's plan kept there, read at every claim.
      fence: [
        { actions: ['GetItem'], leadingKeys: [KEY.roundFence, KEY.haltFence, KEY.projectFence, KEY.planFence] },
        { actions: ['UpdateItem'], leadingKeys: [KEY.projectFence, KEY.inFlightFence, KEY.planFence] },
      ],
    },
    queues: { dispatch: { send: true } },
    hashKey: true,
    seals: true,
    integrationSecrets: ['maskinportenKey', 'epromApiKey', 'digipostKey'],
  }),
  callbacks: row({
    purpose:
      'ePROM’s receipts of messages (the receipt settled on its message reference and counted, its Digipost poll entry dropped; a receipt arriving before its hand-over is recorded parked) and the privacy component’s changed settings (the reservation mirror’s own partitions; a removal only after reading the person’s setting from the component, with the ePROM API key); authenticated by the callback key.',
    tables: {
      main: [
        // The report settles the hand-over's reference row and is counted; rows recorded before the
        // counters settle on their delivery row and legacy poll partition.
        { actions: ['UpdateItem'], leadingKeys: ['RECEIPTREF#*', 'RECEIPTCOUNT#*', 'RECEIPT#*'] },
        { actions: ['DeleteItem'], leadingKeys: ['RECEIPTPOLL#*', 'RECEIPTPOLL'] },
        // A receipt that arrives before its hand-over is recorded is parked, and dropped once settled.
        { actions: ['PutItem', 'DeleteItem'], leadingKeys: ['RECEIPTPARK#*'] },
      ],
      citizens: [{ actions: ['PutItem', 'DeleteItem'], leadingKeys: [KEY.privacyMirror] }],
    },
    // The mirror's keys are the citizens' keyed hashes (issue 24 #5).
    hashKey: true,
    integrationSecrets: ['epromCallbackKey', 'epromApiKey'],
  }),
  roundPreview: row({
    purpose: 'The letter as sample recipients of a round will read it: reads the round, the letter version, the list and (through the integrations) registry facts.',
    tables: { main: read(), recipients: read(), citizens: [...read(), mirrorRefresh] },
    // The privacy mirror's keys are keyed hashes.
    hashKey: true,
    integrationSecrets: FACTS_SECRETS,
  }),
  formCallbacks: row({
    purpose:
      'An external form system reports a completed form: the task found by its token is marked answered, the form task’s count goes up and the answer is audited by pseudonym (hash key); the task’s sealed callback secret is opened with the callback seal key (tasks from before sealing: derived from the hash key).',
    tables: {
      main: [{ actions: ['GetItem', 'UpdateItem'], leadingKeys: [KEY.project] }],
      citizens: [...read(), { actions: ['UpdateItem'], leadingKeys: [KEY.citizen] }],
      audit: auditAppend([KEY.projectAudit]),
    },
    hashKey: true,
    callbackSealKey: true,
  }),
  statistics: row({
    purpose: 'Usage statistics per organisation, month and channel: reads the counters the worker adds to.',
    tables: { main: read() },
  }),
  openapi: row({
    purpose: 'Serves the static OpenAPI document: no data at all.',
    tables: {},
  }),
  releaseScheduler: row({
    purpose:
      'Once a minute: releases the rounds scheduled for now, checking every gate again (the same use case as a release by hand: round and release sequence, lists, the ledger index, progress, audit, the first window of batches, the hash key version).',
    tables: {
      main: readAllWriteIn([KEY.project]),
      recipients: listRowsKept,
      citizens: read(),
      deliveries: read(),
      audit: auditAppend([KEY.projectAudit]),
      fence: fenceAtRelease,
    },
    queues: { dispatch: { send: true } },
    hashKey: true,
  }),
  nationalJobs: row({
    purpose:
      'Every 5 minutes: refreshes the privacy-component mirror (its own partitions of the citizens table) and records Digipost receipts of hand-overs awaiting a report (the receipts in the main table).',
    tables: {
      main: readAllWriteIn(['RECEIPT*']),
      citizens: readAllWriteIn([KEY.privacyMirror]),
    },
    // The mirror is rewritten under the current version of the hash key.
    hashKey: true,
    integrationSecrets: ['epromApiKey', 'digipostKey'],
  }),
  auditSealer: row({
    purpose:
      'Every 15 minutes: seals the head of every audit chain changed since its last run (project chains and the operations chain) in the Object Lock bucket; reads heads by time of change (byChange index) and each head, and puts the mark of its run.',
    tables: {
      audit: [
        { actions: ['Query'], indexes: true },
        { actions: ['GetItem'], leadingKeys: ['AUDIT#*', 'SEALMARK'] },
        { actions: ['PutItem'], leadingKeys: ['SEALMARK'] },
      ],
    },
    seals: true,
  }),
  roundWatch: row({
    purpose:
      'Once a minute: counts rounds that should be progressing (rounds by status, halt state, their projects) for the stall alarm; on a georedundant stage writes its region’s heartbeat (GET /operations/status) and removes its region’s dead in-flight markers from the fence.',
    tables: {
      main: [...read(), { actions: ['PutItem'], leadingKeys: ['REGION#*'] }],
      // Georedundant stages: the halt as the fence holds it (a halted stage is not expected to progress); the region's in-flight item, read and its dead markers removed.
      fence: [
        { actions: ['GetItem'], leadingKeys: [KEY.haltFence] },
        { actions: ['GetItem', 'UpdateItem'], leadingKeys: [KEY.inFlightFence] },
      ],
    },
  }),
};

/** Fails closed: a function without a row gets no role at all (synth throws). */
export const accessOf = (principal: string, matrix: Readonly<Record<string, Access>> = accessMatrix): Access => {
  const access = matrix[principal];
  if (!access) throw new Error(`no row in lib/access-matrix.ts for ${principal}: every function needs one`);
  return access;
};
