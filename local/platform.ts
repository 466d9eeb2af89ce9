import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { queueConsumers } from '../functions/handlers/routes.js';
import { queues, type QueueId } from '../lib/resources.js';
import { startApiServer, type ExtraHandler } from './api-server.js';
import { startPoller, type Poller, type SqsHandler } from './poller.js';
import { runAs } from './aws-call-recorder.js';
import { provision } from './provision.js';
import { authEnv, createTokenIssuer, type IssuerKeys, type TokenIssuer } from './token-issuer.js';
import type { ApiThreadData } from './api-thread.js';
import { startThread } from './threads.js';
import type { ConsoleOptions } from './console.js';
import { operationsSigningKey, type OperationsKey } from '../ops/operation-token.js';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startFakes, type Fakes } from './fakes/index.js';

export const LOCAL_ISSUER = 'https://research-dispatch.local/';
const REGION = 'eu-north-1';
const ROOT = join(import.meta.dirname, '..');

export interface PlatformOptions {
  readonly dynamoEndpoint: string;
  readonly awsEndpoint: string;
  /** Prefix of every table, queue and bucket name: "dev" for npm start, random per test file. */
  readonly namespace: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Where the signing key, the citizen-hash key and the callback seal key persist; in-memory keys when absent. */
  readonly stateDir?: string;
  /** Start the queue pollers (tests of the API alone may leave them off). */
  readonly pollers?: boolean;
  readonly extra?: ExtraHandler;
  /**
   * The API in a thread of its own (npm start, the benches): answered at once whatever the
   * workers and fakes on this thread are doing, as the deployed API is a Lambda of its own. Its
   * handlers are then other module instances than the workers' (tests that inject into handlers,
   * or record their AWS calls, leave it off). `console`: serve the built console there too, from
   * where these options say (a function such as `extra` cannot cross threads).
   */
  readonly apiApart?: { readonly console?: ConsoleOptions };
  /** Extra environment for the handlers (fault injection, settings). */
  readonly env?: Record<string, string>;
  /** Shorter visibility timeouts for crash-recovery tests (seconds, per queue). */
  readonly visibilityOverride?: Partial<Record<QueueId, number>>;
}

export interface Platform {
  readonly url: string;
  readonly issuer: TokenIssuer;
  /** The operations signing key of this runtime (persisted in stateDir): what ops:halt signs with locally. */
  readonly opsKey: OperationsKey;
  readonly env: Readonly<Record<string, string>>;
  readonly pollers: ReadonlyMap<QueueId, Poller>;
  readonly sqs: SQSClient;
  readonly dynamo: DynamoDBClient;
  readonly s3: S3Client;
  /** The contract fakes of the national services (Maskinporten, KRR, Folkeregisteret, ePROM, Digipost, privacy component). */
  readonly fakes: Fakes;
  /** Stops the API server and pollers (not the emulators, which the caller owns). */
  stop(): Promise<void>;
}

const persistentSecret = async (stateDir: string | undefined, name: string): Promise<string> => {
  if (!stateDir) return randomBytes(32).toString('base64url');
  const file = join(stateDir, name);
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const secret = randomBytes(32).toString('base64url');
  await writeFile(file, secret, { mode: 0o600 });
  return secret;
};

const SCHEDULER_TICK_MS = 1_000;
const SEALER_TICK_MS = 10_000;

/** The API server on a thread of its own (local/api-thread.ts), with the issuer's keys. */
const startApiThread = async (port: number, issuer: TokenIssuer & { readonly keys: IssuerKeys }, console: ConsoleOptions | undefined): Promise<{ url: string; close(): Promise<void> }> => {
  const data: ApiThreadData = { port, issuer: issuer.issuer, audience: issuer.audience, keys: issuer.keys, ...(console ? { console } : {}) };
  const thread = await startThread<string>(new URL('./api-thread.ts', import.meta.url), data);
  return { url: thread.ready, close: () => thread.stop() };
};

/**
 * The whole platform in this process (the API, with `apiApart`, in a thread of its own), on
 * emulators the caller started: resources provisioned from the shared definitions, the handlers
 * configured through the same environment variables the CDK stack sets on the Lambdas, the API
 * server in front, and a poller per queue consumer.
 */
export const startPlatform = async (opts: PlatformOptions): Promise<Platform> => {
  let schedulerTimer: ReturnType<typeof setTimeout> | undefined;
  let sealerTimer: ReturnType<typeof setTimeout> | undefined;
  let schedulerStopped = false;
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  const dynamo = new DynamoDBClient({ region: REGION, endpoint: opts.dynamoEndpoint, credentials });
  const sqs = new SQSClient({ region: REGION, endpoint: opts.awsEndpoint, credentials });
  const s3 = new S3Client({ region: REGION, endpoint: opts.awsEndpoint, forcePathStyle: true, credentials });

  const resourceEnv = await provision(opts.namespace, { dynamo, sqs, s3 }, opts.visibilityOverride);
  // The national services' fakes, on loopback ports; the real adapters are pointed at them.
  const fakes = await startFakes(DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } }), resourceEnv.TABLE_CITIZENS!);
  const issuer = await createTokenIssuer(LOCAL_ISSUER, opts.stateDir ? join(opts.stateDir, 'signing-key.json') : undefined);
  const opsKey = await operationsSigningKey(opts.stateDir);
  const env: Record<string, string> = {
    ...resourceEnv,
    ...authEnv(issuer),
    OPS_PUBLIC_JWK: JSON.stringify(opsKey.publicJwk),
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    DYNAMODB_ENDPOINT: opts.dynamoEndpoint,
    AWS_ENDPOINT: opts.awsEndpoint,
    RD_LOCAL: 'true',
    CITIZEN_HASH_KEY: await persistentSecret(opts.stateDir, 'citizen-hash.key'),
    // Seals external form tasks' callback secrets (deployed: the CallbackSealKey secret).
    CALLBACK_SEAL_KEY: await persistentSecret(opts.stateDir, 'callback-seal.key'),
    POWERTOOLS_SERVICE_NAME: 'research-dispatch-local',
    ...fakes.env,
    ...opts.env,
  };
  Object.assign(process.env, env);
  const composition = (await import(pathToFileURL(join(ROOT, 'functions/adapters/index.ts')).href)) as typeof import('../functions/adapters/index.js');
  composition.resetAdapters();
  // The citizens' own records an older version wrote under `CIT#` move to `OWN#` (on a deployed
  // stage: npm run ops:move-own-records); on a fresh table this only marks the move done.
  const clients = (await import(pathToFileURL(join(ROOT, 'functions/shared/clients.ts')).href)) as typeof import('../functions/shared/clients.js');
  const ownRecords = (await import(pathToFileURL(join(ROOT, 'functions/adapters/dynamo/own-records-move.ts')).href)) as typeof import('../functions/adapters/dynamo/own-records-move.js');
  await ownRecords.moveOwnRecords(clients.dynamo(), env.TABLE_CITIZENS!, { unlessDone: true });

  const api = opts.apiApart ? await startApiThread(opts.port, issuer, opts.apiApart.console) : await startApiServer({ port: opts.port, issuer, extra: opts.extra });
  fakes.setCallbackTarget(api.url);

  const pollers = new Map<QueueId, Poller>();
  if (opts.pollers !== false) {
    for (const [id, file] of Object.entries(queueConsumers) as [QueueId, string][]) {
      const def = queues[id];
      const queueUrl = env[def.envVar]!;
      const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn ?? '';
      const mod = (await import(pathToFileURL(join(ROOT, file)).href)) as { handler: SqsHandler };
      pollers.set(id, startPoller({ name: id, sqs, queueUrl, queueArn: arn, handler: mod.handler, batchSize: def.consumer.batchSize, maxConcurrency: def.consumer.maxConcurrency }));
    }
  }

  if (opts.pollers !== false) {
    // The queue emulator keeps messages in memory: after a restart, DynamoDB (the source of
    // truth) tells which rounds still have work, and it goes back on the queue.
    const { adapters } = (await import(pathToFileURL(join(ROOT, 'functions/adapters/index.ts')).href)) as typeof import('../functions/adapters/index.js');
    const { recoverActiveRounds } = (await import(pathToFileURL(join(ROOT, 'functions/domain/dispatch/operations.ts')).href)) as typeof import('../functions/domain/dispatch/operations.js');
    await recoverActiveRounds(adapters().operations);
    // Scheduled releases: what EventBridge does once a minute when deployed, every second here.
    const scheduler = (await import(pathToFileURL(join(ROOT, 'functions/handlers/release-scheduler/index.ts')).href)) as typeof import('../functions/handlers/release-scheduler/index.js');
    const tick = async () => {
      try {
        await runAs('releaseScheduler', () => scheduler.handler());
      } catch {
        // Logged by the use case's callers; the next tick tries again.
      }
      // tick catches everything it can throw, so the promise it returns never rejects.
      if (!schedulerStopped) schedulerTimer = setTimeout(() => void tick(), SCHEDULER_TICK_MS);
    };
    schedulerTimer = setTimeout(() => void tick(), SCHEDULER_TICK_MS);
    // The audit seal: what EventBridge does every 15 minutes when deployed, every 10 seconds here.
    const sealer = (await import(pathToFileURL(join(ROOT, 'functions/handlers/audit-sealer/index.ts')).href)) as typeof import('../functions/handlers/audit-sealer/index.js');
    const seal = async () => {
      try {
        await runAs('auditSealer', () => sealer.handler());
      } catch {
        // The mark stays where it was: the next run seals what this one did not.
      }
      if (!schedulerStopped) sealerTimer = setTimeout(() => void seal(), SEALER_TICK_MS);
    };
    sealerTimer = setTimeout(() => void seal(), SEALER_TICK_MS);
  }

  return {
    url: api.url,
    issuer,
    opsKey,
    env,
    pollers,
    sqs,
    dynamo,
    s3,
    fakes,
    stop: async () => {
      schedulerStopped = true;
      clearTimeout(schedulerTimer);
      clearTimeout(sealerTimer);
      await Promise.allSettled([...pollers.values()].map((p) => p.stop()));
      await api.close();
      await fakes.close();
    },
  };
};
