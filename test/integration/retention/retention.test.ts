import { DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, QueryCommand, UpdateCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawAdapters } from '../../../functions/adapters/index.js';
import { LocalChannelGateway } from '../../../functions/adapters/channels/local-channels.js';
import { keys } from '../../../functions/adapters/dynamo/keys.js';
import { ListExpiredError } from '../../../functions/domain/lists/recipient-list.js';
import { syntheticNins } from '../../../functions/domain/lists/nin-generator.js';
import { retentionFor } from '../../../functions/domain/shared/retention.js';
import { tables } from '../../../lib/resources.js';
import { startTestPlatform, type TestPlatform } from '../../setup/platform.js';

const DAY = 86_400;
let p: TestPlatform;
let db: DynamoDBDocumentClient;
let projectId: string;
const researcher = { sub: 'res-ret', role: 'researcher' as const, org: 'org-ret' };
const ids = syntheticNins(5, 81_000);

const chunksOf = async (listId: string) =>
  (await db.send(new QueryCommand({ TableName: p.env.TABLE_RECIPIENTS, KeyConditionExpression: 'listId = :l', ExpressionAttributeValues: { ':l': listId }, ConsistentRead: true }))).Items ?? [];
const metaOf = async (listId: string) => (await db.send(new GetCommand({ TableName: p.env.TABLE_MAIN, Key: keys.recipientList(projectId, listId), ConsistentRead: true }))).Item!;

const upload = async (): Promise<string> => {
  const res = await p.as(researcher).post(`/projects/${projectId}/recipient-lists`, { recipients: ids.map((nin) => ({ nin })) });
  expect(res.status).toBe(201);
  return res.body.listId;
};

const uploadRaw = async (text: string) => {
  const url = await p.as(researcher).post(`/projects/${projectId}/recipient-lists/upload-url`);
  expect((await fetch(url.body.uploadUrl, { method: 'PUT', body: text })).status).toBe(200);
  const objectKey = url.body.objectKey as string;
  const exists = async () =>
    p.s3.send(new HeadObjectCommand({ Bucket: p.env.BUCKET_RECIPIENT_LISTS, Key: objectKey })).then(
      () => true,
      (e: Error & { $metadata?: { httpStatusCode?: number } }) => (e.$metadata?.httpStatusCode === 404 ? false : Promise.reject(e)),
    );
  expect(await exists()).toBe(true);
  return { objectKey, exists };
};

beforeAll(async () => {
  // A configured retention, so the test shows the setting is honoured (not only the default).
  p = await startTestPlatform({ pollers: false, env: { RETENTION_DAYS: '30' } });
  db = DynamoDBDocumentClient.from(p.dynamo);
  projectId = (await p.as(researcher).post('/projects', { title: 'Retention', organization: 'org-ret' })).body.projectId;
});
afterAll(async () => p?.stop());

describe('retention', () => {
  it('every table that holds recipient rows, list records, deliveries or inbox copies has TTL on expiresAt', async () => {
    for (const def of [tables.main, tables.recipients, tables.deliveries, tables.citizens]) {
      const ttl = await p.dynamo.send(new DescribeTimeToLiveCommand({ TableName: p.env[def.envVar] }));
      expect(ttl.TimeToLiveDescription, def.id).toMatchObject({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
    }
  });

  it('list rows and the list record expire RETENTION_DAYS after the upload, together', async () => {
    const listId = await upload();
    const meta = await metaOf(listId);
    expect(meta.expiresAt).toBe(Math.floor(Date.parse(meta.createdAt) / 1000) + 30 * DAY);
    const chunks = await chunksOf(listId);
    expect(chunks.length).toBeGreaterThan(0);
    for (const c of chunks) expect(c.expiresAt).toBe(meta.expiresAt);
    expect((await p.as(researcher).get(`/projects/${projectId}/recipient-lists/${listId}`)).body.keptUntil).toBe(new Date(meta.expiresAt * 1000).toISOString());
  });

  it("a round extends the list's retention (rows and record), and never shortens it", async () => {
    const listId = await upload();
    const before = (await metaOf(listId)).expiresAt as number;
    const later = retentionFor('listRows', new Date((before + 10 * DAY) * 1000), { days: 30, longDays: 365 });
    expect(await rawAdapters().lists.extendRetention(projectId, listId, later)).toBe(true);
    expect((await metaOf(listId)).expiresAt).toBe(later);
    for (const c of await chunksOf(listId)) expect(c.expiresAt).toBe(later);
    expect(await rawAdapters().lists.extendRetention(projectId, listId, before)).toBe(true);
    expect((await metaOf(listId)).expiresAt).toBe(later);
  });

  it('a list past its retention is gone for readers before DynamoDB deletes it (TTL is lazy)', async () => {
    const listId = await upload();
    const past = Math.floor(Date.now() / 1000) - 60;
    await db.send(new UpdateCommand({ TableName: p.env.TABLE_MAIN, Key: keys.recipientList(projectId, listId), UpdateExpression: 'SET expiresAt = :e', ExpressionAttributeValues: { ':e': past } }));
    await db.send(new UpdateCommand({ TableName: p.env.TABLE_RECIPIENTS, Key: keys.recipientChunk(listId, 0), UpdateExpression: 'SET expiresAt = :e', ExpressionAttributeValues: { ':e': past } }));
    expect((await p.as(researcher).get(`/projects/${projectId}/recipient-lists/${listId}`)).status).toBe(404);
    expect((await p.as(researcher).get(`/projects/${projectId}/recipient-lists`)).body.items.map((l: { listId: string }) => l.listId)).not.toContain(listId);
    await expect(rawAdapters().lists.readRecipients(listId)).rejects.toBeInstanceOf(ListExpiredError);
    expect(await rawAdapters().lists.extendRetention(projectId, listId, past + 100 * DAY)).toBe(false);
  });

  it('inbox copies carry expiresAt RETENTION_DAYS after delivery', async () => {
    const inbox = new LocalChannelGateway(db, p.env.TABLE_CITIZENS!);
    const letter = { language: 'nb' as const, subject: 'Hei', body: 'Tekst', format: 'text/plain' as const };
    await inbox.deliver('helsenorge', [{ deliveryId: 'dlv_ret1', projectId, roundId: 'rnd_ret', nin: ids[0]!, letter }]);
    const [item] = await inbox.received(ids[0]!, 'helsenorge');
    expect(item!.expiresAt).toBe(Math.floor(Date.parse(String(item!.receivedAt)) / 1000) + 30 * DAY);
  });
});

describe('raw uploads never outlive their parsing', () => {
  it('a malformed file is deleted although it did not become a list', async () => {
    const { objectKey, exists } = await uploadRaw(`nin\n"${ids[0]}\n`);
    const res = await p.as(researcher).post(`/projects/${projectId}/recipient-lists`, { objectKey });
    expect(res.body.error.code).toBe('MALFORMED_CSV');
    expect(await exists()).toBe(false);
  });

  it('a file without a nin column is deleted too', async () => {
    const { objectKey, exists } = await uploadRaw('name,language\nOla,nb\n');
    const res = await p.as(researcher).post(`/projects/${projectId}/recipient-lists`, { objectKey });
    expect(res.body.error.code).toBe('MISSING_NIN_COLUMN');
    expect(await exists()).toBe(false);
  });

  it('a parsed file is deleted once stored', async () => {
    const { objectKey, exists } = await uploadRaw(`nin\n${ids.join('\n')}\n`);
    expect((await p.as(researcher).post(`/projects/${projectId}/recipient-lists`, { objectKey })).status).toBe(201);
    expect(await exists()).toBe(false);
  });
});
