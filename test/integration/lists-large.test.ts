import { afterAll, beforeAll, expect, it } from 'vitest';
import { adapters } from '../../functions/adapters/index.js';
import { syntheticNins } from '../../functions/domain/lists/nin-generator.js';
import { startTestPlatform, type TestPlatform } from '../setup/platform.js';

/**
 * A list above the old 500,000-row cap and above the local S3's former 11 MiB body limit, the way
 * API.md says large lists arrive: PUT to the presigned upload URL, then POST {objectKey}.
 * (bench/list-upload-1m.ts does the full 1,000,000 rows.)
 */
const ORG = 'org-lists-large';
const researcher = { sub: 'res-large-1', role: 'researcher' as const, org: ORG };

let p: TestPlatform;
let projectId: string;

beforeAll(async () => {
  p = await startTestPlatform({ pollers: false });
  projectId = (await p.as(researcher).post('/projects', { title: 'Large lists', organization: ORG })).body.projectId;
});
afterAll(async () => p?.stop());

it('accepts 520,000 rows (15 MB) through the upload URL, with row errors by row number and never an ID', { timeout: 120_000 }, async () => {
  const ROWS = 520_000; let t = performance.now(); const lap = (w: string) => { console.error(w, Math.round(performance.now() - t)); t = performance.now(); };
  const ids = syntheticNins(ROWS - 1, 3_000_000);
  const badRow = 510_000;
  const bad = ids[badRow - 1]!.slice(0, 10) + String((Number(ids[badRow - 1]![10]) + 1) % 10);
  const lines = ids.map((n, i) => `${i === badRow - 1 ? bad : n};${['nb', 'nn', 'en'][i % 3]};Person ${i + 1}`);
  lines.push(`${ids[0]};nb;Again`); // row 520,000 repeats row 1
  const csv = `\uFEFFnin;language;name\r\n${lines.join('\r\n')}\r\n`;
  lap('gen');
  expect(Buffer.byteLength(csv)).toBeGreaterThan(11 * 1024 * 1024);

  const url = await p.as(researcher).post(`/projects/${projectId}/recipient-lists/upload-url`);
  expect(url.status).toBe(201);
  const put = await fetch(url.body.uploadUrl, { method: 'PUT', body: csv, headers: { 'content-type': 'text/csv' } });
  expect(put.status).toBe(200);

  lap('put');
  const res = await p.as(researcher).post(`/projects/${projectId}/recipient-lists`, { objectKey: url.body.objectKey });
  lap('post');
  expect(res.status).toBe(201);
  expect(res.body).toMatchObject({ rows: ROWS, accepted: ROWS - 2, duplicatesInList: 1 });
  expect(res.body.rejected).toEqual([{ row: badRow, line: badRow + 1, code: 'INVALID_NIN', message: expect.any(String) }]);
  expect(res.text).not.toContain(bad);
  expect(res.text).not.toContain(ids[0]);

  const meta = await p.as(researcher).get(`/projects/${projectId}/recipient-lists/${res.body.listId}`);
  expect(meta.body).toMatchObject({ rows: ROWS, accepted: ROWS - 2, columns: ['name'] });
  // The last accepted recipients, in upload order (the bad row is skipped, so positions shift by one after it).
  const tail = await adapters().lists.slice(res.body.listId, ROWS - 4, ROWS - 2);
  lap('slice');
  expect(tail).toEqual([
    { nin: ids[ROWS - 3], language: ['nb', 'nn', 'en'][(ROWS - 3) % 3], fields: { name: `Person ${ROWS - 2}` } },
    { nin: ids[ROWS - 2], language: ['nb', 'nn', 'en'][(ROWS - 2) % 3], fields: { name: `Person ${ROWS - 1}` } },
  ]);
});
