import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateNin } from '../../../functions/domain/lists/nin-generator.js';
import { startTestPlatform, type TestPlatform } from '../../setup/platform.js';

let p: TestPlatform;
let projectId: string;
const ola = { sub: 'ola', role: 'researcher', org: 'uio' } as const;
beforeAll(async () => {
  p = await startTestPlatform({ pollers: false });
  projectId = (await p.as(ola).post('/projects', { title: 'Brev', organization: 'uio', allowedLinkDomains: ['example.org'] })).body.projectId;
});
afterAll(async () => {
  await p?.stop();
});

const post = (body: unknown) => p.as(ola).post(`/projects/${projectId}/letters`, body);

describe('letters through the API', () => {
  it('requires bokmål, limits the body to 20,000 characters, keeps the subject on one line, and writes nothing when refused', async () => {
    const noNb = await post({ title: 'T', kind: 'letter', content: { nn: { subject: 's', body: 'b' } } });
    expect(noNb.status).toBe(400);
    expect(noNb.body.error.details.map((d: { field: string }) => d.field)).toContain('content.nb');
    expect((await post({ title: 'T', kind: 'letter', content: { nb: { subject: 's', body: 'x'.repeat(20_001) } } })).status).toBe(400);
    expect((await post({ title: 'T', kind: 'letter', content: { nb: { subject: 'a\nb', body: 'b' } } })).status).toBe(400);
    expect((await post({ title: 'T', kind: 'letter', content: { nb: { subject: 's', body: 'b' }, se: { subject: 's', body: 'b' } } })).status).toBe(400);
    expect((await post({ title: 'T', kind: 'letter', formTaskId: 'frm_x', content: { nb: { subject: 's', body: 'b' } } })).status).toBe(400);
    expect((await p.as(ola).get(`/projects/${projectId}/letters`)).body.items).toEqual([]);
  });

  it('versions: each edit is a new version with its own hash; old versions stay readable', async () => {
    const created = await post({ title: 'T', kind: 'letter', content: { nb: { subject: 'S', body: 'Body 1' } } });
    expect(created.status).toBe(201);
    const id = created.body.letterId;
    const v2 = await p.as(ola).put(`/projects/${projectId}/letters/${id}`, { title: 'T2', content: { nb: { subject: 'S', body: 'Body 2' }, en: { subject: 'S', body: 'Body 2' } } });
    expect(v2.body).toMatchObject({ version: 2, latestVersion: 2, title: 'T2', approval: 'pending' });
    expect(v2.body.contentHash).not.toBe(created.body.contentHash);
    const latest = await p.as(ola).get(`/projects/${projectId}/letters/${id}`);
    expect(latest.body).toMatchObject({ version: 2, content: { en: { body: 'Body 2' } } });
    const v1 = await p.as(ola).get(`/projects/${projectId}/letters/${id}?version=1`);
    expect(v1.body).toMatchObject({ version: 1, latestVersion: 2, content: { nb: { body: 'Body 1' } } });
    expect((await p.as(ola).get(`/projects/${projectId}/letters/${id}?version=9`)).status).toBe(404);
    expect((await p.as(ola).get(`/projects/${projectId}/letters/ltr_nope`)).status).toBe(404);
  });

  it('the check reports subject length, placeholders, languages and link rules without echoing an ID', async () => {
    const nin = generateNin({ index: 42, synthetic: true });
    const created = await post({
      title: 'T',
      kind: 'letter',
      content: { nb: { subject: 'x'.repeat(121), body: `Hei {{navn}}. http://example.org/a https://evil.example/b https://example.org/?fnr=${nin} https://bit.ly/x` } },
    });
    const check = await p.as(ola).post(`/projects/${projectId}/letters/${created.body.letterId}/check`);
    expect(check.status).toBe(200);
    expect(check.body.ok).toBe(false);
    const codes = check.body.findings.map((f: { code: string }) => f.code);
    for (const code of ['SUBJECT_TOO_LONG', 'UNKNOWN_PLACEHOLDER', 'MISSING_LANGUAGE', 'LINK_NOT_HTTPS', 'LINK_DOMAIN_NOT_ALLOWED', 'PERSONAL_DATA_IN_LINK', 'LINK_SHORTENER']) {
      expect(codes).toContain(code);
    }
    expect(check.text).not.toContain(nin);
  });
});
