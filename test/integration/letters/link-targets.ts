import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Local link targets for the prober and the check: 127.0.0.1 only, plain http (the local
 * runtime's development allowlist). `mended` flips /flaky from 404 to 200.
 */
export interface LinkTargets {
  readonly base: string;
  readonly port: number;
  readonly hits: Map<string, number>;
  mended: boolean;
  close(): Promise<void>;
}

export const startLinkTargets = async (): Promise<LinkTargets> => {
  const hits = new Map<string, number>();
  const state = { mended: false };
  const hanging = new Set<import('node:http').ServerResponse>();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    hits.set(url.pathname, (hits.get(url.pathname) ?? 0) + 1);
    const redirect = (to: string, status = 302) => {
      res.writeHead(status, { location: to });
      res.end();
    };
    switch (true) {
      case url.pathname === '/ok' || url.pathname.startsWith('/ok/'):
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(req.method === 'HEAD' ? undefined : 'ok');
        return;
      case url.pathname === '/missing':
        res.writeHead(404);
        res.end();
        return;
      case url.pathname === '/get-only':
        res.writeHead(req.method === 'HEAD' ? 405 : 200);
        res.end();
        return;
      case url.pathname === '/flaky':
        res.writeHead(state.mended ? 200 : 404);
        res.end();
        return;
      case url.pathname === '/loop':
        return redirect('/loop');
      case url.pathname.startsWith('/chain/'): {
        const n = Number(url.pathname.split('/')[2]);
        return n <= 0 ? redirect('/ok') : redirect(`/chain/${n - 1}`, 301);
      }
      case url.pathname === '/away':
        return redirect('https://not-allowed.example/landing');
      case url.pathname === '/to-metadata':
        return redirect('http://169.254.169.254/latest/meta-data/');
      case url.pathname === '/to-https-ok':
        return redirect('/ok', 307);
      case url.pathname === '/hang':
        hanging.add(res);
        return; // never answers
      default:
        res.writeHead(404);
        res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    base: `http://127.0.0.1:${port}`,
    port,
    hits,
    get mended() {
      return state.mended;
    },
    set mended(v: boolean) {
      state.mended = v;
    },
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
};
