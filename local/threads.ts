import { parentPort, Worker, workerData } from 'node:worker_threads';

/**
 * A part of the local runtime on a thread of its own (the API, the SQS/S3 emulator): answered
 * whatever the dispatch workers and the national-service fakes keep busy on the main thread, as
 * the deployed services are apart from each other. The thread gets a copy of process.env as it is
 * when started, and loads TypeScript through tsx (npm start and the benches run under it already;
 * a test runner may not).
 *
 * Protocol: the thread posts `{ ready: T }` once serving (or `{ error }`); on `'stop'` it stops
 * serving and posts `'stopped'`; then it is terminated.
 */
export interface ThreadHandle<T> {
  readonly ready: T;
  stop(): Promise<void>;
}

export const startThread = async <T>(file: URL, data: unknown): Promise<ThreadHandle<T>> => {
  const tsx = process.execArgv.some((a) => a.includes('tsx'));
  const worker = new Worker(file, { workerData: data, ...(tsx ? {} : { execArgv: [...process.execArgv, '--import', 'tsx'] }) });
  const ready = await new Promise<T>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`${file.pathname} exited (${code}) before it was ready`)));
    worker.once('message', (m: { ready?: T; error?: string }) => (m.ready !== undefined ? resolve(m.ready) : reject(new Error(`${file.pathname} could not start: ${m.error ?? 'no reason'}`))));
  });
  worker.removeAllListeners('exit');
  worker.removeAllListeners('error');
  worker.on('error', (error) => process.stderr.write(`${file.pathname} failed: ${error.message}\n`));
  return {
    ready,
    stop: async () => {
      await new Promise<void>((resolve) => {
        worker.once('message', () => resolve());
        worker.once('exit', () => resolve());
        worker.postMessage('stop');
      });
      await worker.terminate();
    },
  };
};

/** Inside such a thread: its data, and `serve` starts what it runs and returns what the parent gets plus how to stop it. */
export const runThread = <D, T>(serve: (data: D) => Promise<{ ready: T; stop(): Promise<void> }>): void => {
  const port = parentPort;
  if (!port) throw new Error('this module runs as a worker thread (local/threads.ts startThread)');
  serve(workerData as D).then(
    (served) => {
      port.on('message', (m: unknown) => {
        if (m === 'stop') void served.stop().then(() => port.postMessage('stopped'));
      });
      port.postMessage({ ready: served.ready });
    },
    (e: unknown) => port.postMessage({ error: e instanceof Error ? e.message : String(e) }),
  );
};
