import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible } from './axe.js';
import { ARTIFACTS, CHROMIUM, hasChromium, startConsole, USERS, type ConsoleRun } from './browser.js';

/**
 * Issue 27: the automatic brake on the project screen. Every staff role reads it in words, with
 * what is a default said plainly; the organisation's superuser changes it in a form (labelled
 * number inputs, the server's bounds checked before anything is sent, the server's own refusal
 * shown in words beside the form), and the project's API returns what was saved. A researcher
 * reads it and has nothing to change it with.
 */
describe.skipIf(!hasChromium)(`console: the automatic brake (Chromium at ${CHROMIUM})`, () => {
  let run: ConsoleRun;
  let projectId = '';
  const title = 'Bremsestudien';

  const DEFAULT_SUMMARY =
    'Automatisk brems: runder fra 5\u00a0000 mottakere, vurdert per 1\u00a0000; stanser ved over 10\u00a0% feilet eller avvist, eller over 20 prosentpoeng flere reservert enn i forhåndskontrollen; automatisk prøveutsending: av. Alle verdiene er standard.';
  const CHANGED_SUMMARY =
    'Automatisk brems: runder fra 5\u00a0000 mottakere, vurdert per 500 (standard 1\u00a0000); stanser ved over 10\u00a0% feilet eller avvist, eller over 20 prosentpoeng flere reservert enn i forhåndskontrollen; automatisk prøveutsending: 250 mottakere (standard av). Øvrige verdier er standard.';

  const openProject = async (page: Page) => {
    await page.goto(`${run.platform.url}/#/projects/${projectId}`);
    await page.getByRole('heading', { level: 1, name: title }).waitFor();
    return page.getByRole('region', { name: 'Automatisk brems' });
  };

  beforeAll(async () => {
    run = await startConsole();
    const created = await run.platform.as(USERS.researcher.id).post('/projects', { title, organization: 'helse-vest' });
    expect(created.status, created.text).toBe(201);
    projectId = created.body.projectId as string;
  }, 240_000);

  afterAll(async () => {
    await run?.stop();
  });

  it('a superuser reads the default brake, changes it with the keyboard within the bounds, sees the refusals in words, and the API returns the new brake', { timeout: 180_000 }, async () => {
    const page = await run.signIn('superuser');
    const section = await openProject(page);
    await expect.poll(() => section.getByTestId('brake-summary').textContent()).toBe(DEFAULT_SUMMARY);

    const puts: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'PUT' && r.url().endsWith(`/projects/${projectId}/settings`)) puts.push(r.postData() ?? '');
    });

    // Opened from the keyboard; every input is found by its label and starts at the value in force.
    const toggle = section.getByText('Endre den automatiske bremsen');
    await toggle.focus();
    await page.keyboard.press('Enter');
    const perWindow = section.getByLabel('Vurderes per (mottakere)');
    await perWindow.waitFor();
    expect(await section.getByLabel('Gjelder runder fra (mottakere)').inputValue()).toBe('5000');
    expect(await perWindow.inputValue()).toBe('1000');
    expect(await section.getByLabel('Stanser ved over (% feilet eller avvist)').inputValue()).toBe('10');
    expect(await section.getByLabel('Stanser ved over (prosentpoeng flere reservert enn i forhåndskontrollen)').inputValue()).toBe('20');
    const canary = section.getByLabel('Automatisk prøveutsending (mottakere, 0 = av)');
    expect(await canary.inputValue()).toBe('0');
    await page.screenshot({ path: join(ARTIFACTS, 'console-brake-form.png'), fullPage: true });
    await expectAccessible(page, 'brake-form');

    // Below the server's bound: said beside the field, and nothing is sent.
    await perWindow.fill('50');
    await perWindow.press('Enter');
    await section.getByText('Vurderes per (mottakere): må være minst 100.').waitFor();
    expect(await perWindow.getAttribute('aria-invalid')).toBe('true');
    expect(puts).toEqual([]);
    await expectAccessible(page, 'brake-form-invalid');

    // The server's own refusal (a request it is sent past the form's check) is shown in words with its code.
    await page.route(`**/projects/${projectId}/settings`, (route) => route.continue({ postData: JSON.stringify({ brake: { windowRecipients: 50 } }) }), { times: 1 });
    await perWindow.fill('500');
    const [refused] = await Promise.all([page.waitForResponse((r) => r.url().endsWith(`/projects/${projectId}/settings`)), perWindow.press('Enter')]);
    expect(refused.status()).toBe(400);
    const alert = section.getByRole('alert');
    await alert.getByText('Noen felt er ikke fylt ut riktig.').waitFor();
    await alert.getByText('VALIDATION_FAILED').waitFor();
    await alert.getByText('Vurderes per (mottakere): må være minst 100.').waitFor();
    await expectAccessible(page, 'brake-form-refused');

    // Saved: only what changed is sent, the words follow, and the API returns it.
    await canary.fill('250');
    const [saved] = await Promise.all([page.waitForResponse((r) => r.url().endsWith(`/projects/${projectId}/settings`)), canary.press('Enter')]);
    expect(saved.status(), await saved.text()).toBe(200);
    expect(JSON.parse(puts.at(-1)!)).toEqual({ brake: { windowRecipients: 500, canaryRecipients: 250 } });
    await section.getByText('Bremsen er lagret.').waitFor();
    await expect.poll(() => section.getByTestId('brake-summary').textContent()).toBe(CHANGED_SUMMARY);
    expect(await section.getByRole('alert').count()).toBe(0);
    const project = await run.platform.as(USERS.superuser.id).get(`/projects/${projectId}`);
    expect(project.body.brake).toEqual({ fromRecipients: 5000, windowRecipients: 500, maxFailedPercent: 10, maxReservedExcessPoints: 20, canaryRecipients: 250 });
    expect(project.body.settings.brake).toBeUndefined();
    await page.screenshot({ path: join(ARTIFACTS, 'console-brake-saved.png'), fullPage: true });
    await expectAccessible(page, 'brake-saved');
    await page.close();
  });

  it('a researcher and operations read the brake in force and cannot change it', { timeout: 120_000 }, async () => {
    // As the superuser's form left it (set here too, so this test stands on its own).
    const set = await run.platform.as(USERS.superuser.id).put(`/projects/${projectId}/settings`, { brake: { windowRecipients: 500, canaryRecipients: 250 } });
    expect(set.status, set.text).toBe(200);
    for (const who of ['researcher', 'operations'] as const) {
      const page = await run.signIn(who);
      const section = await openProject(page);
      await expect.poll(() => section.getByTestId('brake-summary').textContent()).toBe(CHANGED_SUMMARY);
      expect(await page.getByText('Endre den automatiske bremsen').count()).toBe(0);
      expect(await page.getByLabel('Vurderes per (mottakere)').count()).toBe(0);
      expect(await section.getByRole('button').count()).toBe(0);
      await expectAccessible(page, `brake-${who}`);
      await page.close();
    }
  });
});
