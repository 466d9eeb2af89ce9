import { randomUUID } from 'node:crypto';
import { dynamo, s3, s3Presigner, sqs } from '../shared/clients.js';
import { config } from '../shared/config.js';
import { callbackSealKey } from '../shared/secrets.js';
import { AesGcmSecretBox } from './crypto/secret-box.js';
import { formTaskIssuer } from '../domain/dispatch/task-issuer.js';
import { retentionFor } from '../domain/shared/retention.js';
import { dispatchControl, type OperationsDeps } from '../domain/dispatch/operations.js';
import type { EngineDeps, DispatchMessage, LedgerRebuild } from '../domain/dispatch/ports.js';
import { delaySecondsOf, rebuildAfterFailover, type RebuildDeps } from '../domain/dispatch/rebuild-ledger.js';
import type { TestSendDeps } from '../domain/dispatch/test-send.js';
import { guardiansAwaitingAnswer, nonResponders } from '../domain/letters/form-tasks.js';
import { roundLifecycle } from '../domain/rounds/lifecycle.js';
import { keepingReleasedRounds } from './caching/released-rounds.js';
import type { PrepareMessage, PrepareQueue, RoundDeps } from '../domain/rounds/ports.js';
import type { ReleasedRound } from '../domain/rounds/round.js';
import { LocalChannelGateway } from './channels/local-channels.js';
import { DynamoAuditHeadIndex, DynamoAuditLog } from './dynamo/audit-log.js';
import { DynamoBatchStore } from './dynamo/batch-store.js';
import { DynamoPopulationRegistry, DynamoReservationRegistry } from './dynamo/citizen-registry.js';
import { DynamoContactLedger } from './dynamo/contact-ledger.js';
import { DynamoCitizenTaskRepository, DynamoFormTaskRepository } from './dynamo/form-task-repository.js';
import { DynamoLetterRepository } from './dynamo/letter-repository.js';
import { DynamoOperationsState } from './dynamo/operations-state.js';
import { DynamoProjectRepository } from './dynamo/project-repository.js';
import { DynamoRecipientListRepository } from './dynamo/recipient-list-repository.js';
import { DynamoRegistryOutage } from './dynamo/citizen-registry.js';
import { DynamoRoundRepository } from './dynamo/round-repository.js';
import { S3AuditSeal } from './s3/audit-seal-store.js';
import { HttpLinkProber } from './http/link-prober.js';
import { S3ListUploadStore } from './s3/list-upload-store.js';
import { SqsQueueAdmin } from './sqs/queue-admin.js';
import { SqsWorkQueue } from './sqs/work-queue.js';
import { DynamoStatistics } from './dynamo/statistics.js';
import { DynamoFailoverStore, DynamoRegionHeartbeats } from './dynamo/failover-store.js';
import type { FailoverPorts } from '../domain/operations/failover.js';
import type { CitizenDeps } from '../domain/citizens/use-cases.js';
import type { RegistryOutageAdmin } from '../domain/citizens/ports.js';
import type { ReportCsvDeps } from '../domain/dispatch/report-csv.js';
import type { FormCallbackDeps } from '../domain/letters/form-callbacks.js';
import type { FormTaskDeps } from '../domain/letters/form-tasks.js';
import type { SecretBox } from '../domain/letters/ports.js';
import type { LetterDeps } from '../domain/letters/use-cases.js';
import type { ListDeps } from '../domain/lists/use-cases.js';
import type { ProjectDeps } from '../domain/projects/use-cases.js';
import type { ReceiptsReader } from '../domain/receipts/ports.js';
import type { PrivacyChangeDeps, recordMessageToCitizen } from '../domain/receipts/use-cases.js';
import type { PreviewDeps } from '../domain/rounds/preview.js';
import type { AuditHeadIndex, AuditLog, AuditSeal } from '../domain/shared/audit.js';
import type { StatisticsReader } from '../domain/statistics/ports.js';
import { THROUGHPUT_ENV, throughput } from '../../lib/throughput.js';

const num = (name: string, fallback: number): number => {
  const v = Number(process.env[name] ?? '');
  return Number.isFinite(v) && v > 0 ? v : fallback;
};

/** Engine settings, measured in bench/dispatch.ts and overridable by environment; the deployed ones come from lib/throughput.ts. */
export const dispatchSettings = () => ({
  /** Recipients per batch: one batch item, one claim, one commit. */
  batchSize: Math.min(1000, num('DISPATCH_BATCH_SIZE', 100)),
  /** ≥ the worker Lambda's 30 s timeout, so an expired lease always means a dead worker. */
  leaseMs: num('DISPATCH_LEASE_MS', 60_000),
  /** Attempts per recipient before a transient channel failure counts as failed (redrivable). */
  maxTries: num('CHANNEL_MAX_TRIES', 4),
  /**
   * The hard deadline of one wave's channel calls (an abort signal): no call outlives it, and a
   * pause waits at most this long for a wave. Well inside the worker Lambda's 30 s.
   */
  channelTimeoutMs: num('CHANNEL_TIMEOUT_MS', 10_000),
  /** Letters handed over at once by one batch (one wave): what a pause waits for at most. */
  waveWidth: num(THROUGHPUT_ENV.waveWidth, throughput.waveWidth),
  /** Time kept back at the end of an invocation for the last commit. */
  commitBudgetMs: num('DISPATCH_COMMIT_BUDGET_MS', 2_000),
  /** Messages one round may have on the queue at a time: fairness between rounds (layout.ts). */
  window: num(THROUGHPUT_ENV.roundWindow, throughput.roundWindow),
});

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
import { DynamoReceiptsStore } from './dynamo/receipts-store.js';
import { buildNational, type National } from './national/index.js';
import { StandInCitizenFactsReader } from './national/stand-in.js';
import type { CitizenFactsReader } from '../domain/citizens/registries.js';
import type { ChannelGateway } from '../domain/dispatch/channels.js';

/**
 * Which implementations of CitizenFactsReader and ChannelGateway: `national` (default) — the real
 * adapters against the configured endpoints (locally: the contract fakes); `stand-in` — tables
 * only, allowed on the local runtime alone. Deployed, asking for the stand-in is an error.
 */
export const integrationMode = (): 'national' | 'stand-in' => {
  const mode = process.env.NATIONAL_INTEGRATIONS ?? 'national';
  if (mode === 'national') return 'national';
  if (mode === 'stand-in' && config.isLocal()) return 'stand-in';
  throw new Error(`NATIONAL_INTEGRATIONS=${mode} is not allowed here (stand-ins run on the local runtime only)`);
};

/**
 * The composition root: every adapter behind its port, created once per process on first use and
 * chosen by configuration. Handlers take their dependencies from here; tests build their own.
 */
const build = () => {
  const db = dynamo();
  const main = config.tableName('main');
  const citizensTable = config.tableName('citizens');
  const settings = dispatchSettings();
  const projects = new DynamoProjectRepository(db, main);
  // Its own table (lib/resources.ts): no function may update or delete an audit entry.
  const audit = new DynamoAuditLog(db, config.tableName('audit'));
  const lists = new DynamoRecipientListRepository(db, main, config.tableName('recipients'));
  // Keyed hashes for index keys (withdrawals, the ledger, the privacy mirror): read only where one is written or looked up.
  const hashKeys = () => config.hashKeys();
  const reservations = new DynamoReservationRegistry(db, citizensTable, hashKeys);
  const population = new DynamoPopulationRegistry(db, citizensTable, hashKeys);
  // Retention (RETENTION_DAYS / RETENTION_LONG_DAYS): per-recipient detail 90 days after its last
  // write by default, the contact ledger (complaints, duplicates, caps) the long period.
  const contacts = new DynamoContactLedger(db, citizensTable, hashKeys, () => retentionFor('contactLedger', new Date(), config.retention()));
  // Georedundant (GEO_REGIONS set): a release homes the round in the region that released it, with its fence in the MRSC fence table.
  const rounds = new DynamoRoundRepository(db, main, config.georedundantRegions().length > 0 ? { region: config.region(), fenceTable: config.tableName('fence') } : undefined);
  const letters = new DynamoLetterRepository(db, main);
  const formTasks = new DynamoFormTaskRepository(db, main);
  const citizenTasks = new DynamoCitizenTaskRepository(db, citizensTable, main);
  // Georedundant: waves in flight marked in the MRSC fence table, so a pause or halt given in any region waits for every region's.
  const geo = config.georedundantRegions();
  const batches = new DynamoBatchStore(
    db,
    { main, deliveries: config.tableName('deliveries') },
    () => retentionFor('delivery', new Date(), config.retention()),
    geo.length > 0 ? { table: config.tableName('fence'), region: config.region(), regions: geo } : undefined,
  );
  const ops = new DynamoOperationsState(db, main);
  const dispatchQueue = new SqsWorkQueue<DispatchMessage | LedgerRebuild>(sqs(), config.queueUrl('dispatch'));
  // Built on first use: only the functions that create or prepare rounds have the prepare queue's URL.
  let prepareQueue: SqsWorkQueue<PrepareMessage> | undefined;
  const prepareQueueOnce: PrepareQueue = { enqueue: (m, opts) => (prepareQueue ??= new SqsWorkQueue<PrepareMessage>(sqs(), config.queueUrl('prepare'))).enqueue(m, opts) };
  // Built on first use only: handlers that never read a registry or send need no integration settings.
  let national: National | undefined;
  const nationalOnce = (): National => (national ??= buildNational({ db, citizensTable, mainTable: main, own: reservations, hashKeys, region: config.region(), local: config.isLocal() }));
  let standInChannels: LocalChannelGateway | undefined;
  /** Registry facts (pre-flight and send time), one read per registry per batch, failing closed. */
  const citizenFacts = (): CitizenFactsReader => (integrationMode() === 'national' ? nationalOnce().citizenFacts : new StandInCitizenFactsReader(population, reservations));
  /** The delivery channels: ePROM (helsenorge) and Digipost (digital mailbox, paper). */
  const channelGateway = (): ChannelGateway =>
    // LOCAL_CHANNELS=stand-in (local runtime only): the registries through their fakes, the letters
    // stored directly — how bench:dispatch separates the cost of the channel fakes' HTTP path.
    integrationMode() === 'national' && !(config.isLocal() && process.env.LOCAL_CHANNELS === 'stand-in') ? nationalOnce().channels : (standInChannels ??= new LocalChannelGateway(db, citizensTable));
  const citizens: CitizenFactsReader = {
    researchReservationReadable: () => citizenFacts().researchReservationReadable(),
    factsOf: (nins, projectId) => citizenFacts().factsOf(nins, projectId),
  };
  const channels: ChannelGateway = {
    handOver: (channel, items, opts) => channelGateway().handOver(channel, items, opts),
    fateOf: (channel, roundId, deliveryIds, opts) => channelGateway().fateOf(channel, roundId, deliveryIds, opts),
  };
  /** The inbox stand-in reads the letters the local channels hold (locally the fakes store them the same way). */
  const inbox = new LocalChannelGateway(db, citizensTable);
  const prober = new HttpLinkProber({
    local: config.isLocal(),
    // Tests shorten the 5 s probe timeout so a hanging link target does not slow them down.
    timeoutMs: Number(process.env.LINK_PROBE_TIMEOUT_MS ?? '') || 5_000,
  });
  const control = dispatchControl({ batches, queue: dispatchQueue, batchSize: settings.batchSize, window: settings.window });
  const progress = { progress: (roundId: string, planned: number) => batches.progress(roundId, planned) };
  const statistics = new DynamoStatistics(db, main);
  const auditSeal = new S3AuditSeal(s3(), config.auditSealBucket(), config.auditSealRetentionDays());

  const roundDeps: RoundDeps = {
    projects,
    audit,
    rounds,
    letters,
    lists,
    citizens,
    contacts,
    formTasks,
    citizenTasks,
    progress,
    prober,
    dispatch: control,
    prepareQueue: prepareQueueOnce,
    halted: async () => (await ops.read()).halted,
    hashKeys: () => config.hashKeys(),
    retention: config.retention(),
  };

  const engine: EngineDeps = {
    gate: rounds,
    fence: rounds,
    batches,
    // Released rounds kept per release sequence (caching/released-rounds.ts): what the engine reads of them never changes.
    rounds: keepingReleasedRounds(
      roundLifecycle({ rounds, audit, auditSeal, lists, progress, projects, citizens, retention: config.retention(), ...(config.georedundantRegions().length > 0 ? { fence: rounds } : {}) }),
    ),
    recipients: lists,
    citizens,
    ledger: contacts,
    channels,
    tasks: formTaskIssuer(formTasks, citizenTasks),
    nonResponders: (projectId, formTaskId, nins) => nonResponders({ citizenTasks }, projectId, formTaskId, nins),
    guardiansAwaiting: (projectId, formTaskId, asked) => guardiansAwaitingAnswer({ citizenTasks }, projectId, formTaskId, asked),
    queue: dispatchQueue,
    formTasks,
    hashKeys: () => config.hashKeys(),
    statistics,
    clock: () => new Date(),
    settings: {
      leaseMs: settings.leaseMs,
      maxTries: settings.maxTries,
      window: settings.window,
      waveWidth: settings.waveWidth,
      commitBudgetMs: settings.commitBudgetMs,
      // A round homed in another region (georedundant stages) is not dispatched here.
      region: config.region(),
      // Read at each call, not once: the fault-injection tests shorten it for one test only.
      get channelTimeoutMs() {
        return dispatchSettings().channelTimeoutMs;
      },
    },
  };

  /** The dispatch worker's other job: a failover's ledger rebuild (dispatch/rebuild-ledger.ts). */
  const ledgerRebuild: RebuildDeps = { rounds, batches, recipients: lists, ledger: contacts, control, clock: () => new Date(), queue: dispatchQueue };

  const queueAdmin = new SqsQueueAdmin(sqs());
  const operations: OperationsDeps & { roundDeps: RoundDeps } = {
    projects,
    rounds,
    audit,
    batches,
    ledger: contacts,
    control,
    ...(config.georedundantRegions().length > 0 ? { fence: rounds } : {}),
    // Operations halt and resume through the fence table too on a georedundant stage (operations-state.ts).
    state: config.georedundantRegions().length > 0 ? new DynamoOperationsState(db, main, config.tableName('fence')) : ops,
    queues: {
      stats: async () => ({
        dispatch: await queueAdmin.stats(config.queueUrl('dispatch'), config.dlqUrl('dispatch')),
        prepare: await queueAdmin.stats(config.queueUrl('prepare'), config.dlqUrl('prepare')),
      }),
      // Dead-lettered batches and background pre-flight chunks both go back to work (a chunk is
      // stored once whatever its deliveries, so a returned duplicate is harmless).
      redriveDeadLetters: async () =>
        (await queueAdmin.redrive(config.dlqUrl('dispatch'), config.queueUrl('dispatch'))) + (await queueAdmin.redrive(config.dlqUrl('prepare'), config.queueUrl('prepare'))),
    },
    progress: (round: ReleasedRound) => batches.progress(round.roundId, round.release.layout.total),
    clock: () => Date.now(),
    sleep,
    letters,
    lists,
    roundDeps,
  };

  // Failover of a georedundant stage (docs/georedundancy.md); on a single-region stage `regions`
  // is empty and every use case refuses with NOT_GEOREDUNDANT.
  const failover: FailoverPorts = {
    failovers: new DynamoFailoverStore(db, main),
    homes: {
      activeHomes: (roundId) => rounds.activeHomes(roundId),
      moveHome: (home, to) => rounds.moveHome(home, to),
      // The moved rounds' work goes on this region's queue (the confirmation runs in the new home):
      // first their ledger rebuild, whose last step puts their unfinished batches back to work.
      completedIn: (region, since) => rounds.completedIn(region, since),
      requeue: async (moved, completedToo) => {
        const all = [...moved, ...completedToo];
        if (all.length === 0) return 0;
        // The fences moved just now (the confirmation's compare-and-sets): the rebuild waits a lease for the old home's last waves.
        const now = Date.now();
        const job = rebuildAfterFailover(
          all.map((h) => ({ projectId: h.projectId, roundId: h.roundId, epoch: h.epoch })),
          now,
          settings.leaseMs,
        );
        await dispatchQueue.enqueue([job], { delaySeconds: delaySecondsOf(job, now) });
        return 1;
      },
    },
    audit,
    regions: config.georedundantRegions(),
    here: config.region(),
    heartbeats: new DynamoRegionHeartbeats(db, main),
    clock: () => new Date(),
    newId: () => randomUUID(),
  };

  const testSend: TestSendDeps = { projects, letters, audit, rounds, storeRecipients: (listId, r) => lists.storeUnlisted(listId, r), queue: dispatchQueue };
  const listUploads = new S3ListUploadStore(s3(), config.bucketName('recipientLists'), s3Presigner());
  const registryOutage = new DynamoRegistryOutage(db, citizensTable);
  const receipts = new DynamoReceiptsStore(db, main);
  const secretBox = new AesGcmSecretBox(callbackSealKey);

  /** Every adapter by itself: what the local runtime, benches and tests seed and inspect directly. */
  const raw = {
    projects,
    audit,
    lists,
    listUploads,
    reservations,
    population,
    contacts,
    rounds,
    letters,
    formTasks,
    citizenTasks,
    prober,
    citizens,
    channels,
    batches,
    dispatchQueue,
    prepareQueue: prepareQueueOnce,
    statistics,
    /** Sealed audit heads (S3 Object Lock); a project's head is sealed when one of its rounds completes. */
    auditSeal,
    inbox,
    registryOutage,
    /** Receipts per delivery (ePROM callbacks, Digipost status): the round view's `receipts`. */
    receipts,
    /** Every live version of the citizen hash key: global keys and project pseudonyms derive from it. */
    hashKeys,
    /** Seals and opens external form tasks' callback secrets (AES-256-GCM under the CallbackSealKey, read on use). */
    secretBox,
  };

  const ports: HandlerPorts = {
    // Georedundant: a pause or a reset of a project's approval recorded in the fence table, for every region's gate.
    projects: { projects, audit, prober, citizens, auditSeal, operations, ...(config.georedundantRegions().length > 0 ? { fence: rounds } : {}) },
    letters: { projects, audit, letters, formTasks, prober },
    formTasks: { projects, audit, formTasks, citizenTasks, hashKeys, secretBox },
    formCallbacks: { formTasks, citizenTasks, audit, hashKeys, secretBox },
    lists: { projects, audit, lists, listUploads },
    citizens: { projects, audit, reservations, population, registryOutage },
    rounds: { ...roundDeps, batches, receipts },
    preview: { projects, rounds, letters, lists, formTasks, citizenFacts: citizens },
    testSend,
    engine,
    ledgerRebuild,
    operations,
    failover,
    statistics: { statistics },
    auditSealing: { audit, auditSeal, heads: new DynamoAuditHeadIndex(db, config.tableName('audit')) },
    receiptCallbacks: () => ({ receipts, callbackKey: nationalOnce().callbackKey, now: () => new Date() }),
    privacyCallbacks: () => {
      const national = nationalOnce();
      return { callbackKey: national.callbackKey, pvkIds: national.pvkIds, ...national.privacy.changeDeps() };
    },
    national: () => nationalOnce(),
    inbox,
  };

  return { raw, ports };
};

/**
 * What a handler gets: one dependency set per use-case module, each of the type its use cases take
 * (ProjectDeps, LetterDeps, RoundDeps, …), and the few single ports a handler uses itself. No
 * member is the whole adapter set, so a use case can only be handed the set of its module
 * (test/unit/architecture/handlers-wire-ports.test.ts).
 */
interface HandlerPorts {
  /** Projects and their lifecycle; verifying the audit reads the seals, pause and resume reach the dispatch. */
  readonly projects: ProjectDeps & { readonly auditSeal: AuditSeal; readonly operations: OperationsDeps };
  /** Letters, their check and approval, and the approval of a project with its letters. */
  readonly letters: LetterDeps;
  /** Form tasks, the citizen's tasks and their answers. */
  readonly formTasks: FormTaskDeps & { readonly secretBox: SecretBox };
  /** External form systems' signed callbacks. */
  readonly formCallbacks: FormCallbackDeps;
  readonly lists: ListDeps;
  /** The citizen's reservations and withdrawals, and the local registry stand-ins. */
  readonly citizens: CitizenDeps & { readonly registryOutage: RegistryOutageAdmin };
  /** Rounds; their report reads the batches' outcomes, their view the channels' receipts. */
  readonly rounds: RoundDeps & ReportCsvDeps & { readonly receipts: Pick<ReceiptsReader, 'summary'> };
  readonly preview: PreviewDeps;
  readonly testSend: TestSendDeps;
  /** The dispatch engine (the worker): every gate checked at send time. */
  readonly engine: EngineDeps;
  readonly ledgerRebuild: RebuildDeps;
  /** Halt, resume, status, complaint lookup and redrive; a redrive reopens rounds. */
  readonly operations: OperationsDeps & { readonly roundDeps: RoundDeps };
  readonly failover: FailoverPorts;
  readonly statistics: { readonly statistics: StatisticsReader };
  /** The scheduled seal: every chain changed since the last run gets its head sealed. */
  readonly auditSealing: { readonly audit: AuditLog; readonly auditSeal: AuditSeal; readonly heads: AuditHeadIndex };
  /** ePROM's receipt callback (the national integrations are built on first use). */
  readonly receiptCallbacks: () => Parameters<typeof recordMessageToCitizen>[0];
  /** The privacy component's change callback. */
  readonly privacyCallbacks: () => PrivacyChangeDeps;
  /** The national integrations' scheduled jobs: privacy mirror refresh and Digipost status polling. */
  readonly national: () => National;
  /** The portal inbox stand-in, for the citizen's inbox endpoint (the citizen-facing function is not given the hash key). */
  readonly inbox: Pick<LocalChannelGateway, 'received'>;
}

let built: ReturnType<typeof build> | undefined;
/** The composition root's answer to a handler: the named dependency sets, built once per process. */
export const adapters = (): HandlerPorts => (built ??= build()).ports;
/** The adapters themselves, for the local runtime, benches and tests; handlers take adapters(). */
export const rawAdapters = (): ReturnType<typeof build>['raw'] => (built ??= build()).raw;
/**
 * Forget the adapters built so far: the local runtime calls it when it starts a platform, so a
 * second platform in the same process (a restart test) talks to its own fakes, not the first's.
 */
/** @public local/platform.ts imports this module by file URL (after setting the environment), out of knip's sight. */
export const resetAdapters = (): void => {
  built = undefined;
};
