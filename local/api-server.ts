import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { apiRoutes, areas, routeKey, type ApiRoute, type Area } from '../functions/handlers/routes.js';
import { runAs } from './aws-call-recorder.js';
import { errorBody, MAX_BODY_BYTES } from '../functions/shared/http.js';
import { claimsSchema, parsePrincipal } from '../functions/shared/principal.js';
import { logger } from '../functions/shared/logger.js';
import type { TokenIssuer } from './token-issuer.js';

type LambdaHandler = (event: APIGatewayProxyEventV2WithJWTAuthorizer, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

/** A request the server answers itself instead of passing to a Lambda handler (static console, …). */
export type ExtraHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;

interface CompiledRoute {
  readonly route: ApiRoute;
  readonly pattern: RegExp;
  readonly names: string[];
}

const compile = (route: ApiRoute): CompiledRoute => {
  const names: string[] = [];
  const source = route.path
    .split('/')
    .map((seg) => {
      const m = /^\{(\w+)\}$/.exec(seg);
      if (!m) return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(m[1]!);
      return '([^/]+)';
    })
    .join('/');
  return { route, pattern: new RegExp(`^${source}$`), names };
};

const ROOT = join(import.meta.dirname, '..');

/** A Lambda context whose remaining time counts down from `timeoutMs` as the deployed one does. */
export const lambdaContext = (name: string, timeoutMs = Number(process.env.LOCAL_API_TIMEOUT_MS ?? '') || 30_000): Context => {
  const started = Date.now();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: `local-${name}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:local-${name}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/local-${name}`,
    logStreamName: 'local',
    // As API Gateway's 30 s; LOCAL_API_TIMEOUT_MS lengthens it for tests that are not about speed.
    getRemainingTimeInMillis: () => Math.max(0, started + timeoutMs - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
};

const send = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) => {
  res.writeHead(status, headers);
  res.end(body);
};

class TooLarge extends Error {}

const readBody = (req: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY_BYTES) return reject(new TooLarge());
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners('data');
        req.resume();
        reject(new TooLarge());
      } else parts.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });

const TEXTUAL = /^(text\/|application\/(json|.*\+json|x-www-form-urlencoded|xml))/;

export interface ApiServerOptions {
  readonly port: number;
  readonly issuer: TokenIssuer;
  readonly extra?: ExtraHandler;
}

/**
 * Turns HTTP requests into API Gateway v2 (payload 2.0) events for the same handler modules the
 * Lambdas export, after verifying the bearer token as the JWT authorizer would.
 */
export const startApiServer = async (opts: ApiServerOptions): Promise<{ server: Server; url: string; close(): Promise<void> }> => {
  const compiled = apiRoutes.map(compile);
  const handlers = new Map<Area, Promise<LambdaHandler>>();
  const handlerFor = (area: Area) => {
    let h = handlers.get(area);
    if (!h) {
      h = import(pathToFileURL(join(ROOT, areas[area])).href).then((m: { handler: LambdaHandler }) => m.handler);
      handlers.set(area, h);
    }
    return h;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    if (method === 'GET' && url.pathname === '/health') return send(res, 200, JSON.stringify({ ok: true }));
    if (opts.extra && (await opts.extra(req, res, url))) return;

    let body: Buffer;
    try {
      body = await readBody(req);
    } catch (e) {
      if (e instanceof TooLarge) return send(res, 413, errorBody('PAYLOAD_TOO_LARGE', 'The request body is larger than 10 MB; use a presigned upload'));
      throw e;
    }

    if (method === 'POST' && url.pathname === '/dev/token') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch {
        return send(res, 400, errorBody('MALFORMED_JSON', 'The request body is not valid JSON'));
      }
      const claims = claimsSchema.safeParse(parsed);
      if (!claims.success || !parsePrincipal(claims.data)) {
        return send(
          res,
          400,
          errorBody(
            'VALIDATION_FAILED',
            'sub and role are required; staff roles other than operations need org',
            claims.success ? undefined : claims.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })),
          ),
        );
      }
      return send(res, 200, JSON.stringify({ token: await opts.issuer.sign(claims.data) }));
    }

    let match: { route: ApiRoute; params: Record<string, string> } | undefined;
    for (const c of compiled) {
      if (c.route.method !== method) continue;
      const m = c.pattern.exec(url.pathname);
      if (!m) continue;
      try {
        match = { route: c.route, params: Object.fromEntries(c.names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)])) };
      } catch {
        return send(res, 400, errorBody('VALIDATION_FAILED', 'The path is not validly encoded'));
      }
      break;
    }
    if (!match) return send(res, 404, errorBody('NOT_FOUND', 'No such endpoint'));

    // A public route has no authorizer when deployed: whatever token comes along is ignored there,
    // so it is ignored here too and the handler sees no claims.
    let claims: Record<string, unknown> = {};
    if (!match.route.public) {
      const authz = req.headers.authorization ?? '';
      const token = /^Bearer\s+(\S+)$/i.exec(authz)?.[1];
      try {
        if (!token) throw new Error('missing');
        claims = await opts.issuer.verify(token);
      } catch {
        return send(res, 401, errorBody('UNAUTHENTICATED', 'A valid bearer token is required'));
      }
    }

    const contentType = req.headers['content-type'] ?? '';
    const textual = body.length === 0 || contentType === '' || TEXTUAL.test(contentType);
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]));
    const key = routeKey(match.route);
    const event: APIGatewayProxyEventV2WithJWTAuthorizer = {
      version: '2.0',
      routeKey: key,
      rawPath: url.pathname,
      rawQueryString: url.search.slice(1),
      headers,
      queryStringParameters: url.search ? Object.fromEntries(url.searchParams) : undefined,
      pathParameters: Object.keys(match.params).length ? match.params : undefined,
      body: body.length ? (textual ? body.toString('utf8') : body.toString('base64')) : undefined,
      isBase64Encoded: !textual,
      requestContext: {
        accountId: '000000000000',
        apiId: 'local',
        authorizer: { principalId: '', integrationLatency: 0, jwt: { claims: claims as Record<string, string>, scopes: [] } },
        domainName: '127.0.0.1',
        domainPrefix: 'local',
        http: { method, path: url.pathname, protocol: 'HTTP/1.1', sourceIp: req.socket.remoteAddress ?? '', userAgent: req.headers['user-agent'] ?? '' },
        requestId: randomUUID(),
        routeKey: key,
        stage: '$default',
        time: new Date().toISOString(),
        timeEpoch: Date.now(),
      },
    };
    const handler = await handlerFor(match.route.area);
    // Run as the area's Lambda would (the IAM contract test records calls by this identity).
    const result = await runAs(match.route.area, () => handler(event, lambdaContext(match.route.area)));
    const resultHeaders = Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k, String(v)]));
    send(res, result.statusCode ?? 200, result.body ?? '', resultHeaders);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      logger.error('local server error', { error });
      if (!res.headersSent) send(res, 500, errorBody('INTERNAL_ERROR', 'Something went wrong on our side'));
      else res.end();
    });
  });
  // Idle keep-alive connections: the server must hold them open longer than any client will reuse
  // them. Node's default (5 s) let fetch (undici) race it: undici reuses an idle socket for the
  // server's advertised `Keep-Alive: timeout=5` minus 2 s, but checks that with coarse timers, and a
  // test process whose event loop is busy for seconds (building a 100,000-row CSV on a loaded
  // machine) can send the next request on a socket the server's 5 s timer is closing that very
  // moment: ECONNRESET (nodejs/undici#3141). At 65 s (the figure AWS load balancers use) the client
  // drops the idle socket itself after ~63 s, and no request waits anywhere near that long between
  // calls. headersTimeout must exceed keepAliveTimeout, or Node ends a slow header at the old bound.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
