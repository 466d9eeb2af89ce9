import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveInside, serveConsole } from '../../../local/console.js';

let root: string;
let server: Server;
let base: string;

// Raw paths (fetch would normalise "..", which is exactly what must be tried here).
const get = (path: string, method = 'GET') =>
  new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { method, path }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'console-'));
  await mkdir(join(root, 'dist', 'assets'), { recursive: true });
  await writeFile(join(root, 'dist', 'index.html'), '<!doctype html><title>x</title>');
  await writeFile(join(root, 'dist', 'assets', 'app-1.js'), 'console.log(1)');
  await writeFile(join(root, 'dist', 'assets', 'app-1.css'), 'body{}');
  await writeFile(join(root, 'secret.txt'), 'outside the console');
  const handler = serveConsole({ dir: join(root, 'dist') });
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    void handler(req, res, url).then((handled) => {
      if (!handled) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end('{"api":true}');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await rm(root, { recursive: true, force: true });
});

describe('serveConsole', () => {
  it('sends / to the console', async () => {
    const res = await get('/');
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('/console/');
  });

  it('serves index.html and assets with their content types and a CSP', async () => {
    const index = await get('/console/');
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.headers['content-security-policy']).toContain("script-src 'self'");
    expect(index.headers['cache-control']).toBe('no-cache');
    const js = await get('/console/assets/app-1.js');
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toContain('immutable');
    expect((await get('/console/assets/app-1.css')).headers['content-type']).toBe('text/css; charset=utf-8');
  });

  it('answers HEAD without a body', async () => {
    const res = await get('/console/index.html', 'HEAD');
    expect(res.status).toBe(200);
    expect(res.body).toBe('');
  });

  it('never serves a file outside the console directory', async () => {
    for (const path of ['/console/../secret.txt', '/console/%2e%2e/secret.txt', '/console/..%2fsecret.txt', '/console/..%5csecret.txt', '/console/%00']) {
      const res = await get(path);
      expect(res.body, path).not.toContain('outside the console');
    }
    expect(resolveInside('/srv/dist', '../secret.txt')).toBeUndefined();
    expect(resolveInside('/srv/dist', '%2e%2e/%2e%2e/etc/passwd')).toBeUndefined();
    expect(resolveInside('/srv/dist', 'assets/a.js')).toBe('/srv/dist/assets/a.js');
  });

  it('gives 404 for a missing asset and leaves API paths and other methods to the API', async () => {
    expect((await get('/console/assets/nope.js')).status).toBe(404);
    expect((await get('/projects')).body).toBe('{"api":true}');
    expect((await get('/', 'POST')).body).toBe('{"api":true}');
  });
});
