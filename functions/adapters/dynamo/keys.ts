import type { Channel } from '../../domain/shared/channel.js';

/** Letters the stand-in channels delivered, by channel: the helsenorge inbox, the digital mailbox, the print queue. */
const DELIVERED: Record<Channel, string> = { helsenorge: 'INBOX#', 'digital-mailbox': 'MAILBOX#', paper: 'PRINT#' };

/**
 * Key shapes, in one place so repositories do not invent overlapping ones. Each repository owns
 * the prefixes of its aggregate; add new shapes here.
 */
export const keys = {
  // main table
  project: (projectId: string) => ({ pk: `PROJECT#${projectId}`, sk: 'META' }),
  /** gsi2 of a project item: every project, in creation order (operations' listing). */
  allProjects: (createdAt: string, projectId: string) => ({ gsi2pk: 'PROJECTS', gsi2sk: `${createdAt}#${projectId}` }),
  member: (projectId: string, sub: string) => ({ pk: `PROJECT#${projectId}`, sk: `MEMBER#${sub}` }),
  /** One item per audit event, numbered in chain order (zero-padded so they sort). */
  auditEvent: (scope: string, seq: number) => ({ pk: `AUDIT#${scope}`, sk: `E#${String(seq).padStart(12, '0')}` }),
  /** The marker of an event appended once under `key` (AuditLog.appendOnce), written with it: in the chain's partition, never an event. */
  auditOnce: (scope: string, key: string) => ({ pk: `AUDIT#${scope}`, sk: `ONCE#${key}` }),
  /** The chain head every append is conditioned on, so two appends cannot both follow one event. */
  auditHead: (scope: string) => ({ pk: `AUDIT#${scope}`, sk: 'HEAD' }),
  /**
   * The audit table's `byChange` index (sparse: head items only), by the time of the head's last
   * append: which chains the scheduled seal must seal. One partition: appends are people's
   * actions and form completions, far below what one index partition takes.
   */
  auditHeadChanged: (changedAt: string) => ({ headIndex: 'HEAD', changedAt }),
  /** Where the last scheduled seal run got to (audit table; no chain's partition). */
  auditSealMark: () => ({ pk: 'SEALMARK', sk: 'MARK' }),
  opsState: () => ({ pk: 'OPERATIONS', sk: 'STATE' }),
  recipientList: (projectId: string, listId: string) => ({ pk: `PROJECT#${projectId}`, sk: `LIST#${listId}` }),
  /** gsi1 of a round: rounds per status across projects (the dispatch side finds dispatching rounds). */
  round: (projectId: string, roundId: string) => ({ pk: `PROJECT#${projectId}`, sk: `ROUND#${roundId}` }),
  /** A round's fence, in the fence table (georedundant stages: lib/resources.ts `fence`). */
  roundFence: (projectId: string, roundId: string) => ({ pk: `ROUND#${projectId}#${roundId}` }),
  /** The halt of all sending, in the fence table (georedundant stages): written before the operations state, read at every gate read. */
  haltFence: () => ({ pk: 'HALT' }),
  /** A project's pauses (counted) and approval reset, in the fence table (georedundant stages): written before a pause is acknowledged, read at every gate read. */
  projectFence: (projectId: string) => ({ pk: `PROJECT#${projectId}` }),
  /**
   * The waves in flight in one region, in the fence table (georedundant stages): one attribute per
   * batch (`<projectId>#<roundId>#<batchNo>`: lease, letters, until), written by that region's
   * workers only, read by a pause or halt in any region.
   */
  inFlightFence: (region: string) => ({ pk: `INFLIGHT#${region}` }),
  /**
   * A batch's wave plans, in the fence table (georedundant stages): one attribute per plan
   * (`<seq>#<leaseId>`: the plan, encoded as in the batch item), written after the batch item's
   * and before the wave's first channel call, read at every claim (batch.ts withFencedPlans).
   */
  planFence: (projectId: string, roundId: string, batchNo: number) => ({ pk: `PLAN#${projectId}#${roundId}#${batchNo}` }),
  letter: (projectId: string, letterId: string) => ({ pk: `PROJECT#${projectId}`, sk: `LETTER#${letterId}` }),
  /** Zero-padded so a letter's versions sort in order; LETTERV# never begins with LETTER#. */
  letterVersion: (projectId: string, letterId: string, version: number) => ({
    pk: `PROJECT#${projectId}`,
    sk: `LETTERV#${letterId}#${String(version).padStart(6, '0')}`,
  }),
  formTask: (projectId: string, formTaskId: string) => ({ pk: `PROJECT#${projectId}`, sk: `FORMTASK#${formTaskId}` }),
  /**
   * A pseudonymous form response (recipient = keyed hash), written with the citizen's task. In a
   * partition of its own, not under PROJECT#: the citizen-facing function that writes it is allowed
   * (dynamodb:LeadingKeys, lib/access-matrix.ts) to put RESPONSES# items and nothing of the project.
   */
  formResponse: (projectId: string, formTaskId: string, recipient: string) => ({
    pk: `RESPONSES#${projectId}#${formTaskId}`,
    sk: recipient,
  }),

  /** A usage counter: one item per month, organisation and channel; a month's counters are one query. */
  statistics: (month: string, organization: string, channel: string) => ({ pk: `STATS#${month}`, sk: `${organization}#${channel}` }),
  /** Marks a batch's statistics as recorded (exactly-once per batch key). */
  statisticsBatch: (batchKey: string) => ({ pk: `STATSBATCH#${batchKey}`, sk: 'RECORDED' }),
  /**
   * Letters started towards a service in one second, one counter per shard of that second (the
   * fleet's rate limit, functions/adapters/channels/fleet-rate-limit.ts); expires a minute later.
   */
  rateWindow: (service: string, second: number, shard: number) => ({ pk: `RATE#${service}#${second}#${shard}`, sk: 'COUNT' }),

  // recipients table: accepted recipients of a list, in numbered chunks
  recipientChunk: (listId: string, chunk: number) => ({ listId, chunk }),

  // citizens table: the citizen's own records are keyed by their national ID
  /**
   * The citizen's own settings, in a partition nothing else is written to (issue 24 #5: the
   * dispatch worker writes `CIT#…` and may not write here): the reservation against research and
   * the projects they withdrew from (`withdrawnFrom`), so that one read answers both.
   */
  ownSettings: (nin: string) => ({ pk: `OWN#${nin}`, sk: 'SETTINGS' }),
  /** One withdrawal with its time, indexed by project (projectWithdrawal). */
  ownWithdrawal: (nin: string, projectId: string) => ({ pk: `OWN#${nin}`, sk: `WITHDRAWN#${projectId}` }),
  /** Where the same records lived before (moved by own-records-move.ts; read too until the move is marked done). */
  legacyReservation: (nin: string) => ({ pk: `CIT#${nin}`, sk: 'RESERVATION' }),
  legacyWithdrawal: (nin: string, projectId: string) => ({ pk: `CIT#${nin}`, sk: `WITHDRAWN#${projectId}` }),
  /** A data migration's state on its table (`done` once complete). */
  migration: (name: string) => ({ pk: 'MIGRATION', sk: name }),
  population: (nin: string) => ({ pk: `CIT#${nin}`, sk: 'POPULATION' }),
  /**
   * gsi1 of a population record seeded with guardianAccessReserved (local stand-in, sparse): the
   * privacy-component fake lists them without a scan, sorted by the person's global keyed hash —
   * never the ID (issue 24 #5); readers take the person from the item's own pk.
   */
  guardianAccessSeed: (citizenHash: string) => ({ gsi1pk: 'SEED#GUARDIAN_ACCESS', gsi1sk: citizenHash }),
  /** One item per citizen and project: the list of contacts (ContactRecord[]), appended on send. */
  contacts: (nin: string, projectId: string) => ({ pk: `CIT#${nin}`, sk: `CONTACTS#${projectId}` }),
  /** gsi1 of contact items: every citizen a project contacted (pre-flight reads a project at once). */
  projectContacts: (projectId: string) => ({ gsi1pk: `CONTACTS#${projectId}` }),
  /**
   * gsi1 of withdrawal items: everyone who withdrew from a project, sorted by the person's global
   * keyed hash (never the ID: issue 24 #5); readers take the person from the item's own pk.
   */
  projectWithdrawal: (projectId: string, citizenHash: string) => ({ gsi1pk: `WITHDRAWN#${projectId}`, gsi1sk: citizenHash }),
  /** A letter a stand-in channel (local runtime, fakes) delivered to a citizen; GET /citizen/inbox reads them back. */
  deliveredLetter: (nin: string, channel: Channel, roundId: string, deliveryId: string) => ({ pk: `CIT#${nin}`, sk: `${DELIVERED[channel]}${roundId}#${deliveryId}` }),
  /** Every letter one channel delivered to a citizen: the partition and the sort-key prefix. */
  deliveredLetters: (nin: string, channel: Channel) => ({ pk: `CIT#${nin}`, skPrefix: DELIVERED[channel] }),
  task: (nin: string, taskId: string) => ({ pk: `CIT#${nin}`, sk: `TASK#${taskId}` }),
  /** gsi1 of an external form task's citizen task: the opaque token finds the task. */
  taskToken: (token: string) => ({ gsi1pk: `TASKTOKEN#${token}`, gsi1sk: 'TASK' }),
};
