import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { apiRoutes, areas, routeKey, type ApiRoute, type Area } from '../functions/handlers/routes.js';
import type { Route } from '../functions/shared/http.js';

/**
 * The OpenAPI 3.1 document, generated from what validates requests: every route of `apiRoutes`,
 * with the zod schemas its handler declares (`body`, `query`, or `describe` for what a handler
 * parses itself), converted by zod's own `z.toJSONSchema` (JSON Schema 2020-12, which OpenAPI 3.1
 * uses as is). The Lambda serving GET /openapi.json ships the generated file (docs/openapi.json);
 * a test keeps that file equal to this output.
 *
 *   npm run openapi            rewrites docs/openapi.json
 */
const ROOT = join(import.meta.dirname, '..');
export const OPENAPI_FILE = join(ROOT, 'docs/openapi.json');

type Json = Record<string, unknown>;

const jsonSchema = (schema: z.ZodType): Json => {
  // `input`: what a client sends (before defaults and transforms); refinements that JSON Schema
  // cannot say (superRefine) become no constraint rather than an error.
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as Json;
  return rest;
};

const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', pattern: '^[A-Z][A-Z0-9_]*$', description: 'UPPER_SNAKE error code' },
        message: { type: 'string' },
        details: {},
      },
    },
  },
};

const pathParams = (path: string) =>
  [...path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
    name: name!,
    in: 'path',
    required: true,
    schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,128}$' },
  }));

const queryParams = (schema: z.ZodType | undefined) => {
  if (!schema) return [];
  const js = jsonSchema(schema) as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, s]) => ({
    name,
    in: 'query',
    required: (js.required ?? []).includes(name),
    schema: s,
  }));
};

const operationFor = (route: ApiRoute, handler: Route | undefined): Json => {
  const options = handler?.options;
  const body = options?.body ?? options?.describe?.body;
  const content: Json = {};
  if (body) content['application/json'] = { schema: jsonSchema(body) };
  for (const type of options?.textTypes ?? []) content[type] = { schema: { type: 'string' } };
  const roles = options && 'roles' in options ? options.roles : [];
  const key = routeKey(route);
  return {
    operationId: key
      .replace(/[{}]/g, '')
      .replace(/[^A-Za-z0-9]+/g, '_')
      .replace(/_$/, ''),
    summary: key,
    ...(route.public ? { description: route.public } : {}),
    tags: [route.area],
    ...(route.public ? { security: [] } : {}),
    'x-roles': route.public ? ['anyone'] : roles,
    ...(route.localOnly ? { 'x-local-only': true } : {}),
    ...(pathParams(route.path).length + queryParams(options?.query ?? options?.describe?.query).length > 0
      ? { parameters: [...pathParams(route.path), ...queryParams(options?.query ?? options?.describe?.query)] }
      : {}),
    ...(Object.keys(content).length ? { requestBody: { required: !options?.describe?.body && !options?.textTypes, content } } : {}),
    responses: {
      '2XX': {
        description: 'Success (shapes: API.md and docs/api-additions.md)',
        ...(options?.describe?.response ? { content: { 'application/json': { schema: jsonSchema(options.describe.response) } } } : {}),
      },
      default: { description: 'An error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
    },
  };
};

/** Every area's `routes` (the handlers' own registry, keyed "METHOD /path"). */
const loadHandlers = async (): Promise<Map<string, Route>> => {
  const out = new Map<string, Route>();
  // The openapi area serves this document and declares no schemas; importing it would need the file first.
  for (const area of new Set(apiRoutes.map((r) => r.area).filter((a) => a !== 'openapi')) as Set<Area>) {
    const mod = (await import(pathToFileURL(join(ROOT, areas[area])).href)) as { routes?: Record<string, Route> };
    for (const [key, r] of Object.entries(mod.routes ?? {})) out.set(key, r);
  }
  return out;
};

export const buildOpenApi = async (): Promise<Json> => {
  const handlers = await loadHandlers();
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string; description: string };
  const paths: Record<string, Record<string, Json>> = {
    '/health': { get: { operationId: 'GET_health', summary: 'GET /health', tags: ['health'], security: [], 'x-roles': ['anyone'], responses: { '200': { description: '{"ok": true}' } } } },
  };
  for (const route of apiRoutes) {
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operationFor(route, handlers.get(routeKey(route)));
  }
  return {
    openapi: '3.1.0',
    info: { title: 'research-dispatch', version: pkg.version, description: pkg.description },
    servers: [{ url: 'http://127.0.0.1:3000', description: 'local runtime (npm start)' }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: { Error: errorSchema },
    },
  };
};

/** The file's exact text: stable key order, two-space indent, final newline. */
export const openApiText = async (): Promise<string> => `${JSON.stringify(await buildOpenApi(), null, 2)}\n`;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await writeFile(OPENAPI_FILE, await openApiText());
  console.log(`wrote ${OPENAPI_FILE}`);
}
