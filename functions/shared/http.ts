import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { z } from 'zod';
import { DomainError, ForbiddenError, NotFoundError, PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from './errors.js';
import { logger } from './logger.js';
import { authenticate } from './auth.js';
import type { Principal, Role } from './principal.js';
import { secretsMiddleware } from './secrets.js';
import { traceInvocations } from './tracer.js';

export type HttpEvent = APIGatewayProxyEventV2WithJWTAuthorizer;
export type HttpResponse = APIGatewayProxyStructuredResultV2;

/** API Gateway's payload limit; the local server enforces it before the handler runs too. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface HttpRequest<B> {
  readonly principal: Principal;
  readonly body: B;
  readonly params: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string | undefined>>;
  /** Raw text body, for routes that accept text (CSV uploads). */
  readonly text: string;
  /** The body exactly as received (what a signature over the raw body is computed from). */
  readonly raw: Buffer;
  /** Request headers, names in lower case. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly contentType: string;
}

/** A request to a public route (no bearer token): no principal; the route authenticates itself. */
export type PublicRequest<B> = Omit<HttpRequest<B>, 'principal'>;

export interface HttpResult {
  readonly status: number;
  readonly body?: unknown;
  /** Sent as-is instead of JSON (CSV exports); `contentType` then says what it is. */
  readonly text?: string;
  readonly contentType?: string;
}

export interface RouteOptions<S extends z.ZodType | undefined> {
  /** Roles allowed to call the route at all; finer rules (membership, organisation) live in the domain. */
  readonly roles: readonly Role[];
  /** zod schema for a JSON body; omit for action endpoints that take no fields. */
  readonly body?: S;
  /** Also accept these non-JSON content types; the handler reads `text`. */
  readonly textTypes?: readonly string[];
  /** zod schema of the query string (its parameters as strings); a mismatch is 400. */
  readonly query?: z.ZodType;
  /**
   * For the API description only: the body or query a handler parses itself (an optional body,
   * a query it reads by hand). Changes nothing about how the request is handled.
   */
  readonly describe?: { readonly body?: z.ZodType; readonly query?: z.ZodType; readonly response?: z.ZodType };
  /**
   * A national service calling back (ePROM receipts, privacy-component changes): no JWT; the
   * handler authenticates the caller by its API key itself and never reads `principal`.
   */
  readonly callback?: true;
}

export interface PublicRouteOptions<S extends z.ZodType | undefined> extends Omit<RouteOptions<S>, 'roles'> {
  /** Marks the route as reachable without a token (routes.ts says why, the stack skips the authorizer). */
  readonly public: true;
}

export interface Route {
  readonly options: RouteOptions<z.ZodType | undefined> | PublicRouteOptions<z.ZodType | undefined>;
  readonly run: (req: HttpRequest<unknown>) => Promise<HttpResult>;
}

export const route = <S extends z.ZodType | undefined = undefined>(options: RouteOptions<S>, run: (req: HttpRequest<S extends z.ZodType ? z.infer<S> : undefined>) => Promise<HttpResult>): Route => ({
  options,
  run: run as Route['run'],
});

/** A route without a bearer token (see ApiRoute.public): the handler gets no principal. */
export const publicRoute = <S extends z.ZodType | undefined = undefined>(
  options: Omit<PublicRouteOptions<S>, 'public'>,
  run: (req: PublicRequest<S extends z.ZodType ? z.infer<S> : undefined>) => Promise<HttpResult>,
): Route => ({ options: { ...options, public: true }, run: run as Route['run'] });

export const ok = (body: unknown, status = 200): HttpResult => ({ status, body });

const mediaType = (headers: HttpEvent['headers']): string => {
  const raw = headers?.['content-type'] ?? headers?.['Content-Type'] ?? '';
  return raw.split(';')[0]!.trim().toLowerCase();
};

const rawBody = (event: HttpEvent): Buffer => {
  if (event.body === undefined || event.body === null) return Buffer.alloc(0);
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
};

/**
 * Ids are opaque strings made by `newId` (letters, digits, `_`, `-`). A path parameter that could
 * not be one names nothing: 404 before it reaches a key condition (DynamoDB refuses keys above
 * 1–2 KB with an error that would otherwise surface as a 500).
 */
const PATH_ID = /^[A-Za-z0-9_-]{1,128}$/;

const zodDetails = (error: z.ZodError) => error.issues.map((i) => ({ field: i.path.join('.') || '(body)', code: i.code, message: i.message }));

const parseBody = (r: Route, event: HttpEvent, text: string, type: string): unknown => {
  if (Buffer.byteLength(text, 'utf8') > MAX_BODY_BYTES) throw new PayloadTooLargeError();
  const schema = r.options.body;
  if (r.options.textTypes?.includes(type)) return undefined;
  const empty = text.trim() === '';
  if (!schema) {
    // Action endpoints take no fields: an empty body, or an empty JSON object, is fine.
    if (empty) return undefined;
  }
  if (empty && schema) throw new ValidationError('A JSON body is required', [{ field: '(body)', message: 'required' }]);
  if (type !== '' && type !== 'application/json' && !type.endsWith('+json')) {
    throw new UnsupportedMediaTypeError(`Content-Type ${type} is not accepted here`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new DomainError('MALFORMED_JSON', 400, 'The request body is not valid JSON');
  }
  if (!schema) return undefined;
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new ValidationError('The request is not valid', zodDetails(parsed.error));
  return parsed.data;
};

const parseQuery = (r: Route, query: Readonly<Record<string, string | undefined>>): Readonly<Record<string, string | undefined>> => {
  const schema = r.options.query;
  if (!schema) return query;
  const parsed = schema.safeParse(query);
  if (!parsed.success) throw new ValidationError('The query string is not valid', zodDetails(parsed.error));
  return parsed.data as Record<string, string | undefined>;
};

const toResponse = (result: HttpResult): HttpResponse => {
  if (result.text !== undefined) {
    return { statusCode: result.status, headers: { 'content-type': result.contentType ?? 'text/plain; charset=utf-8' }, body: result.text };
  }
  return {
    statusCode: result.status,
    headers: { 'content-type': 'application/json' },
    body: result.body === undefined ? '' : JSON.stringify(result.body),
  };
};

export const errorBody = (code: string, message: string, details?: unknown) => JSON.stringify({ error: details === undefined ? { code, message } : { code, message, details } });

/** Maps errors to the API's error shape once. Only DomainErrors (< 500) expose their message. */
const errorMapper = (): middy.MiddlewareObj<HttpEvent, HttpResponse> => ({
  onError: async (request) => {
    const error = request.error;
    if (error instanceof DomainError) {
      if (error.status >= 500) logger.error('domain error', { code: error.code, error });
      request.response = {
        statusCode: error.status,
        headers: { 'content-type': 'application/json' },
        body: errorBody(error.code, error.message, error.details),
      };
      return;
    }
    logger.error('unhandled error', { routeKey: request.event.routeKey, error });
    request.response = {
      statusCode: 500,
      headers: { 'content-type': 'application/json' },
      body: errorBody('INTERNAL_ERROR', 'Something went wrong on our side; nothing was changed that you were not told about'),
    };
  },
});

/**
 * One Lambda per API area. API Gateway (or the local server) sets routeKey to the matched route,
 * e.g. "POST /projects/{projectId}/submit"; this finds the route, authenticates, parses, runs.
 */
export const httpHandler = (routes: Readonly<Record<string, Route>>) =>
  middy<HttpEvent, HttpResponse, Error, Context>()
    // Lambda context on every log line (function_request_id), keys reset after each invocation.
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(traceInvocations())
    .use(errorMapper())
    .use(secretsMiddleware())
    .handler(async (event) => {
      const r = routes[event.routeKey];
      if (!r) throw new NotFoundError('Route');
      let principal: Principal | undefined;
      if (!('public' in r.options) && !r.options.callback) {
        // From the verified bearer token, never from requestContext claims (see auth.ts).
        principal = await authenticate(event);
        if (!r.options.roles.includes(principal.role)) throw new ForbiddenError(`The ${principal.role} role may not call this endpoint`);
      }
      const params = (event.pathParameters ?? {}) as Record<string, string>;
      if (Object.values(params).some((v) => !PATH_ID.test(v))) throw new NotFoundError('Resource');
      const raw = rawBody(event);
      const text = raw.toString('utf8');
      const type = mediaType(event.headers);
      const body = parseBody(r, event, text, type);
      const query = parseQuery(r, event.queryStringParameters ?? {});
      const headers = Object.fromEntries(Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
      const result = await r.run({
        principal: principal as Principal,
        body,
        params,
        query,
        text,
        raw,
        headers,
        contentType: type,
      });
      return toResponse(result);
    });
