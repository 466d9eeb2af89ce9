import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticNins } from '../../functions/domain/lists/nin-generator.js';
import { approvedProject, CHROMIUM, hasChromium, startConsole, USERS, type ConsoleRun } from './browser.js';

/**
 * Issue 27: the two journeys that matter most in a crisis, with the keyboard only — a researcher
 * releases a round, operations pauses the project and resumes it. Nothing here clicks: focus moves
 * by Tab (and Shift+Tab), buttons are pressed with Enter or Space, text is typed where the focus is.
 * Each step also checks where the focus lands, since a keyboard user cannot look for it.
 */
describe.skipIf(!hasChromium)(`console: keyboard only (Chromium at ${CHROMIUM})`, () => {
  let run: ConsoleRun;
  let projectId = '';
  let roundId = '';
  const title = 'Tastaturstudien';
  const size = 12;

  /** What has the focus: its tag and its accessible name (aria-label, else its label, else its text). */
  const focused = (page: Page) =>
    page.evaluate(() => {
      type El = { tagName: string; getAttribute(n: string): string | null; textContent: string | null; labels?: ArrayLike<{ textContent: string | null }> | null };
      const el = (globalThis as unknown as { document: { activeElement: El | null } }).document.activeElement;
      if (!el) return { tag: '', name: '' };
      const label = el.labels && el.labels.length > 0 ? el.labels[0]!.textContent : null;
      return { tag: el.tagName.toLowerCase(), name: (el.getAttribute('aria-label') ?? label ?? el.textContent ?? '').trim() };
    });

  /** Presses Tab (or Shift+Tab) until the focus is on the element named `name` (at most `max` presses), as a keyboard user would. */
  const tabTo = async (page: Page, name: string | RegExp, max = 120, key: 'Tab' | 'Shift+Tab' = 'Tab'): Promise<void> => {
    for (let i = 0; i < max; i++) {
      const f = await focused(page);
      if (typeof name === 'string' ? f.name === name : name.test(f.name)) return;
      await page.keyboard.press(key);
    }
    throw new Error(`"${String(name)}" cannot be reached with ${key} (after ${max} presses)`);
  };

  beforeAll(async () => {
    run = await startConsole();
    const researcher = run.platform.as(USERS.researcher.id);
    const project = await approvedProject(run.platform, title);
    projectId = project.projectId;
    const list = await researcher.post(`/projects/${projectId}/recipient-lists`, `nin\n${syntheticNins(size, 917_000).join('\n')}\n`, 'text/csv');
    expect(list.status, list.text).toBe(201);
    // A canary keeps the round active (in canary_hold) for the pause below.
    const round = await researcher.post(`/projects/${projectId}/rounds`, { letterId: project.letterId, listId: list.body.listId, canary: { size: 3 } });
    expect(round.status, round.text).toBe(201);
    roundId = round.body.roundId as string;
  }, 240_000);

  afterAll(async () => {
    await run?.stop();
  });

  it('a researcher releases a round with the keyboard: Enter opens the confirmation, focus starts on Avbryt, and the button naming the letters sends', { timeout: 180_000 }, async () => {
    const page = await run.signIn('researcher');
    await page.goto(`${run.platform.url}/#/projects/${projectId}/rounds/${roundId}`);
    await page.getByRole('table', { name: 'Forhåndskontroll' }).waitFor();
    const releases: number[] = [];
    page.on('response', (r) => {
      if (r.request().method() === 'POST' && r.url().endsWith(`/rounds/${roundId}/release`)) releases.push(r.status());
    });
    await tabTo(page, 'Send …');
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Bekreft utsending' });
    await dialog.waitFor();
    // The safe choice has the focus; the send button names the number of letters, pressed with Space.
    expect(await focused(page)).toMatchObject({ tag: 'button', name: 'Avbryt' });
    // Escape closes it and Enter at once opens it again, every time: Chromium fires the dialog's
    // `close` event a moment after the Escape, and an Enter that lands before it must still open
    // the dialog (it once opened nothing, about one time in six). Twenty times makes a return of
    // that race all but certain to show.
    for (let i = 0; i < 20; i++) {
      await page.keyboard.press('Escape');
      await page.keyboard.press('Enter');
      await dialog.waitFor({ timeout: 5_000 });
      await page.waitForTimeout(100);
      expect(await dialog.isVisible(), `reopened with Enter at once after Escape (time ${i + 1})`).toBe(true);
      expect(await focused(page)).toMatchObject({ tag: 'button', name: 'Avbryt' });
    }
    expect(releases).toEqual([]);
    await tabTo(page, /^Send \d+ brev$/, 30);
    const [released] = await Promise.all([page.waitForResponse((r) => r.url().endsWith(`/rounds/${roundId}/release`) && r.request().method() === 'POST'), page.keyboard.press('Space')]);
    expect(released.status()).toBe(202);
    await page.getByText('Runden er sluppet og sendes nå.').waitFor();
    expect(releases).toEqual([202]);
    await expect.poll(async () => (await run.platform.as(USERS.researcher.id).get(`/projects/${projectId}/rounds/${roundId}`)).body.status, { timeout: 120_000, interval: 500 }).toBe('canary_hold');
    await page.close();
  });

  it('operations pause the project and resume it with the keyboard: the reason is required, the acknowledgement is announced, Escape leaves without pausing', { timeout: 180_000 }, async () => {
    const page = await run.signIn('operations');
    await page.getByRole('heading', { level: 1, name: 'Drift' }).waitFor();
    await page.locator(`tr[data-project="${projectId}"]`).waitFor();
    await tabTo(page, `Pause ${title}`);
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: `Pause prosjektet «${title}»` });
    await dialog.waitFor();
    // Without a reason nothing is sent, and the error says why.
    await tabTo(page, 'Pause', 10);
    await page.keyboard.press('Enter');
    await dialog.getByText('Begrunnelse må fylles ut').waitFor();
    await tabTo(page, /^Hvorfor pauses prosjektet\?/, 10, 'Shift+Tab');
    expect((await focused(page)).tag).toMatch(/^(textarea|input)$/);
    await page.keyboard.type('Feil i teksten, meldt av innbygger');
    await tabTo(page, 'Pause', 10);
    const [paused] = await Promise.all([page.waitForResponse((r) => r.url().endsWith(`/projects/${projectId}/pause`)), page.keyboard.press('Enter')]);
    expect(paused.status()).toBe(200);
    const row = page.locator(`tr[data-project="${projectId}"]`);
    const ack = row.getByTestId('pause-ack');
    await expect.poll(() => ack.textContent(), { timeout: 10_000 }).toMatch(/^Pauset .+ av .+ – 0 brev sendt siden\.$/);
    // Announced to a screen reader where it appears.
    expect(await ack.evaluate((el) => el.closest('[role="status"], [aria-live]') !== null)).toBe(true);
    expect((await run.platform.as({ sub: 'ops-check', role: 'operations' }).get(`/projects/${projectId}`)).body.status).toBe('paused');
    await tabTo(page, `Gjenoppta ${title}`);
    await page.keyboard.press('Enter');
    await page.getByText(`${title}: Prosjektet er gjenopptatt.`).waitFor();
    expect((await run.platform.as({ sub: 'ops-check', role: 'operations' }).get(`/projects/${projectId}`)).body.status).toBe('approved');
    // Escape leaves the dialog without pausing, and the focus goes back to the button that opened it.
    const pauses: number[] = [];
    page.on('response', (r) => {
      if (r.url().endsWith(`/projects/${projectId}/pause`)) pauses.push(r.status());
    });
    await tabTo(page, `Pause ${title}`);
    await page.keyboard.press('Enter');
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect(await focused(page)).toMatchObject({ tag: 'button', name: `Pause ${title}` });
    expect(pauses).toEqual([]);
    expect((await run.platform.as({ sub: 'ops-check', role: 'operations' }).get(`/projects/${projectId}`)).body.status).toBe('approved');
    await page.close();
  });
});
