import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../setup/platform.js';

/**
 * A stage that cannot read the general reservation against research contact (no research
 * definition configured: RESEARCH_CHANNELS=portal-only). Only the portal enforces that reservation
 * itself, so a research project there may use the portal only (issue 21, finding 6).
 */
let p: TestPlatform;
beforeAll(async () => {
  p = await startTestPlatform({ pollers: false, env: { PRIVACY_RESEARCH_PVK_IDS: ',', RESEARCH_CHANNELS: 'portal-only' } });
});
afterAll(async () => {
  await p?.stop();
});

const ola = { sub: 'ola', role: 'researcher', org: 'uio' } as const;
const su = { sub: 'siri', role: 'superuser', org: 'uio' } as const;

const create = async (purpose?: string) => {
  const res = await p.as(ola).post('/projects', { title: 'Hjertestudien', organization: 'uio', allowedLinkDomains: ['example.org'], ...(purpose ? { purpose } : {}) });
  expect(res.status).toBe(201);
  return res.body as { projectId: string; settings: { distributionRule: string } };
};

describe('settings where the research reservation cannot be read', () => {
  it('test_should_give_a_new_research_project_the_portal_only_rule_on_a_portal_only_stage', async () => {
    const project = await create();
    expect(project.settings.distributionRule).toBe('helsenorge-only');
    const read = await p.as(ola).get(`/projects/${project.projectId}`);
    expect(read.body.settings.distributionRule).toBe('helsenorge-only');
  });

  it('test_should_refuse_paper_or_digital_mailbox_for_a_research_project_and_leave_the_settings_unchanged', async () => {
    const { projectId } = await create();
    for (const distributionRule of ['helsenorge-then-paper', 'digital-mailbox-then-paper']) {
      const res = await p.as(su).put(`/projects/${projectId}/settings`, { distributionRule });
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('RESERVATION_UNREADABLE');
    }
    // Nothing half-written: the rule is still the portal's.
    expect((await p.as(ola).get(`/projects/${projectId}`)).body.settings.distributionRule).toBe('helsenorge-only');
    expect((await p.as(su).put(`/projects/${projectId}/settings`, { distributionRule: 'helsenorge-only' })).status).toBe(200);
  });

  it('test_should_let_a_project_of_another_purpose_keep_and_choose_paper', async () => {
    const project = await create('health-survey');
    expect(project.settings.distributionRule).toBe('helsenorge-then-paper');
    expect((await p.as(su).put(`/projects/${project.projectId}/settings`, { distributionRule: 'digital-mailbox-then-paper' })).status).toBe(200);
  });
});
