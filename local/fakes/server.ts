import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { logger } from '../../functions/shared/logger.js';

/** A contract fake's HTTP server on a free loopback port. */
export interface FakeServer {
  readonly url: string;
  close(): Promise<void>;
}

export interface FakeRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Record<string, string | undefined>;
  readonly body: Buffer;
}

export interface FakeResponse {
  readonly status: number;
  readonly body?: string | Buffer;
  readonly contentType?: string;
  readonly headers?: Record<string, string>;
}

export const json = (status: number, body: unknown, headers?: Record<string, string>): FakeResponse => ({
  status,
  body: JSON.stringify(body),
  contentType: 'application/json; charset=utf-8',
  ...(headers ? { headers } : {}),
});

/** What a firewall or load balancer in front of a service answers when it is down: HTML, not JSON. */
export const htmlOutage = (): FakeResponse => ({
  status: 503,
  body: '<html><body><h1>503 Service Unavailable</h1></body></html>',
  contentType: 'text/html',
});

const readBody = (req: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });

export const startFakeServer = async (name: string, handle: (req: FakeRequest) => Promise<FakeResponse>): Promise<FakeServer> => {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      try {
        const body = await readBody(req);
        const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v]));
        const out = await handle({ method: (req.method ?? 'GET').toUpperCase(), url: new URL(req.url ?? '/', 'http://127.0.0.1'), headers, body });
        res.writeHead(out.status, { ...(out.contentType ? { 'content-type': out.contentType } : {}), ...out.headers });
        res.end(out.body ?? '');
      } catch (error) {
        logger.error(`${name} fake failed`, { error });
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'fake_error' }));
      }
    })();
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

export const parseJson = (body: Buffer): unknown => {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
};
