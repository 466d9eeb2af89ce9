import type { DispatchDeps } from '../domain/dispatch/process-batch.js';
import type { DispatchMessage, PlanDeps } from '../domain/dispatch/plan-round.js';
import { recoverActiveRounds, type OperationsDeps } from '../domain/dispatch/operations.js';
import { formTaskIssuer } from '../domain/dispatch/task-issuer.js';
import { nonResponders } from '../domain/letters/form-tasks.js';
import type { TestRound } from '../domain/dispatch/test-send.js';
import { dynamo, sqs } from '../shared/clients.js';
import { config } from '../shared/config.js';
import { injectFault } from '../shared/faults.js';
import type { LetterVersion } from '../domain/letters/letter.js';
import { LocalChannelGateway } from './channels/local-channels.js';
import { DynamoDispatchStore } from './dynamo/dispatch-store.js';
import { DynamoOperationsState } from './dynamo/operations-state.js';
import { DynamoRoundDispatchState } from './dynamo/round-dispatch-state.js';
import { adapters } from './index.js';
import { SqsWorkQueue } from './sqs/work-queue.js';

const num = (name: string, fallback: number): number => {
  const v = Number(process.env[name] ?? '');
  return Number.isFinite(v) && v > 0 ? v : fallback;
};

/** Pipeline settings; measured in bench/dispatch.ts (recipients per message) and overridable by env. */
export const dispatchSettings = () => ({
  /** Recipients per dispatch message: one claim transaction (≤ 99 items) per batch. */
  batchSize: Math.min(99, num('DISPATCH_BATCH_SIZE', 90)),
  plannerGroup: num('PLANNER_GROUP', 16),
  /** ≥ the worker Lambda's 30 s timeout, so an expired lease always means a dead worker. */
  leaseMs: num('DISPATCH_LEASE_MS', 60_000),
  channelRetries: num('CHANNEL_RETRIES', 3),
  /** Four attempts of 5 s plus backoff stay inside the worker Lambda's 30 s. */
  channelTimeoutMs: num('CHANNEL_TIMEOUT_MS', 5_000),
  /** Messages one round may have on the queue at a time: fairness between rounds (plan-round.ts). */
  window: num('DISPATCH_WINDOW', 8),
});

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Letter versions are immutable, so a worker container caches them for its lifetime. */
const versionCache = new Map<string, Promise<LetterVersion | undefined>>();

const build = () => {
  const a = adapters();
  const db = dynamo();
  const tables = { main: config.tableName('main'), deliveries: config.tableName('deliveries'), citizens: config.tableName('citizens') };
  const store = new DynamoDispatchStore(db, tables);
  const rounds = new DynamoRoundDispatchState(db, tables.main);
  const ops = new DynamoOperationsState(db, tables.main);
  const dispatchQueue = new SqsWorkQueue<DispatchMessage>(sqs(), config.queueUrl('dispatch'));
  const plannerQueue = new SqsWorkQueue<{ projectId: string; roundId: string }>(sqs(), config.queueUrl('planner'));
  const channels = new LocalChannelGateway(db, tables.citizens, config.isLocal());
  const settings = dispatchSettings();

  const worker: DispatchDeps = {
    store,
    reservations: a.reservations,
    population: a.population,
    ledger: a.contacts,
    versions: {
      get: (projectId, letterId, version) => {
        const key = `${projectId}/${letterId}/${version}`;
        let v = versionCache.get(key);
        if (!v) {
          v = a.letters.getVersion(projectId, letterId, version);
          versionCache.set(key, v);
          v.then((x) => x === undefined && versionCache.delete(key), () => versionCache.delete(key));
        }
        return v;
      },
    },
    channels,
    tasks: formTaskIssuer(a.formTasks, a.citizenTasks),
    nonResponders: (projectId, formTaskId, nins) => nonResponders(a, projectId, formTaskId, nins),
    clock: () => new Date(),
    leaseMs: settings.leaseMs,
    channelRetries: settings.channelRetries,
    // Read at each call, not once: the fault-injection tests shorten it for one test only.
    get channelTimeoutMs() {
      return dispatchSettings().channelTimeoutMs;
    },
    sleep,
    fault: injectFault,
  };

  const planner: PlanDeps = {
    store,
    queue: dispatchQueue,
    readRecipients: (listId) => a.lists.readRecipients(listId),
    cursor: {
      read: (p, r) => rounds.readCursor(p, r),
      begin: (p, r) => rounds.beginPlanning(p, r),
      advance: (p, r, n, layout) => rounds.advanceCursor(p, r, n, layout),
    },
    hashKey: config.citizenHashKey(),
    batchSize: settings.batchSize,
    groupSize: settings.plannerGroup,
    window: settings.window,
  };

  const operations: OperationsDeps = {
    store,
    queue: dispatchQueue,
    activeRounds: (projectId) => rounds.roundsInStatus(['dispatching', 'canary_hold'], projectId),
    clock: () => Date.now(),
    sleep,
    window: settings.window,
  };

  return { store, rounds, ops, channels, dispatchQueue, plannerQueue, worker, planner, operations };
};

let deps: ReturnType<typeof build> | undefined;
export const dispatchAdapters = (): ReturnType<typeof build> => (deps ??= build());

/** Everything the HTTP side of dispatch and operations needs. */
export const dispatchUseCaseDeps = () => {
  const a = adapters();
  const d = dispatchAdapters();
  return {
    projects: a.projects,
    letters: a.letters,
    lists: a.lists,
    prober: a.prober,
    audit: a.audit,
    store: d.store,
    rounds: d.rounds,
    ops: d.ops,
    operations: d.operations,
    startPlanning: (projectId: string, roundId: string) => d.plannerQueue.enqueue([{ projectId, roundId }]),
  };
};

export const testSendDeps = () => {
  const a = adapters();
  const d = dispatchAdapters();
  return {
    projects: a.projects,
    letters: a.letters,
    audit: a.audit,
    store: d.store,
    enqueue: (m: readonly DispatchMessage[]) => d.dispatchQueue.enqueue(m),
    createTestRound: (r: TestRound) => d.rounds.createTestRound(r),
    hashKey: config.citizenHashKey(),
  };
};

/** Re-creates queue work from DynamoDB after a restart of the local queue emulator. */
export const recoverDispatch = () => {
  const a = adapters();
  const d = dispatchAdapters();
  return recoverActiveRounds({
    ...d.operations,
    halted: async () => (await d.ops.read()).halted,
    pausedProjects: async () => new Set((await a.projects.listAllProjects()).filter((p) => p.status === 'paused').map((p) => p.projectId)),
    planningUnfinished: async (projectId, roundId) => {
      const cursor = await d.rounds.readCursor(projectId, roundId);
      const total = await d.rounds.totalBatches(projectId, roundId);
      return !cursor.started || total === undefined || cursor.plannedBatches < total;
    },
    startPlanning: (projectId, roundId) => d.plannerQueue.enqueue([{ projectId, roundId }]),
  });
};
