import { randomBytes } from 'node:crypto';
import { dynamo } from '../functions/shared/clients.js';
import { syntheticNins } from '../functions/domain/lists/nin-generator.js';
import { startEmulators } from '../local/emulators.js';
import { startPlatform, type Platform } from '../local/platform.js';
import { clientFor, type ApiClient } from '../test/setup/platform.js';
import type { Counts } from '../functions/domain/rounds/round.js';

/**
 * Shared set-up for the benchmarks: the real local platform (DynamoDB Local, fauxqs, API server,
 * pollers) in this process, and a counter of every DynamoDB call the handlers make.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';

export interface Bench {
  readonly platform: Platform;
  readonly as: (id: { sub: string; role: string; org?: string }) => ApiClient;
  readonly storeCalls: () => number;
  /** Store calls so far by command (GetItemCommand, BatchWriteItemCommand, …). */
  readonly storeCallsByCommand: () => Map<string, number>;
  /** Capacity units DynamoDB reported as consumed so far (ReturnConsumedCapacity TOTAL on every call). */
  readonly consumedUnits: () => { read: number; write: number };
  /** Store calls so far by command and key shape (`GetItem RECEIPTREF/REF`): where a letter's calls go. */
  readonly storeCallsByShape: () => Map<string, number>;
  /**
   * Store calls made in this process for what is not the platform when deployed: the channel
   * stand-in storing letters (deployed, an HTTP call to ePROM or Digipost) and the local seed of
   * portal activity (no public API; see PortalActivitySource).
   */
  readonly standInCalls: () => { channel: number; seed: number };
  /** Items written (each Put/Update/Delete, each item of a BatchWrite or TransactWrite). */
  readonly storeItemWrites: () => number;
  /** Of those, items written inside a TransactWriteItems. */
  readonly storeTransactionalWrites: () => number;
  stop(): Promise<void>;
}

/**
 * `apiApart` (default): the API and the SQS/S3 emulator on threads of their own, as npm start runs them. The store calls
 * counted here are then this thread's — the workers', the fakes' and the schedulers' — and not the
 * API's (the callbacks' receipt writes, releases, the bench's own polls): `apiApart: false` counts
 * everything, on one thread.
 */
export const startBench = async (env: Record<string, string> = {}, opts: { apiApart?: boolean } = {}): Promise<Bench> => {
  const emulators = await startEmulators({ awsApart: opts.apiApart !== false });
  const platform = await startPlatform({
    dynamoEndpoint: emulators.dynamoEndpoint,
    awsEndpoint: emulators.awsEndpoint,
    namespace: `b${randomBytes(3).toString('hex')}`,
    port: 0,
    env,
    ...(opts.apiApart === false ? {} : { apiApart: {} }),
  });
  let calls = 0;
  const byCommand = new Map<string, number>();
  const byShape = new Map<string, number>();
  const standIn = { channel: 0, seed: 0 };
  let itemWrites = 0;
  let transactional = 0;
  const units = { read: 0, write: 0 };
  dynamo().middlewareStack.add(
    (next, context) => async (args) => {
      calls++;
      byCommand.set(String(context.commandName), (byCommand.get(String(context.commandName)) ?? 0) + 1);
      const shape = `${String(context.commandName).replace(/Command$/, '')} ${keyShape(args.input as Record<string, unknown>)}`;
      byShape.set(shape, (byShape.get(shape) ?? 0) + 1);
      const first = firstItem(String(context.commandName), args.input as Record<string, unknown>);
      if (/^(INBOX|MAILBOX|PRINT)#/.test(String(first?.sk))) standIn.channel++;
      else if (first?.sk === 'POPULATION') standIn.seed++;
      const written = writtenItems(String(context.commandName), args.input as Record<string, unknown>);
      itemWrites += written;
      if (String(context.commandName).startsWith('TransactWrite')) transactional += written;
      if (DATA_CALLS.test(String(context.commandName))) (args.input as Record<string, unknown>).ReturnConsumedCapacity = 'TOTAL';
      const result = await next(args);
      const consumed = (result.output as { ConsumedCapacity?: Consumed | Consumed[] }).ConsumedCapacity;
      for (const c of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) {
        // A call reports read and write units apart, or only their total when it is of one kind.
        const read = c.ReadCapacityUnits ?? (READS.test(String(context.commandName)) ? (c.CapacityUnits ?? 0) : 0);
        const write = c.WriteCapacityUnits ?? (READS.test(String(context.commandName)) ? 0 : (c.CapacityUnits ?? 0));
        units.read += read;
        units.write += write;
      }
      return result;
    },
    { step: 'initialize', name: 'benchCallCounter' },
  );
  return {
    platform,
    as: (id) => clientFor(platform.url, () => platform.issuer.sign({ ...id })),
    storeCalls: () => calls,
    storeCallsByCommand: () => new Map(byCommand),
    storeCallsByShape: () => new Map(byShape),
    consumedUnits: () => ({ ...units }),
    standInCalls: () => ({ ...standIn }),
    storeItemWrites: () => itemWrites,
    storeTransactionalWrites: () => transactional,
    stop: async () => {
      await platform.stop();
      await emulators.stop();
    },
  };
};

interface Consumed {
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
}
/** The calls that can report consumed capacity, and those of them that only read. */
const DATA_CALLS = /^(Get|Put|Update|Delete|Query|Scan|BatchGet|BatchWrite|TransactGet|TransactWrite)(Item|Items)?Command$|^(Query|Scan)Command$/;
const READS = /^(Get|Query|Scan|BatchGet|TransactGet)/;

const SINGLE_WRITES = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'PutCommand', 'UpdateCommand', 'DeleteCommand']);
/** The first item (or key) a batch call writes or reads. */
const firstItem = (command: string, input: Record<string, unknown>): Record<string, unknown> | undefined => {
  const tables = Object.values((input.RequestItems ?? {}) as Record<string, unknown>);
  if (command.startsWith('BatchWrite')) return (tables[0] as { PutRequest?: { Item?: Record<string, unknown> } }[] | undefined)?.[0]?.PutRequest?.Item;
  if (command.startsWith('BatchGet')) return (tables[0] as { Keys?: Record<string, unknown>[] } | undefined)?.Keys?.[0];
  return undefined;
};

/** `RECEIPTREF#m-1` → `RECEIPTREF`: a key's leading upper-case word, never its identifiers. */
const shapeOf = (v: unknown): string => (typeof v === 'string' ? (/^[A-Z_]+/.exec(v)?.[0] ?? '…') : '…');
/** The shape of the first key a call touches: `pk/sk` words, or the table and index a query reads. */
const keyShape = (input: Record<string, unknown>): string => {
  const tx = (input.TransactItems as Record<string, { Key?: Record<string, unknown>; Item?: Record<string, unknown> }>[] | undefined)?.[0];
  const batch = Object.values((input.RequestItems ?? {}) as Record<string, unknown>)[0] as
    { Keys?: Record<string, unknown>[] } | { PutRequest?: { Item?: Record<string, unknown> }; DeleteRequest?: { Key?: Record<string, unknown> } }[] | undefined;
  const first = Array.isArray(batch) ? (batch[0]?.PutRequest?.Item ?? batch[0]?.DeleteRequest?.Key) : batch?.Keys?.[0];
  const key = (input.Key ?? input.Item ?? first ?? (tx && Object.values(tx)[0]?.Key) ?? (tx && Object.values(tx)[0]?.Item)) as Record<string, unknown> | undefined;
  if (key) return `${shapeOf(key.pk ?? Object.values(key)[0])}/${shapeOf(key.sk ?? Object.values(key)[1])}`;
  const values = Object.values((input.ExpressionAttributeValues ?? {}) as Record<string, unknown>);
  return `${String(
    input.IndexName ??
      String(input.TableName ?? '')
        .split('-')
        .pop(),
  )} ${shapeOf(values[0])}`;
};

const writtenItems = (command: string, input: Record<string, unknown>): number => {
  if (SINGLE_WRITES.has(command)) return 1;
  if (command.startsWith('TransactWrite')) return ((input.TransactItems ?? []) as Record<string, unknown>[]).filter((t) => !('ConditionCheck' in t)).length;
  if (command.startsWith('BatchWrite')) return Object.values((input.RequestItems ?? {}) as Record<string, unknown[]>).reduce((n, t) => n + t.length, 0);
  return 0;
};

export const must = <T extends { status: number; text: string }>(res: T, status: number, what: string): T => {
  if (res.status !== status) throw new Error(`${what}: expected ${status}, got ${res.status}: ${res.text.slice(0, 500)}`);
  return res;
};

/** Polls a round until its background preparation is done; its view then. */
export const untilPrepared = async (api: ApiClient, projectId: string, roundId: string, every = 100): Promise<{ status: string; preflight: Record<string, number> }> => {
  for (;;) {
    const v = must(await api.get(`/projects/${projectId}/rounds/${roundId}`), 200, 'read round').body as { status: string; preflight: Record<string, number> };
    if (v.status !== 'preparing') return v;
    await new Promise((r) => setTimeout(r, every));
  }
};

/** A project through the quality gate with an approved letter, and a list of `count` synthetic citizens. */
export const readyRound = async (b: Bench, org: string, count: number, offset = 0, extra: Record<string, unknown> = {}) => {
  const researcher = b.as({ sub: `r@${org}`, role: 'researcher', org });
  const superuser = b.as({ sub: `s@${org}`, role: 'superuser', org });
  const projectId = must(await researcher.post('/projects', { title: `Bench ${org}`, organization: org }), 201, 'create project').body.projectId as string;
  const letterId = must(
    await researcher.post(`/projects/${projectId}/letters`, {
      title: 'Invitasjon',
      kind: 'letter',
      content: { nb: { subject: 'Invitasjon', body: 'Hei! Vil du delta i studien?' }, nn: { subject: 'Invitasjon', body: 'Hei! Vil du vere med i studien?' } },
    }),
    201,
    'create letter',
  ).body.letterId as string;
  must(await researcher.post(`/projects/${projectId}/submit`), 200, 'submit');
  const items = must(await superuser.get(`/projects/${projectId}/checklist`), 200, 'checklist').body.items as { id: string }[];
  must(await superuser.post(`/projects/${projectId}/approve`, { comment: 'ok', checklist: Object.fromEntries(items.map((i) => [i.id, true])) }), 200, 'approve');
  const nins = syntheticNins(count, offset);
  const listId = must(await researcher.post(`/projects/${projectId}/recipient-lists`, `nin\n${nins.join('\n')}\n`, 'text/csv'), 201, 'upload').body.listId as string;
  const created = await researcher.post(`/projects/${projectId}/rounds`, { letterId, listId, ...extra });
  const roundId = must(created, created.status === 202 ? 202 : 201, 'create round').body.roundId as string;
  // A large list is prepared in the background: wait until the round is ready.
  if (created.status === 202) await untilPrepared(researcher, projectId, roundId);
  return { projectId, letterId, listId, roundId, nins, researcher, superuser };
};

export const roundCounts = async (client: ApiClient, projectId: string, roundId: string) => (await client.get(`/projects/${projectId}/rounds/${roundId}`)).body as { status: string; counts: Counts };

export type { Counts } from '../functions/domain/rounds/round.js';

export const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
