import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateNin, syntheticNins } from '../../../functions/domain/lists/nin-generator.js';
import { startTestPlatform, type TestPlatform } from '../../setup/platform.js';
import { completeChecklist } from '../checklist.js';
import { startLinkTargets, type LinkTargets } from '../letters/link-targets.js';

/**
 * Nothing unapproved reaches a citizen, seen through the API: each refusal of issue 15 (mandatory
 * checklist, links only from approved text, registrable link domains, list fields as data) and
 * the preview of the letters exactly as sample recipients will read them.
 */
let p: TestPlatform;
let t: LinkTargets;
beforeAll(async () => {
  t = await startLinkTargets();
  p = await startTestPlatform({ pollers: false, env: { LINK_PROBE_TIMEOUT_MS: '500' } });
});
afterAll(async () => {
  await p?.stop();
  await t?.close();
});

const ola = { sub: 'ola@i15', role: 'researcher', org: 'i15' } as const;
const siri = { sub: 'siri@i15', role: 'superuser', org: 'i15' } as const;
const fred = { sub: 'fred@other', role: 'researcher', org: 'other' } as const;

const newProject = async (extra: Record<string, unknown> = {}) => {
  const res = await p.as(ola).post('/projects', { title: 'Søvnstudien', organization: 'i15', allowedLinkDomains: ['127.0.0.1'], contact: 'sovn@uio.no', ...extra });
  expect(res.status, res.text).toBe(201);
  return res.body.projectId as string;
};
const newLetter = async (projectId: string, content: Record<string, unknown>, fields: string[] = []) => {
  const res = await p.as(ola).post(`/projects/${projectId}/letters`, { title: 'Invitasjon', kind: 'letter', fields, content });
  expect(res.status, res.text).toBe(201);
  return res.body.letterId as string;
};

describe('allowed link domains must be registrable domains', () => {
  it('refuses a public suffix or a single label with 400, naming the entry', async () => {
    for (const domains of [['com'], ['no'], ['co.uk'], ['uio.no', 'github.io'], ['intranett']]) {
      const res = await p.as(ola).post('/projects', { title: 'T', organization: 'i15', allowedLinkDomains: domains });
      expect(res.status, JSON.stringify(domains)).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
      expect(res.body.error.details[0].field).toMatch(/^allowedLinkDomains\.\d$/);
    }
    const ok = await p.as(ola).post('/projects', { title: 'T', organization: 'i15', allowedLinkDomains: ['uio.no', 'skjema.example.co.uk'] });
    expect(ok.status).toBe(201);
    expect(ok.body.allowedLinkDomains).toEqual(['uio.no', 'skjema.example.co.uk']);
  });

  it('changing them after approval needs a new approval: the project returns to review and release is refused', async () => {
    const projectId = await newProject();
    const letterId = await newLetter(projectId, { nb: { subject: 'Hei', body: `Les mer: ${t.base}/ok` }, nn: { subject: 'Hei', body: `Les meir: ${t.base}/ok` } });
    await p.as(ola).post(`/projects/${projectId}/submit`);
    const approved = await p.as(siri).post(`/projects/${projectId}/approve`, { checklist: await completeChecklist(p.as(siri), projectId) });
    expect(approved.status, approved.text).toBe(200);

    const bad = await p.as(ola).put(`/projects/${projectId}/link-domains`, { allowedLinkDomains: ['no'] });
    expect(bad.status).toBe(400);
    const same = await p.as(ola).put(`/projects/${projectId}/link-domains`, { allowedLinkDomains: ['127.0.0.1'] });
    expect(same.body).toMatchObject({ status: 'approved', approvalReset: false });

    const changed = await p.as(ola).put(`/projects/${projectId}/link-domains`, { allowedLinkDomains: ['127.0.0.1', 'uio.no'] });
    expect(changed.status, changed.text).toBe(200);
    expect(changed.body).toMatchObject({ status: 'in_review', approvalReset: true, allowedLinkDomains: ['127.0.0.1', 'uio.no'], submittedBy: ola.sub });

    const listId = (await p.as(ola).post(`/projects/${projectId}/recipient-lists`, { recipients: syntheticNins(2, 415_000).map((nin) => ({ nin })) })).body.listId;
    const roundId = (await p.as(ola).post(`/projects/${projectId}/rounds`, { letterId, listId })).body.roundId;
    const release = await p.as(ola).post(`/projects/${projectId}/rounds/${roundId}/release`);
    expect(release.status).toBe(409);
    expect(release.body.error.code).toBe('PROJECT_NOT_APPROVED');

    const again = await p.as(siri).post(`/projects/${projectId}/approve`, { checklist: await completeChecklist(p.as(siri), projectId) });
    expect(again.status, again.text).toBe(200);
    const audit = (await p.as(siri).get(`/projects/${projectId}/audit`)).body.items.map((e: { action: string }) => e.action);
    expect(audit).toContain('project.link_domains_changed');
  });
});

describe('the checklist is mandatory', () => {
  it('409 CHECKLIST_INCOMPLETE without it, with an item missing, and with a tick instead of a reason for missing nynorsk', async () => {
    const projectId = await newProject();
    await newLetter(projectId, { nb: { subject: 'Hei', body: 'Bare bokmål her.' } });
    await p.as(ola).post(`/projects/${projectId}/submit`);

    const none = await p.as(siri).post(`/projects/${projectId}/approve`);
    expect(none.status).toBe(409);
    expect(none.body.error.code).toBe('CHECKLIST_INCOMPLETE');

    const checklist = await p.as(siri).get(`/projects/${projectId}/checklist`);
    const items = checklist.body.items as { id: string; noteRequired?: boolean }[];
    expect(items.find((i) => i.id === 'both-norwegian-standards')).toMatchObject({ noteRequired: true });
    const ticked = Object.fromEntries(items.map((i) => [i.id, true]));
    const { 'contact-person': _, ...partial } = ticked;
    const missing = await p.as(siri).post(`/projects/${projectId}/approve`, { checklist: partial });
    expect(missing.body.error).toMatchObject({ code: 'CHECKLIST_INCOMPLETE', details: { items: ['contact-person'] } });
    const tickOnly = await p.as(siri).post(`/projects/${projectId}/approve`, { checklist: ticked });
    expect(tickOnly.status).toBe(409);
    expect(tickOnly.body.error).toMatchObject({ code: 'CHECKLIST_INCOMPLETE', details: { items: ['both-norwegian-standards'] } });
    expect((await p.as(siri).get(`/projects/${projectId}`)).body.status).toBe('in_review');

    const withReason = await p.as(siri).post(`/projects/${projectId}/approve`, { checklist: { ...ticked, 'both-norwegian-standards': 'Kun bokmålsbrukere i utvalget' } });
    expect(withReason.status, withReason.text).toBe(200);
  });
});

describe('links only from approved text', () => {
  it('a link assembled from a list column is the error PLACEHOLDER_IN_LINK, and approval refuses it', async () => {
    const projectId = await newProject();
    const link = `${t.base}/ok?ref={{ref}}`;
    const letterId = await newLetter(projectId, { nb: { subject: 'Hei', body: `Svar: ${link}` }, nn: { subject: 'Hei', body: `Svar: ${link}` } }, ['ref']);
    const check = await p.as(ola).post(`/projects/${projectId}/letters/${letterId}/check`);
    expect(check.body.ok).toBe(false);
    expect(check.body.findings).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'PLACEHOLDER_IN_LINK', severity: 'error', language: 'nb' })]));
    await p.as(ola).post(`/projects/${projectId}/submit`);
    const approve = await p.as(siri).post(`/projects/${projectId}/approve`, { checklist: await completeChecklist(p.as(siri), projectId) });
    expect(approve.status).toBe(409);
    expect(approve.body.error.code).toBe('QUALITY_CHECK_FAILED');
    expect(approve.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'PLACEHOLDER_IN_LINK', letterId })]));
    const single = await p.as(siri).post(`/projects/${projectId}/letters/${letterId}/approve`, { version: 1, checklist: await completeChecklist(p.as(siri), projectId) });
    expect(single.status).toBe(409);
    expect(single.body.error.code).toBe('QUALITY_CHECK_FAILED');
  });
});

describe('list fields are data', () => {
  it('refuses rows whose fields hold a link, a national ID or markup, by row number, never echoing the value', async () => {
    const projectId = await newProject();
    const ids = syntheticNins(7, 416_000);
    const personal = generateNin({ index: 4_242 });
    const values = ['Kari Nordmann', 'evil.no/login', `Ola Nordmann ${personal.slice(0, 6)} ${personal.slice(6)}`, '<a href=x>Klikk</a>', 'www.evil.no', 'Per Hansen', 'kari@еvil.no'];
    const res = await p.as(ola).post(`/projects/${projectId}/recipient-lists`, { recipients: ids.map((nin, i) => ({ nin, fields: { navn: values[i] } })) });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({ rows: 7, accepted: 2 });
    expect(res.body.rejected.map((r: { row: number; code: string }) => [r.row, r.code])).toEqual([
      [2, 'LINK_IN_FIELD'],
      [3, 'NATIONAL_ID_IN_FIELD'],
      [4, 'UNSAFE_FIELD_VALUE'],
      [5, 'LINK_IN_FIELD'],
      [7, 'LINK_IN_FIELD'],
    ]);
    for (const v of [personal, personal.slice(6), 'evil.no', 'href']) expect(res.text).not.toContain(v);
    const csv = `nin;navn\n${ids[0]};Kari\n${ids[1]};"=HYPERLINK(""https://evil.no"")"\n`;
    const fromCsv = await p.as(ola).post(`/projects/${projectId}/recipient-lists`, csv, 'text/csv');
    expect(fromCsv.body.rejected).toEqual([expect.objectContaining({ row: 2, code: 'UNSAFE_FIELD_VALUE' })]);
  });
});

describe('preview of the letters as sample recipients will read them', () => {
  let projectId: string;
  let roundId: string;
  const ids = syntheticNins(6, 417_000);

  beforeAll(async () => {
    projectId = await newProject();
    const letterId = await newLetter(
      projectId,
      {
        nb: { subject: 'Invitasjon til {{navn}}', body: `Hei {{navn}}!\nLes mer: ${t.base}/ok` },
        nn: { subject: 'Invitasjon til {{navn}}', body: `Hei {{navn}}!\nLes meir: ${t.base}/ok` },
      },
      ['navn'],
    );
    const recipients = ids.map((nin, i) => ({ nin, language: i === 3 ? 'nn' : i === 4 ? 'en' : 'nb', fields: { navn: `Person ${i + 1}` } }));
    const listId = (await p.as(ola).post(`/projects/${projectId}/recipient-lists`, { recipients })).body.listId;
    const round = await p.as(ola).post(`/projects/${projectId}/rounds`, { letterId, listId });
    expect(round.status, round.text).toBe(201);
    roundId = round.body.roundId;
  });

  it('renders the first rows and one of each language, with their fields and the footer, never an ID', async () => {
    const res = await p.as(ola).get(`/projects/${projectId}/rounds/${roundId}/preview?count=5`);
    expect(res.status, res.text).toBe(200);
    const items = res.body.items as { row: number; language: string; channel: string; channelBasis: string; subject: string; body: string }[];
    expect(items.map((i) => i.row)).toEqual([1, 2, 3, 4, 5]);
    // The registries (their local fakes) answer for the sample recipients: the channel comes from their facts.
    expect(items[0]).toMatchObject({ language: 'nb', channel: 'helsenorge', channelBasis: 'registry', subject: 'Invitasjon til Person 1' });
    expect(items[0]!.body).toContain('Hei Person 1!');
    expect(items[0]!.body).toContain('Avsender: i15');
    expect(items[0]!.body).toContain('Kontakt: sovn@uio.no');
    expect(items[3]).toMatchObject({ language: 'nn', subject: 'Invitasjon til Person 4' });
    expect(items[3]!.body).toContain('Avsendar:');
    // English is not in the letter: that reader gets bokmål, and the preview shows it.
    expect(items[4]!.language).toBe('nb');
    for (const nin of ids) expect(res.text).not.toContain(nin);
  });

  it('shows each language even beyond the first rows, and follows the distribution rule for the channel', async () => {
    const one = await p.as(ola).get(`/projects/${projectId}/rounds/${roundId}/preview?count=2`);
    expect(one.body.items.map((i: { row: number }) => i.row)).toEqual([1, 4]);
    const settings = await p.as(siri).put(`/projects/${projectId}/settings`, { distributionRule: 'digital-mailbox-then-paper' });
    expect(settings.status).toBe(200);
    const res = await p.as(siri).get(`/projects/${projectId}/rounds/${roundId}/preview`);
    expect(res.body.items).toHaveLength(5);
    expect(res.body.items[0].channel).toBe('digital-mailbox');
  });

  it('refuses a bad count with 400 and hides the round from another organisation', async () => {
    for (const count of ['0', '21', 'abc', '1.5']) {
      const res = await p.as(ola).get(`/projects/${projectId}/rounds/${roundId}/preview?count=${count}`);
      expect(res.status, count).toBe(400);
    }
    const foreign = await p.as(fred).get(`/projects/${projectId}/rounds/${roundId}/preview`);
    expect([403, 404]).toContain(foreign.status);
    expect(foreign.text).not.toContain('Person 1');
    const missing = await p.as(ola).get(`/projects/${projectId}/rounds/rnd_nope/preview`);
    expect(missing.status).toBe(404);
  });
});
