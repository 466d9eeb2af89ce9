import { afterAll, beforeAll, expect, it } from 'vitest';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { rawAdapters } from '../../functions/adapters/index.js';
import { DynamoRecipientListRepository } from '../../functions/adapters/dynamo/recipient-list-repository.js';
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
  const ROWS = 520_000;
  const ids = syntheticNins(ROWS - 1, 3_000_000);
  const badRow = 510_000;
  const bad = ids[badRow - 1]!.slice(0, 10) + String((Number(ids[badRow - 1]![10]) + 1) % 10);
  const lines = ids.map((n, i) => `${i === badRow - 1 ? bad : n};${['nb', 'nn', 'en'][i % 3]};Person ${i + 1}`);
  lines.push(`${ids[0]};nb;Again`); // row 520,000 repeats row 1
  const csv = `\uFEFFnin;language;name\r\n${lines.join('\r\n')}\r\n`;
  expect(Buffer.byteLength(csv)).toBeGreaterThan(11 * 1024 * 1024);

  const url = await p.as(researcher).post(`/projects/${projectId}/recipient-lists/upload-url`);
  expect(url.status).toBe(201);
  const put = await fetch(url.body.uploadUrl, { method: 'PUT', body: csv, headers: { 'content-type': 'text/csv' } });
  expect(put.status).toBe(200);

  const res = await p.as(researcher).post(`/projects/${projectId}/recipient-lists`, { objectKey: url.body.objectKey });
  expect(res.status).toBe(201);
  expect(res.body).toMatchObject({ rows: ROWS, accepted: ROWS - 2, duplicatesInList: 1 });
  expect(res.body.rejected).toEqual([{ row: badRow, line: badRow + 1, code: 'INVALID_NIN', message: expect.any(String) }]);
  expect(res.text).not.toContain(bad);
  expect(res.text).not.toContain(ids[0]);

  const meta = await p.as(researcher).get(`/projects/${projectId}/recipient-lists/${res.body.listId}`);
  expect(meta.body).toMatchObject({ rows: ROWS, accepted: ROWS - 2, columns: ['name'] });
  // The last accepted recipients, in upload order (the bad row is skipped, so positions shift by one after it).
  const tail = await rawAdapters().lists.slice(res.body.listId, ROWS - 4, ROWS - 2);
  expect(tail).toEqual([
    { nin: ids[ROWS - 3], language: ['nb', 'nn', 'en'][(ROWS - 3) % 3], fields: { name: `Person ${ROWS - 2}` } },
    { nin: ids[ROWS - 2], language: ['nb', 'nn', 'en'][(ROWS - 2) % 3], fields: { name: `Person ${ROWS - 1}` } },
  ]);
});

/** The recipients-table items a client's reads return (GetItem, Query, BatchGet), counted as they come back. */
const countingClient = () => {
  const doc = DynamoDBDocumentClient.from(p.dynamo, { marshallOptions: { removeUndefinedValues: true } });
  const read = { items: 0, calls: 0 };
  const send = async (command: unknown) => {
    const out = (await doc.send(command as never)) as { Item?: unknown; Items?: unknown[]; Responses?: Record<string, unknown[]> };
    const n = (out.Item ? 1 : 0) + (out.Items?.length ?? 0) + Object.values(out.Responses ?? {}).reduce((s, r) => s + r.length, 0);
    if (n > 0 || out.Items || out.Responses) read.calls++;
    read.items += n;
    return out;
  };
  return { db: Object.assign(Object.create(doc), { send }) as DynamoDBDocumentClient, read };
};

it('reads a range of rows from the chunks that hold it, never the whole list', async () => {
  const ROWS = 30_000;
  const ids = syntheticNins(ROWS, 4_000_000);
  const res = await p.as(researcher).post(`/projects/${projectId}/recipient-lists`, `nin;name\n${ids.map((n, i) => `${n};P${i}`).join('\n')}\n`, 'text/csv');
  expect(res.status).toBe(201);
  const listId = res.body.listId as string;
  const expected = (a: number, b: number) => ids.slice(a, b).map((nin, i) => ({ nin, fields: { name: `P${a + i}` } }));

  // A fresh container: nothing of the list in memory yet.
  const { db, read } = countingClient();
  const worker = new DynamoRecipientListRepository(db, p.env.TABLE_MAIN!, p.env.TABLE_RECIPIENTS!);
  const chunks = (await rawAdapters().lists.getList(projectId, listId))!.chunks;
  expect(chunks).toBeGreaterThanOrEqual(30);

  expect(await worker.slice(listId, 12_345, 12_445)).toEqual(expected(12_345, 12_445));
  // The list's chunk boundaries (one small item) and the one chunk that holds rows 12,345–12,444.
  expect(read.items).toBe(2);

  read.items = 0;
  expect(await worker.slice(listId, 20_950, 21_050)).toEqual(expected(20_950, 21_050));
  expect(read.items).toBe(2); // the two chunks either side of row 21,000

  // A whole round's worth of batches of 100, in order: each chunk is read about once, never all at once.
  read.items = 0;
  let most = 0;
  for (let start = 0; start < ROWS; start += 100) {
    const before = read.items;
    const batch = await worker.slice(listId, start, Math.min(ROWS, start + 100));
    expect(batch.length).toBe(Math.min(100, ROWS - start));
    most = Math.max(most, read.items - before);
  }
  expect(most).toBeLessThanOrEqual(2);
  expect(read.items).toBeLessThanOrEqual(chunks + 2);
  expect(await worker.slice(listId, ROWS - 1, ROWS + 50)).toEqual(expected(ROWS - 1, ROWS));
});
