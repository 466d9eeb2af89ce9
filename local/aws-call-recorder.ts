import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Access, AccessPrincipal } from '../lib/access-matrix.js';
import { auditSealBucket, buckets, queues, tables, type BucketId, type QueueId, type TableId } from '../lib/resources.js';
import { SECRET_READS, type SecretRead } from '../functions/shared/secret-reads.js';

/**
 * The IAM contract, checked against the code's own calls: the local runtime runs each handler
 * under the identity of the Lambda that would run it in AWS (an API area, `consumer:<queue>`,
 * `releaseScheduler`, `nationalJobs`, `auditSealer`), and when asked (the tests, never the Lambdas) an SDK
 * middleware records every DynamoDB, SQS and S3 call with that identity, and every secret read
 * (functions/shared/secret-reads.ts). `violations` then checks each call against the caller's row
 * of lib/access-matrix.ts as IAM would: action, table/queue/bucket, index, dynamodb:LeadingKeys.
 * DynamoDB Local and the emulators enforce no IAM, so without this a call the role does not allow
 * passes every local test and fails only on AWS.
 */
export const functionIdentity = new AsyncLocalStorage<string>();

/** Runs `work` as the named function (what the local runtime does around each handler call). */
export const runAs = <T>(principal: string, work: () => T): T => functionIdentity.run(principal, work);

export type RecordedCall =
  | {
      readonly fn: string;
      readonly service: 'dynamodb';
      readonly action: string;
      readonly table: string;
      readonly index?: string;
      readonly leadingKeys: readonly string[];
      /** Part of a TransactWriteItems/TransactGetItems call (which MRSC global tables refuse; docs/georedundancy.md). */
      readonly transaction?: true;
    }
  | { readonly fn: string; readonly service: 'sqs'; readonly action: string; readonly queueUrl: string }
  | { readonly fn: string; readonly service: 's3'; readonly action: string; readonly bucket: string }
  | { readonly fn: string; readonly service: 'secret'; readonly action: 'read'; readonly secret: SecretRead['name'] };

type Item = Record<string, unknown>;
const keyValue = (v: unknown): string | undefined => (typeof v === 'string' ? v : v && typeof v === 'object' && typeof (v as { S?: unknown }).S === 'string' ? (v as { S: string }).S : undefined);
const pkOf = (item: unknown): string[] => {
  const v = keyValue((item as Item | undefined)?.pk);
  return v === undefined ? [] : [v];
};

/** The partition key a Query names (`pk = :x`, maybe through an attribute name). */
const queriedKey = (input: Item): string[] => {
  const names = (input.ExpressionAttributeNames ?? {}) as Record<string, string>;
  const values = (input.ExpressionAttributeValues ?? {}) as Record<string, unknown>;
  const expr = String(input.KeyConditionExpression ?? '');
  for (const m of expr.matchAll(/(#?\w+)\s*=\s*(:\w+)/g)) {
    const attr = m[1]!.startsWith('#') ? names[m[1]!] : m[1];
    if (attr === 'pk') return [keyValue(values[m[2]!]) ?? '?'];
  }
  return ['?'];
};

/** One SDK command → the IAM item actions it is authorised by, per table. */
const dynamoCalls = (command: string, input: Item): { action: string; table: string; index?: string; leadingKeys: string[]; transaction?: true }[] => {
  const table = String(input.TableName ?? '');
  switch (command) {
    case 'GetItem':
    case 'DeleteItem':
    case 'UpdateItem':
      return [{ action: command, table, leadingKeys: pkOf(input.Key) }];
    case 'PutItem':
      return [{ action: command, table, leadingKeys: pkOf(input.Item) }];
    case 'Query':
      return [{ action: command, table, ...(input.IndexName ? { index: String(input.IndexName) } : {}), leadingKeys: input.IndexName ? [] : queriedKey(input) }];
    case 'Scan':
      return [{ action: command, table, ...(input.IndexName ? { index: String(input.IndexName) } : {}), leadingKeys: [] }];
    case 'BatchGetItem':
      return Object.entries((input.RequestItems ?? {}) as Record<string, { Keys?: unknown[] }>).map(([t, r]) => ({ action: 'BatchGetItem', table: t, leadingKeys: (r.Keys ?? []).flatMap(pkOf) }));
    case 'BatchWriteItem':
      return Object.entries((input.RequestItems ?? {}) as Record<string, { PutRequest?: { Item: unknown }; DeleteRequest?: { Key: unknown } }[]>).map(([t, reqs]) => ({
        action: 'BatchWriteItem',
        table: t,
        leadingKeys: reqs.flatMap((r) => pkOf(r.PutRequest?.Item ?? r.DeleteRequest?.Key)),
      }));
    case 'TransactWriteItems':
      return ((input.TransactItems ?? []) as Record<string, Item>[]).flatMap((ti) =>
        Object.entries(ti).map(([kind, op]) => ({
          action: { Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem', ConditionCheck: 'ConditionCheckItem' }[kind] ?? kind,
          table: String(op.TableName ?? ''),
          leadingKeys: pkOf(op.Key ?? op.Item),
          transaction: true as const,
        })),
      );
    case 'TransactGetItems':
      return ((input.TransactItems ?? []) as { Get: Item }[]).map((ti) => ({ action: 'GetItem', table: String(ti.Get.TableName ?? ''), leadingKeys: pkOf(ti.Get.Key), transaction: true as const }));
    default:
      return [{ action: command, table, leadingKeys: [] }];
  }
};

interface Stacked {
  middlewareStack: { add(mw: unknown, opts: { step: 'initialize'; name: string }): void; remove(name: string): boolean };
}

let recorders = 0;

export interface Recorder {
  readonly calls: RecordedCall[];
  stop(): void;
}

/**
 * Records the calls made through these clients (the composition root's, functions/shared/clients.ts)
 * and the secret reads, by the identity they run under; calls outside any function (test set-up,
 * the runtime's own provisioning and pollers) are not a function's and are left out.
 */
export const recordAwsCalls = (clients: { dynamo: Stacked; sqs: Stacked; s3: Stacked }): Recorder => {
  const calls: RecordedCall[] = [];
  const name = `rdIamContractRecorder${++recorders}`;
  const middleware = (service: 'dynamodb' | 'sqs' | 's3') => (next: (args: { input: Item }) => Promise<unknown>, context: { commandName?: string }) => async (args: { input: Item }) => {
    const fn = functionIdentity.getStore();
    if (fn) {
      const command = String(context.commandName ?? '').replace(/Command$/, '');
      if (service === 'dynamodb') for (const c of dynamoCalls(command, args.input)) calls.push({ fn, service, ...c });
      else if (service === 'sqs') calls.push({ fn, service, action: command.replace(/Batch$/, ''), queueUrl: String(args.input.QueueUrl ?? args.input.SourceArn ?? '') });
      // HeadObject is authorised by s3:GetObject (there is no s3:HeadObject action).
      // ListObjectsV2 is authorised by s3:ListBucket.
      else calls.push({ fn, service, action: command === 'HeadObject' ? 'GetObject' : command === 'ListObjectsV2' ? 'ListBucket' : command, bucket: String(args.input.Bucket ?? '') });
    }
    return next(args);
  };
  for (const [service, client] of [
    ['dynamodb', clients.dynamo],
    ['sqs', clients.sqs],
    ['s3', clients.s3],
  ] as const) {
    client.middlewareStack.add(middleware(service), { step: 'initialize', name });
  }
  const onSecret = (message: unknown) => {
    const fn = functionIdentity.getStore();
    if (fn) calls.push({ fn, service: 'secret', action: 'read', secret: (message as SecretRead).name });
  };
  subscribe(SECRET_READS, onSecret);
  return {
    calls,
    stop: () => {
      for (const c of [clients.dynamo, clients.sqs, clients.s3]) c.middlewareStack.remove(name);
      unsubscribe(SECRET_READS, onSecret);
    },
  };
};

/** `dynamodb:LeadingKeys` StringLike: `*` any run of characters, `?` one. */
const like = (pattern: string, value: string): boolean =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  ).test(value);

/** Resource names of a platform (its environment) back to the ids the matrix speaks of. */
export interface ResourceNames {
  readonly tables: ReadonlyMap<string, TableId>;
  readonly queues: ReadonlyMap<string, { id: QueueId; dlq: boolean }>;
  readonly buckets: ReadonlyMap<string, BucketId | 'auditSeals'>;
}

export const resourceNames = (env: Readonly<Record<string, string | undefined>>): ResourceNames => ({
  tables: new Map(Object.values(tables).map((t) => [env[t.envVar] ?? '', t.id] as const)),
  queues: new Map<string, { id: QueueId; dlq: boolean }>(
    Object.values(queues).flatMap((q): [string, { id: QueueId; dlq: boolean }][] => [
      [env[q.envVar] ?? '', { id: q.id, dlq: false }],
      [env[q.dlqEnvVar] ?? '', { id: q.id, dlq: true }],
    ]),
  ),
  buckets: new Map<string, BucketId | 'auditSeals'>([...Object.values(buckets).map((b): [string, BucketId] => [env[b.envVar] ?? '', b.id]), [env[auditSealBucket.envVar] ?? '', 'auditSeals']]),
});

const SEND = ['SendMessage', 'GetQueueAttributes', 'GetQueueUrl'];
const DEAD_LETTERS = ['GetQueueAttributes', 'ReceiveMessage', 'DeleteMessage', 'ChangeMessageVisibility', 'StartMessageMoveTask', 'ListMessageMoveTasks'];

/** Why a recorded call would be refused by the caller's role; undefined when its row allows it. */
export const refusal = (call: RecordedCall, row: Access | undefined, names: ResourceNames): string | undefined => {
  if (!row) return 'no row in the access matrix';
  switch (call.service) {
    case 'dynamodb': {
      const table = names.tables.get(call.table);
      if (!table) return `unknown table ${call.table}`;
      const grants = row.tables[table] ?? [];
      const ok = grants.some((g) => {
        if (!g.actions.includes(call.action as never)) return false;
        if (call.index) return !!g.indexes && !g.leadingKeys?.length;
        if (!g.leadingKeys?.length) return true;
        return call.action !== 'Scan' && call.leadingKeys.every((k) => g.leadingKeys!.some((p) => like(p, k)));
      });
      return ok ? undefined : `dynamodb:${call.action} on ${table}${call.index ? `/index/${call.index}` : ''} [${[...new Set(call.leadingKeys.map((k) => k.replace(/#.*/, '#…')))].join(',')}]`;
    }
    case 'sqs': {
      const q = names.queues.get(call.queueUrl);
      if (!q) return `unknown queue ${call.queueUrl}`;
      const grant = row.queues[q.id] ?? {};
      const ok = q.dlq ? !!grant.deadLetters && DEAD_LETTERS.includes(call.action) : !!grant.send && SEND.includes(call.action);
      return ok ? undefined : `sqs:${call.action} on ${q.dlq ? 'dlq' : 'queue'}:${q.id}`;
    }
    case 's3': {
      const b = names.buckets.get(call.bucket);
      if (!b) return `unknown bucket ${call.bucket}`;
      const ok =
        b === 'auditSeals'
          ? (!!row.seals && ['PutObject', 'PutObjectRetention'].includes(call.action)) || (!!row.readSeals && ['GetObject', 'ListBucket'].includes(call.action))
          : (row.buckets[b] ?? []).includes(call.action as never);
      return ok ? undefined : `s3:${call.action} on ${b}`;
    }
    case 'secret': {
      const ok = call.secret === 'citizenHashKey' ? row.hashKey : call.secret === 'callbackSealKey' ? !!row.callbackSealKey : row.integrationSecrets.includes(call.secret);
      return ok ? undefined : `secret ${call.secret}`;
    }
  }
};

/** Every recorded call its function's row would not allow, once per (function, refusal). */
export const violations = (calls: readonly RecordedCall[], matrix: Readonly<Record<string, Access>>, names: ResourceNames): string[] => {
  const out = new Set<string>();
  for (const c of calls) {
    const why = refusal(c, matrix[c.fn as AccessPrincipal], names);
    if (why) out.add(`${c.fn}: ${why}`);
  }
  return [...out].sort();
};

/**
 * What the rows grant that no recorded call used, at the grain of function, resource and action
 * (DynamoDB per table, actions of an index grant counted once; queues, buckets, secrets). Each
 * must have a written reason where the contract test lists them.
 */
export const unusedGrants = (calls: readonly RecordedCall[], matrix: Readonly<Record<string, Access>>, names: ResourceNames): string[] => {
  const used = new Set<string>();
  for (const c of calls) {
    if (c.service === 'dynamodb') used.add(`${c.fn} dynamodb:${c.action} ${names.tables.get(c.table)}`);
    else if (c.service === 'sqs') {
      const q = names.queues.get(c.queueUrl);
      used.add(`${c.fn} sqs:${c.action} ${q?.dlq ? 'dlq' : 'queue'}:${q?.id}`);
    } else if (c.service === 's3') used.add(`${c.fn} s3:${c.action} ${names.buckets.get(c.bucket)}`);
    else used.add(`${c.fn} secret ${c.secret}`);
  }
  const granted: string[] = [];
  for (const [fn, row] of Object.entries(matrix)) {
    for (const [table, grants] of Object.entries(row.tables)) for (const g of grants ?? []) for (const a of g.actions) granted.push(`${fn} dynamodb:${a} ${table}`);
    for (const [q, g] of Object.entries(row.queues)) {
      if (g?.send) granted.push(`${fn} sqs:SendMessage queue:${q}`);
      if (g?.deadLetters) granted.push(`${fn} sqs:ReceiveMessage dlq:${q}`);
    }
    for (const [b, acts] of Object.entries(row.buckets)) for (const a of acts ?? []) granted.push(`${fn} s3:${a} ${b}`);
    if (row.seals) granted.push(`${fn} s3:PutObject auditSeals`);
    if (row.readSeals) granted.push(`${fn} s3:GetObject auditSeals`, `${fn} s3:ListBucket auditSeals`);
    if (row.hashKey) granted.push(`${fn} secret citizenHashKey`);
    if (row.callbackSealKey) granted.push(`${fn} secret callbackSealKey`);
    for (const s of row.integrationSecrets) granted.push(`${fn} secret ${s}`);
  }
  return [...new Set(granted)].filter((g) => !used.has(g)).sort();
};
