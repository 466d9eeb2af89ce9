import { createReadStream, existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { ExtraHandler } from './api-server.js';

/** Where `npm run build:console` writes the console. */
export const CONSOLE_DIST = join(import.meta.dirname, '..', 'console', 'dist');

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

// The console only talks to its own origin and never runs inline script or lets itself be framed.
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'",
};

export interface ConsoleOptions {
  /** The built console (default console/dist). */
  readonly dir?: string;
  /** URL path it is served under, with both slashes (default /console/). */
  readonly base?: string;
}

const plain = (res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff', ...extra });
  res.end(text);
};

/** The file a request path names inside `root`, or undefined if it would leave it. */
export const resolveInside = (root: string, requestPath: string): string | undefined => {
  let decoded: string;
  try {
    decoded = decodeURIComponent(requestPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const target = resolve(root, `.${sep}${decoded}`);
  const rel = relative(root, target);
  if (rel.startsWith('..') || isAbsolute(rel)) return undefined;
  return target;
};

/**
 * Serves the built console as static files under `/console/` and sends `/` there. Answers only
 * GET and HEAD on those paths; everything else falls through to the API.
 */
export const serveConsole = (opts: ConsoleOptions = {}): ExtraHandler => {
  const root = resolve(opts.dir ?? CONSOLE_DIST);
  const base = opts.base ?? '/console/';
  const bare = base.replace(/\/$/, '');

  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    const method = (req.method ?? 'GET').toUpperCase();
    if (method !== 'GET' && method !== 'HEAD') return false;
    if (url.pathname === '/' || url.pathname === bare) {
      res.writeHead(302, { location: base });
      res.end();
      return true;
    }
    if (!url.pathname.startsWith(base)) return false;

    if (!existsSync(join(root, 'index.html'))) {
      plain(res, 503, 'The console is not built: run `npm run build:console`.\n');
      return true;
    }
    const rest = url.pathname.slice(base.length) || 'index.html';
    let file = resolveInside(root, rest);
    if (!file) {
      plain(res, 400, 'Bad path\n');
      return true;
    }
    let info = await stat(file).catch(() => undefined);
    if (info?.isDirectory()) {
      file = join(file, 'index.html');
      info = await stat(file).catch(() => undefined);
    }
    if (!info?.isFile()) {
      // The console routes with the URL hash, so a miss is a real 404, except for extensionless
      // paths someone typed, which get the app.
      if (extname(rest) !== '') {
        plain(res, 404, 'Not found\n');
        return true;
      }
      file = join(root, 'index.html');
      info = await stat(file);
    }
    const type = CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
    const hashed = relative(root, file).startsWith(`assets${sep}`);
    res.writeHead(200, {
      'content-type': type,
      'content-length': String(info.size),
      'cache-control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
      ...SECURITY_HEADERS,
    });
    if (method === 'HEAD') {
      res.end();
      return true;
    }
    await new Promise<void>((done) => {
      const stream = createReadStream(file);
      stream.on('error', () => {
        res.destroy();
        done();
      });
      stream.on('end', done);
      stream.pipe(res);
    });
    return true;
  };
};
