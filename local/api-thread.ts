import { startApiServer } from './api-server.js';
import { serveConsole, type ConsoleOptions } from './console.js';
import { runThread } from './threads.js';
import { tokenIssuerOf, type IssuerKeys } from './token-issuer.js';

/**
 * The local API in a thread of its own (local/platform.ts `apiApart`), as deployed it is a Lambda
 * of its own: whatever the dispatch workers and the national fakes do on the main thread, an
 * operator's pause or a status read is answered on this one. Its handlers are loaded here, with
 * their own composition root and clients, configured from the environment the thread was given.
 */
export interface ApiThreadData {
  readonly port: number;
  readonly issuer: string;
  readonly audience: string;
  readonly keys: IssuerKeys;
  /** Serve the built console too, from where these say. */
  readonly console?: ConsoleOptions;
}

runThread<ApiThreadData, string>(async (data) => {
  const issuer = await tokenIssuerOf(data.issuer, data.keys, data.audience);
  const api = await startApiServer({ port: data.port, issuer, ...(data.console ? { extra: serveConsole(data.console) } : {}) });
  return { ready: api.url, stop: () => api.close() };
});
