import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawAdapters } from '../../functions/adapters/index.js';
import { generateNin, syntheticNins } from '../../functions/domain/lists/nin-generator.js';
import { startTestPlatform, type Identity, type TestPlatform } from '../setup/platform.js';

const ORG = 'org-lists';
const researcher = { sub: 'res-lists-1', role: 'researcher' as const, org: ORG };
const outsider = { sub: 'res-lists-2', role: 'researcher' as const, org: ORG };
const superuser = { sub: 'su-lists', role: 'superuser' as const, org: ORG };

let p: TestPlatform;
let projectId: string;
let otherProjectId: string;

beforeAll(async () => {
  p = await startTestPlatform({ pollers: false });
  const created = await p.as(researcher).post('/projects', { title: 'Lists', organization: ORG });
  projectId = created.body.projectId;
  otherProjectId = (await p.as(outsider).post('/projects', { title: 'Other', organization: ORG })).body.projectId;
});
afterAll(async () => p?.stop());

const csvPost = (body: string, who: Identity = researcher, pid = () => projectId) => p.as(who).post(`/projects/${pid()}/recipient-lists`, body, 'text/csv');

describe('POST /projects/{projectId}/recipient-lists', () => {
  it('accepts a Norwegian Excel export (BOM, semicolons, CRLF, quotes) and reports rows without echoing IDs', async () => {
    const ids = syntheticNins(4, 10_000);
    const bad = ids[3]!.slice(0, 10) + String((Number(ids[3]![10]) + 1) % 10);
    const csv = `\uFEFFnin;language;name\r\n${ids[0]};nb;"Nordmann; Ola"\r\n${ids[1]};EN;Kari\r\n${ids[0]};nn;Again\r\n${bad};nb;X\r\n${ids[2]};sv;Y\r\n`;
    const res = await csvPost(csv);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ rows: 5, accepted: 2, duplicatesInList: 1 });
    expect(res.body.rejected).toEqual([
      { row: 4, line: 5, code: 'INVALID_NIN', message: expect.any(String) },
      { row: 5, line: 6, code: 'UNKNOWN_LANGUAGE', message: expect.any(String) },
    ]);
    expect(res.body.rows).toBe(res.body.accepted + res.body.rejected.length + res.body.duplicatesInList);
    expect(res.text).not.toContain(bad);
    expect(res.text).not.toContain(ids[0]);

    const stored = await rawAdapters().lists.readRecipients(res.body.listId);
    expect(stored).toEqual([
      { nin: ids[0], language: 'nb', fields: { name: 'Nordmann; Ola' } },
      { nin: ids[1], language: 'en', fields: { name: 'Kari' } },
    ]);
    const meta = await p.as(superuser).get(`/projects/${projectId}/recipient-lists/${res.body.listId}`);
    expect(meta.body).toMatchObject({ listId: res.body.listId, accepted: 2, columns: ['name'] });
  });

  it('accepts JSON recipients with the same report shape', async () => {
    const ids = syntheticNins(3, 20_000);
    const res = await p.as(researcher).post(`/projects/${projectId}/recipient-lists`, {
      recipients: [{ nin: ids[0], language: 'nn', fields: { name: 'A' } }, { nin: ids[1] }, { nin: ids[0] }, { nin: '123' }],
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ rows: 4, accepted: 2, duplicatesInList: 1, rejected: [{ row: 4, code: 'INVALID_NIN' }] });
  });

  it('refuses synthetic IDs when the environment does not allow them', async () => {
    // The handler reads configuration on every call; the platform runs in this process.
    process.env.ALLOW_SYNTHETIC_NINS = 'false';
    try {
      const res = await csvPost(`nin\n${syntheticNins(1, 30_000)[0]}\n${generateNin({ index: 30_000 })}\n`);
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ rows: 2, accepted: 1, rejected: [{ row: 1, code: 'SYNTHETIC_NIN_NOT_ALLOWED' }] });
    } finally {
      delete process.env.ALLOW_SYNTHETIC_NINS;
    }
  });

  it('answers hostile or broken input with 4xx codes and stores nothing', async () => {
    const before = (await p.as(researcher).get(`/projects/${projectId}/recipient-lists`)).body.items.length;
    const cases: [string, string | undefined, number, string][] = [
      ['nin;name\n"01018;unclosed\n', 'text/csv', 400, 'MALFORMED_CSV'],
      ['name;email\nOla;x\n', 'text/csv', 400, 'MISSING_NIN_COLUMN'],
      ['nin;=cmd|calc\n', 'text/csv', 400, 'INVALID_HEADER'],
      ['', 'text/csv', 400, 'MALFORMED_CSV'],
      ['\u0000\u0001\u0002binary', 'text/csv', 400, 'MALFORMED_CSV'],
      ['nin\n0101', 'text/plain', 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['{"recipients": "nope"}', 'application/json', 400, 'VALIDATION_FAILED'],
      ['{"recipients": [], "objectKey": "x"}', 'application/json', 400, 'VALIDATION_FAILED'],
    ];
    for (const [body, type, status, code] of cases) {
      const res = await p.as(researcher).post(`/projects/${projectId}/recipient-lists`, body, type);
      expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
    }
    const formula = await csvPost(`nin;name\n${syntheticNins(1, 40_000)[0]};"=HYPERLINK(""https://x.example"")"\n`);
    expect(formula.status).toBe(201);
    expect(formula.body.rejected).toEqual([expect.objectContaining({ row: 1, code: 'UNSAFE_FIELD_VALUE' })]);
    const after = (await p.as(researcher).get(`/projects/${projectId}/recipient-lists`)).body.items.length;
    expect(after).toBe(before + 1);
  });

  it('lets only researchers who are members upload', async () => {
    const csv = `nin\n${syntheticNins(1, 50_000)[0]}\n`;
    expect((await csvPost(csv, outsider)).status).toBe(404);
    expect((await csvPost(csv, superuser)).status).toBe(403);
    expect((await csvPost(csv, { sub: 'x', role: 'researcher', org: 'other-org' })).status).toBe(404);
  });

  it('accepts 100,000 rows in one request and stores them all, readable in order', async () => {
    const ids = syntheticNins(100_000, 1_000_000);
    const csv = `nin;language;name\r\n${ids.map((n, i) => `${n};${['nb', 'nn', 'en'][i % 3]};Person ${i}`).join('\r\n')}\r\n`;
    const res = await csvPost(csv);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ rows: 100_000, accepted: 100_000, rejected: [], duplicatesInList: 0 });
    const stored = await rawAdapters().lists.readRecipients(res.body.listId);
    expect(stored.length).toBe(100_000);
    expect(stored[99_999]).toEqual({ nin: ids[99_999], language: 'nb', fields: { name: 'Person 99999' } });
    expect(new Set(stored.map((r) => r.nin)).size).toBe(100_000);
  });
});

describe('presigned upload', () => {
  it('uploads a file to the bucket and turns it into a list; the raw object is removed', async () => {
    const url = await p.as(researcher).post(`/projects/${projectId}/recipient-lists/upload-url`);
    expect(url.status).toBe(201);
    expect(url.body.objectKey).toMatch(new RegExp(`^recipient-lists/${projectId}/`));
    const ids = syntheticNins(3, 60_000);
    const put = await fetch(url.body.uploadUrl, { method: 'PUT', body: `\uFEFFnin,language\r\n${ids.join(',nb\r\n')},nb\r\n` });
    expect(put.status).toBe(200);

    const res = await p.as(researcher).post(`/projects/${projectId}/recipient-lists`, { objectKey: url.body.objectKey });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ rows: 3, accepted: 3, rejected: [], duplicatesInList: 0 });
    const again = await p.as(researcher).post(`/projects/${projectId}/recipient-lists`, { objectKey: url.body.objectKey });
    expect(again).toMatchObject({ status: 404, body: { error: { code: 'UPLOAD_NOT_FOUND' } } });
  });

  it('signs no body checksum, so S3 accepts a PUT of the real file', async () => {
    // The S3 client's default (since SDK 3.729) signs the CRC32 of an *empty* body into the URL;
    // S3 then refuses any real file. The emulator does not check it, so assert what is signed.
    const res = await p.as(researcher).post(`/projects/${projectId}/recipient-lists/upload-url`);
    expect(res.status).toBe(201);
    const url = new URL(res.body.uploadUrl);
    const params = [...url.searchParams.keys()].map((k) => k.toLowerCase());
    expect(params.filter((k) => k.startsWith('x-amz-checksum') || k === 'x-amz-sdk-checksum-algorithm')).toEqual([]);
    const signed = (url.searchParams.get('X-Amz-SignedHeaders') ?? '').split(';');
    expect(signed).toContain('host');
    expect(signed.filter((h) => h.includes('checksum'))).toEqual([]);
    // Nothing about the body is signed: any length and type may be PUT (the parse checks the content).
    expect(signed.filter((h) => h === 'content-length' || h === 'content-type' || h === 'content-md5')).toEqual([]);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('900');
    expect(url.pathname).toContain(res.body.objectKey);
  });

  it('refuses an uploaded CSV without a nin column with 400 MISSING_NIN_COLUMN, stores nothing and removes the file', async () => {
    const before = (await p.as(researcher).get(`/projects/${projectId}/recipient-lists`)).body.items.length;
    const url = await p.as(researcher).post(`/projects/${projectId}/recipient-lists/upload-url`);
    const put = await fetch(url.body.uploadUrl, { method: 'PUT', body: 'name;email\r\nOla;ola@example.org\r\nKari;kari@example.org\r\n' });
    expect(put.status).toBe(200);
    const res = await p.as(researcher).post(`/projects/${projectId}/recipient-lists`, { objectKey: url.body.objectKey });
    expect({ status: res.status, code: res.body.error?.code }).toEqual({ status: 400, code: 'MISSING_NIN_COLUMN' });
    expect((await p.as(researcher).get(`/projects/${projectId}/recipient-lists`)).body.items.length).toBe(before);
    const again = await p.as(researcher).post(`/projects/${projectId}/recipient-lists`, { objectKey: url.body.objectKey });
    expect(again).toMatchObject({ status: 404, body: { error: { code: 'UPLOAD_NOT_FOUND' } } });
  });

  it('refuses object keys of other projects and keys it never issued', async () => {
    const theirs = await p.as(outsider).post(`/projects/${otherProjectId}/recipient-lists/upload-url`);
    for (const objectKey of [theirs.body.objectKey, `recipient-lists/${projectId}/../${otherProjectId}/x.csv`, 'anything']) {
      const res = await p.as(researcher).post(`/projects/${projectId}/recipient-lists`, { objectKey });
      expect({ status: res.status, code: res.body.error?.code }).toEqual({ status: 403, code: 'OBJECT_KEY_NOT_ALLOWED' });
    }
    expect((await p.as(researcher).post(`/projects/${otherProjectId}/recipient-lists/upload-url`)).status).toBe(404);
  });
});
