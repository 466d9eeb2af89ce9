import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticNins } from '../../functions/domain/lists/nin-generator.js';
import { handler as roundWatch } from '../../functions/handlers/round-watch/index.js';
import { expectAccessible } from './axe.js';
import { approvedProject, ARTIFACTS, CHROMIUM, hasChromium, startConsole, USERS, type ConsoleRun } from './browser.js';

/**
 * Issue 27: the operations page's failover panel on a georedundant stage (API.md `POST
 * /operations/failover`, four-eyes). The local platform runs as eu-north-1 of a two-region stage:
 * the panel lists both regions with their health and the rounds each is home of (by name), one
 * operations user asks, the same user cannot confirm, a second one finds the request in the list of
 * pending failovers (GET /operations/failovers?status=pending) and confirms it from there.
 */
describe.skipIf(!hasChromium)(`console: failover panel (Chromium at ${CHROMIUM})`, () => {
  let run: ConsoleRun;
  let reference = '';

  beforeAll(async () => {
    run = await startConsole({ env: { GEO_REGIONS: 'eu-north-1,eu-west-1' } });
  }, 240_000);

  /** An active round to be home of, and this region's heartbeat. */
  const arrange = async () => {
    // An active round to be home of: released with a canary, it waits in canary_hold.
    const researcher = run.platform.as(USERS.researcher.id);
    const { projectId, letterId } = await approvedProject(run.platform, 'Regionstudien');
    const list = await researcher.post(`/projects/${projectId}/recipient-lists`, `nin\n${syntheticNins(20, 913_000).join('\n')}\n`, 'text/csv');
    expect(list.status, list.text).toBe(201);
    const round = await researcher.post(`/projects/${projectId}/rounds`, { letterId, listId: list.body.listId, canary: { size: 5 } });
    expect(round.status, round.text).toBe(201);
    const released = await researcher.post(`/projects/${projectId}/rounds/${round.body.roundId}/release`);
    expect(released.status, released.text).toBe(202);
    await expect.poll(async () => (await researcher.get(`/projects/${projectId}/rounds/${round.body.roundId}`)).body.status, { timeout: 120_000, interval: 500 }).toBe('canary_hold');
    // This region's round watch beats: eu-north-1 reads as healthy, eu-west-1 (no beat) does not.
    await roundWatch();
  };

  afterAll(async () => {
    await run?.stop();
  });

  it('shows the regions, their health and the rounds each is home of, by name', { timeout: 300_000 }, async () => {
    await arrange();
    const page = await run.signIn('operations');
    await page.getByRole('heading', { level: 1, name: 'Drift' }).waitFor();
    const panel = page.getByTestId('failover');
    await panel.getByRole('heading', { name: 'Regioner og regionflytting (failover)' }).waitFor();
    const north = panel.locator('tr[data-region="eu-north-1"]');
    const west = panel.locator('tr[data-region="eu-west-1"]');
    await expect.poll(() => north.textContent()).toContain('Svarer (livstegn siste 3 minutter)');
    await expect.poll(() => north.textContent()).toContain('Runde 1 · Invitasjon v1 · 20 mottakere');
    expect(await west.textContent()).toContain('Ingen livstegn siste 3 minutter');
    expect(await west.textContent()).toContain('ingen aktive runder');
    // The pending requests are read from the API: none yet.
    await panel.getByTestId('failover-pending').getByText('Ingen regionflyttinger venter på bekreftelse.').waitFor();
    await page.close();
  });

  it('one operations user asks (with a reason), cannot confirm it; a second one confirms it from the list of pending ones', { timeout: 180_000 }, async () => {
    const asker = await run.signIn('operations');
    const panel = asker.getByTestId('failover');
    await panel.locator('tr[data-region="eu-north-1"]').waitFor();
    await panel.getByLabel('Flytt til region').selectOption('eu-north-1');
    await panel.getByRole('button', { name: 'Be om regionflytting' }).click();
    await panel.getByText('Begrunnelse må fylles ut (minst 3 tegn).').waitFor();
    await panel.getByLabel('Hvorfor flyttes utsendingen?').fill('Øvelse: tilbakeflytting etter test');
    const [asked] = await Promise.all([
      asker.waitForResponse((r) => r.url().endsWith('/operations/failover') && r.request().method() === 'POST'),
      panel.getByRole('button', { name: 'Be om regionflytting' }).click(),
    ]);
    expect(asked.status()).toBe(201);
    reference = ((await asked.json()) as { failoverId: string }).failoverId;
    const pending = panel.getByTestId('failover-pending').locator(`li[data-failover="${reference}"]`);
    await expect.poll(() => pending.textContent()).toContain(`Referanse: ${reference}`);
    expect(await pending.textContent()).toMatch(/^Regionflytting til eu-north-1 er bedt om av Ola Drift \d{2}\.\d{2}\.\d{4}, \d{2}:\d{2}:\d{2}/);
    expect(await pending.textContent()).toContain('Begrunnelse: Øvelse: tilbakeflytting etter test');
    // Four eyes: the one who asked is offered no confirm button on their own request …
    expect(await pending.textContent()).toContain('Du ba om denne: en annen person må bekrefte den.');
    expect(await pending.getByRole('button').count()).toBe(0);

    // … and is refused, in Norwegian, when confirming it by the reference.
    await panel.getByLabel('Referanse').fill(reference);
    await panel.getByRole('button', { name: 'Bekreft regionflytting', exact: true }).click();
    await panel.getByText('fire øyne', { exact: false }).waitFor();
    await asker.screenshot({ path: join(ARTIFACTS, 'console-failover-asked.png'), fullPage: true });
    await expectAccessible(asker, 'failover-asked');

    // The second person finds the request in the list (asked by someone else: named by the name their sign-in gave) and confirms it there.
    const second = await run.signIn({ sub: 'per.drift', role: 'operations', name: 'Per Drift' });
    const panel2 = second.getByTestId('failover');
    const listed = panel2.getByTestId('failover-pending').locator(`li[data-failover="${reference}"]`);
    await expect.poll(() => listed.textContent()).toContain('er bedt om av Ola Drift');
    const [confirmed] = await Promise.all([
      second.waitForResponse((r) => r.url().endsWith(`/operations/failover/${reference}/confirm`) && r.request().method() === 'POST'),
      listed.getByRole('button', { name: 'Bekreft regionflytting til eu-north-1' }).click(),
    ]);
    expect(confirmed.status()).toBe(200);
    await panel2.getByText(/^Regionflyttingen til eu-north-1 er utført: 0 runde\(r\) flyttet, bekreftet av Per Drift /).waitFor();
    // Executed, it leaves the list of pending ones.
    await panel2.getByTestId('failover-pending').getByText('Ingen regionflyttinger venter på bekreftelse.').waitFor();
    await second.screenshot({ path: join(ARTIFACTS, 'console-failover-confirmed.png'), fullPage: true });
    await expectAccessible(second, 'failover-confirmed');
    await second.close();
    await asker.close();
  });
});
