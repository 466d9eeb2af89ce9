import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawAdapters } from '../../functions/adapters/index.js';
import { syntheticNins } from '../../functions/domain/lists/nin-generator.js';
import { globalCitizenKeys, parseKeyring, projectPseudonym } from '../../functions/domain/shared/citizen-key.js';
import { startTestPlatform, type TestPlatform } from '../setup/platform.js';

let p: TestPlatform;
let projectId: string;
const researcher = { sub: 'res-cit', role: 'researcher' as const, org: 'org-cit' };
const ops = { sub: 'ops-1', role: 'operations' as const };
const [alice, bob, carol] = syntheticNins(3, 70_000) as [string, string, string];
const citizen = (nin: string) => ({ sub: nin, role: 'citizen' as const });

beforeAll(async () => {
  p = await startTestPlatform({ pollers: false });
  projectId = (await p.as(researcher).post('/projects', { title: 'Citizens', organization: 'org-cit' })).body.projectId;
});
afterAll(async () => p?.stop());

describe('citizen reservations and withdrawals', () => {
  it('sets, shows and clears the reservation against research with empty bodies', async () => {
    const me = p.as(citizen(alice));
    expect((await me.get('/citizen/reservations')).body).toMatchObject({ research: false, withdrawals: [] });
    expect((await me.put('/citizen/reservations/research')).body).toEqual({ research: true });
    expect((await me.get('/citizen/reservations')).body).toMatchObject({ research: true, updatedAt: expect.any(String) });
    expect(await rawAdapters().reservations.reservedAmong([alice, bob])).toEqual(new Set([alice]));
    expect((await me.delete('/citizen/reservations/research')).body).toEqual({ research: false });
    expect(await rawAdapters().reservations.reservedAmong([alice, bob])).toEqual(new Set());
  });

  it('withdraws from a project before any contact, idempotently, audited by keyed hash only', async () => {
    const me = p.as(citizen(bob));
    const res = await me.post(`/citizen/projects/${projectId}/withdraw`);
    expect(res).toMatchObject({ status: 200, body: { projectId, withdrawn: true } });
    expect((await me.post(`/citizen/projects/${projectId}/withdraw`)).status).toBe(200);
    expect(await rawAdapters().reservations.withdrawnAmong([alice, bob, carol], projectId)).toEqual(new Set([bob]));
    expect((await me.get('/citizen/reservations')).body.withdrawals).toEqual([{ projectId, withdrawnAt: expect.any(String) }]);

    const audit = await p.as(researcher).get(`/projects/${projectId}/audit`);
    expect(audit.status).toBe(200);
    expect(audit.text).not.toContain(bob);
    expect(audit.body.items).toEqual(expect.arrayContaining([expect.objectContaining({ action: 'citizen.withdrew', role: 'citizen' })]));
    const events = await rawAdapters().audit.list(`project:${projectId}`);
    const withdrew = events.filter((e) => e.action === 'citizen.withdrew');
    expect(withdrew).toHaveLength(2);
    expect(withdrew[0]!.actor).toMatch(/^citizen:v1:[A-Za-z0-9_-]{32}$/);
    expect(JSON.stringify(events)).not.toContain(bob);
  });

  it("names the citizen by a per-project pseudonym: two projects' trails cannot be matched, nor matched to the global hash", async () => {
    const other = (await p.as(researcher).post('/projects', { title: 'Citizens 2', organization: 'org-cit' })).body.projectId as string;
    await p.as(citizen(carol)).post(`/citizen/projects/${projectId}/withdraw`);
    await p.as(citizen(carol)).post(`/citizen/projects/${other}/withdraw`);
    const actorIn = async (id: string) => {
      const items = (await p.as(researcher).get(`/projects/${id}/audit`)).body.items as { action: string; actor: string }[];
      return items.filter((e) => e.action === 'citizen.withdrew').map((e) => e.actor);
    };
    const [here, there] = [await actorIn(projectId), await actorIn(other)];
    const ring = parseKeyring(p.env.CITIZEN_HASH_KEY!);
    expect(there).toEqual([`citizen:${projectPseudonym(carol, other, ring)}`]);
    expect(here).toContain(`citizen:${projectPseudonym(carol, projectId, ring)}`);
    expect(here).not.toContain(there[0]);
    for (const g of globalCitizenKeys(carol, ring)) expect([...here, ...there].join(' ')).not.toContain(g);
  });

  it('404s a withdrawal from an unknown project and refuses non-citizens', async () => {
    expect((await p.as(citizen(carol)).post('/citizen/projects/prj_nope/withdraw')).status).toBe(404);
    expect((await p.as(researcher).put('/citizen/reservations/research')).status).toBe(403);
    expect((await p.as({ sub: 'not-an-id', role: 'citizen' }).get('/citizen/reservations')).status).toBe(403);
  });
});

describe('registry stand-ins', () => {
  it('bulk-imports reservations (operations only) and validates every ID without echoing it', async () => {
    const nins = syntheticNins(250, 80_000);
    expect((await p.as(researcher).put('/registry/reservations', { nins, reserved: true })).status).toBe(403);
    const res = await p.as(ops).put('/registry/reservations', { nins, reserved: true });
    expect(res).toMatchObject({ status: 200, body: { updated: 250, reserved: true } });
    expect((await rawAdapters().reservations.reservedAmong([...nins, carol])).size).toBe(250);

    const bad = await p.as(ops).put('/registry/reservations', { nins: [nins[0], '12345678901'], reserved: false });
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED', details: [{ field: 'nins.1' }] } } });
    expect(bad.text).not.toContain('12345678901');
    expect((await rawAdapters().reservations.reservedAmong([nins[0]!])).size).toBe(1);
  });

  it('sets population facts, merging with what was there; unseen IDs are alive, digital, nb', async () => {
    const [d, e, unseen] = syntheticNins(3, 90_000) as [string, string, string];
    expect((await p.as(ops).put('/registry/population', { nins: [d, e], digitallyActive: false, language: 'nn' })).status).toBe(200);
    expect((await p.as(ops).put('/registry/population', { nins: [d], deceased: true })).status).toBe(200);
    expect((await p.as(ops).put('/registry/population', { nins: [e], known: false })).status).toBe(200);
    const facts = await rawAdapters().population.factsOf([d, e, unseen]);
    expect(facts.get(d)).toEqual({ deceased: true, digitallyActive: false, language: 'nn', known: true });
    expect(facts.get(e)).toEqual({ deceased: false, digitallyActive: false, language: 'nn', known: false });
    expect(facts.get(unseen)).toEqual({ deceased: false, digitallyActive: true, language: 'nb', known: true });
  });
});
