import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoProjectRepository } from '../../../functions/adapters/dynamo/project-repository.js';
import { startTestPlatform, type TestPlatform } from '../../setup/platform.js';

let p: TestPlatform;
beforeAll(async () => {
  p = await startTestPlatform({ pollers: false });
});
afterAll(async () => {
  await p?.stop();
});

const ola = { sub: 'ola', role: 'researcher', org: 'uio' } as const;
const ops = { sub: 'otto', role: 'operations' } as const;

/**
 * Operations' reads must stay bounded whatever a national round leaves in the main table: the
 * project listing is a query on an index of projects, never a scan over rounds, batches and lists.
 */
describe('operations read projects through an index, not a table scan', () => {
  it('lists every project with its status without scanning the main table', async () => {
    const created: string[] = [];
    for (const title of ['Hjertestudien', 'Lungestudien']) {
      const res = await p.as(ola).post('/projects', { title, organization: 'uio', allowedLinkDomains: ['uio.no'], contact: 'hjerte@uio.no' });
      expect(res.status, res.text).toBe(201);
      created.push(res.body.projectId);
    }
    const doc = DynamoDBDocumentClient.from(p.dynamo, { marshallOptions: { removeUndefinedValues: true } });
    // Much unrelated data in the table, as a national round leaves it.
    await Promise.all(Array.from({ length: 200 }, (_, i) => doc.send(new PutCommand({ TableName: p.env.TABLE_MAIN!, Item: { pk: `NOISE#${i}`, sk: 'X', blob: 'x'.repeat(200) } }))));

    const sent: string[] = [];
    const recording = { send: (cmd: { constructor: { name: string } }) => (sent.push(cmd.constructor.name), doc.send(cmd as never)) } as unknown as DynamoDBDocumentClient;
    const all = await new DynamoProjectRepository(recording, p.env.TABLE_MAIN!).listAllProjects();
    expect(all.map((x) => x.projectId)).toEqual(expect.arrayContaining(created));
    expect(sent).not.toContain('ScanCommand');
    expect(sent).toContain('QueryCommand');

    const listed = await p.as(ops).get('/projects');
    expect(listed.status).toBe(200);
    const items = (listed.body.items ?? listed.body) as { projectId: string }[];
    expect(items.map((x) => x.projectId)).toEqual(expect.arrayContaining(created));
  });
});
