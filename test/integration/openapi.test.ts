import { readFile } from 'node:fs/promises';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRoutes, routeKey } from '../../functions/handlers/routes.js';
import { OPENAPI_FILE, buildOpenApi, openApiText } from '../../local/openapi.js';
import { request, startTestPlatform, type TestPlatform } from '../setup/platform.js';

let p: TestPlatform;
beforeAll(async () => {
  p = await startTestPlatform({ pollers: false });
});
afterAll(async () => {
  await p?.stop();
});

type Doc = { paths: Record<string, Record<string, { security?: unknown[]; requestBody?: { content: Record<string, { schema: unknown }> }; parameters?: { name: string; in: string }[] }>> };

describe('the OpenAPI document', () => {
  it('is shipped as generated: docs/openapi.json equals `npm run openapi` output (run it after changing a schema)', async () => {
    expect(await readFile(OPENAPI_FILE, 'utf8')).toBe(await openApiText());
  });

  it('validates against the OpenAPI 3.1 schema', async () => {
    const validator = new Validator();
    const res = await validator.validate(await buildOpenApi());
    expect(res.errors ?? []).toEqual([]);
    expect(res.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    // The validator is live: a broken document fails.
    const broken = await new Validator().validate({ openapi: '3.1.0', info: { title: 'x' }, paths: { '/a': { get: { responses: 'nope' } } } });
    expect(broken.valid).toBe(false);
  });

  it('has every route of apiRoutes, its path parameters, and the request schemas the handlers validate with', async () => {
    const doc = (await buildOpenApi()) as Doc;
    for (const route of apiRoutes) {
      const op = doc.paths[route.path]?.[route.method.toLowerCase()];
      expect(op, routeKey(route)).toBeDefined();
      const names = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      expect(op!.parameters?.filter((x) => x.in === 'path').map((x) => x.name) ?? [], routeKey(route)).toEqual(names);
      expect(op!.security, routeKey(route)).toEqual(route.public ? [] : undefined);
    }
    const createProject = doc.paths['/projects']!.post!.requestBody!.content['application/json']!.schema as { required: string[] };
    expect(createProject.required).toEqual(expect.arrayContaining(['title', 'organization']));
    expect(Object.keys(doc.paths['/projects/{projectId}/recipient-lists']!.post!.requestBody!.content).sort()).toEqual(['application/json', 'text/csv']);
    expect(doc.paths['/operations/statistics']!.get!.parameters!.filter((x) => x.in === 'query').map((x) => x.name)).toEqual(['from', 'to']);
    const callback = doc.paths['/form-callbacks/{formTaskId}']!.post!.requestBody!.content['application/json']!.schema as { properties: Record<string, unknown> };
    expect(Object.keys(callback.properties).sort()).toEqual(['at', 'status', 'token']);
  });

  it('is served at GET /openapi.json without a token, as shipped', async () => {
    const res = await request(`${p.url}/openapi.json`, { method: 'GET' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(res.body).toEqual(JSON.parse(await readFile(OPENAPI_FILE, 'utf8')));
  });
});
