import { parentPort, workerData } from 'node:worker_threads';
import { startApiServer } from './api-server.js';
import { serveConsole } from './console.js';
import { tokenIssuerOf, type IssuerKeys } from './token-issuer.js';

/**
 * The local API in a thread of its own (local/platform.ts `apiApart`), as deployed it is a Lambda
 * of its own: whatever the dispatch workers and the national fakes do on the main thread, an
 * operator's pause or a status read is answered on this one. Its handlers are loaded here, with
 * their own composition root and clients, configured from the environment the thread was given.
 *
 * Messages: posts `{ url }` once listening (or `{ error }`); on `'stop'` closes the server and
 * posts `'stopped'`.
 */
export interface ApiThreadData {
  readonly port: number;
  readonly issuer: string;
  readonly audience: string;
  readonly keys: IssuerKeys;
  /** Serve the built console under /console/ too. */
  readonly console: boolean;
}

const port = parentPort;
if (!port) throw new Error('local/api-thread.ts runs as a worker thread (local/platform.ts)');
const data = workerData as ApiThreadData;

const main = async () => {
  const issuer = await tokenIssuerOf(data.issuer, data.keys, data.audience);
  const api = await startApiServer({ port: data.port, issuer, ...(data.console ? { extra: serveConsole() } : {}) });
  port.on('message', (m: unknown) => {
    if (m !== 'stop') return;
    void api.close().then(() => port.postMessage('stopped'));
  });
  port.postMessage({ url: api.url });
};

main().catch((e: unknown) => port.postMessage({ error: e instanceof Error ? e.message : String(e) }));
