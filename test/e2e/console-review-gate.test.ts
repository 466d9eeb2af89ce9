import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticNins } from '../../functions/domain/lists/nin-generator.js';
import { expectAccessible } from './axe.js';
import { ARTIFACTS, CHROMIUM, hasChromium, startConsole, USERS, type ConsoleRun } from './browser.js';

/**
 * Issue 27: the superuser sees the quality gate's result (the automated check of each letter's
 * current version) above the review checklist, before answering it — not as QUALITY_CHECK_FAILED
 * after all seven items. A letter with an error keeps "Godkjenn" closed whatever is ticked.
 */
describe.skipIf(!hasChromium)(`console: the quality gate above the review checklist (Chromium at ${CHROMIUM})`, () => {
  let run: ConsoleRun;
  const ids: { failing?: string; passing?: string } = {};

  beforeAll(async () => {
    run = await startConsole();
    const researcher = run.platform.as(USERS.researcher.id);
    const project = async (title: string, body: string) => {
      const projectId = (await researcher.post('/projects', { title, organization: 'helse-vest' })).body.projectId as string;
      const letter = await researcher.post(`/projects/${projectId}/letters`, {
        title: 'Invitasjon',
        kind: 'letter',
        content: { nb: { subject: 'Invitasjon', body }, nn: { subject: 'Invitasjon', body } },
      });
      expect(letter.status, letter.text).toBe(201);
      // The API submits whatever the check says (it binds at approval): the review must show it.
      const submitted = await researcher.post(`/projects/${projectId}/submit`);
      expect(submitted.status, submitted.text).toBe(200);
      return projectId;
    };
    ids.failing = await project('Kontrollstudien med feil', 'Hei {{fornavn}}! Vil du delta?');
    ids.passing = await project('Kontrollstudien uten feil', 'Hei! Vil du delta?');
  }, 240_000);

  afterAll(async () => {
    await run?.stop();
  });

  const openReview = async (page: Page, projectId: string, title: string) => {
    await page.goto(`${run.platform.url}/console/#/review/${encodeURIComponent(projectId)}`);
    await page.getByRole('heading', { level: 1, name: `Kontroll: ${title}` }).waitFor();
    const gate = page.getByTestId('quality-gate');
    await gate.getByRole('heading', { name: 'Automatisk kontroll av brevene' }).waitFor();
    // The gate sits above the checklist: the superuser reads it first.
    const before = await page.evaluate(() => {
      const d = (globalThis as unknown as { document: { querySelector(s: string): { compareDocumentPosition(o: unknown): number } | null } }).document;
      const g = d.querySelector('[data-testid="quality-gate"]');
      const checklist = d.querySelector('fieldset');
      return !!g && !!checklist && (g.compareDocumentPosition(checklist) & 4) === 4;
    });
    expect(before).toBe(true);
    return gate;
  };

  const tickAll = async (page: Page) => {
    const boxes = page.getByRole('group', { name: 'Sjekkliste' }).getByRole('checkbox');
    await expect.poll(() => boxes.count()).toBeGreaterThanOrEqual(5);
    for (const box of await boxes.all()) await box.check();
  };

  it('a letter whose check has an error: the finding in Norwegian above the checklist, and approval stays closed', { timeout: 180_000 }, async () => {
    const page = await run.signIn('superuser');
    const gate = await openReview(page, ids.failing!, 'Kontrollstudien med feil');
    await expect.poll(() => gate.getAttribute('data-gate'), { timeout: 60_000 }).toBe('failed');
    await gate.locator('[data-code="UNKNOWN_PLACEHOLDER"]').first().waitFor();
    const text = (await gate.textContent()) ?? '';
    expect(text).toContain('Flettefeltet {{fornavn}}');
    expect(text).toContain('er ikke deklarert');
    expect(text).not.toMatch(/UNKNOWN_PLACEHOLDER|not a declared field/);
    await gate.getByTestId('gate-verdict').getByText('Prosjektet kan ikke godkjennes før feilene over er rettet.', { exact: false }).waitFor();
    await tickAll(page);
    expect(await page.getByRole('button', { name: 'Godkjenn prosjektet' }).isDisabled()).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'console-review-gate-failed.png'), fullPage: true });
    await expectAccessible(page, 'review-gate-failed');
    await page.close();
  });

  it('letters that pass: the gate says so, and the checklist alone decides', { timeout: 180_000 }, async () => {
    const page = await run.signIn('superuser');
    const gate = await openReview(page, ids.passing!, 'Kontrollstudien uten feil');
    await expect.poll(() => gate.getAttribute('data-gate'), { timeout: 60_000 }).toBe('passed');
    await gate.getByText('Invitasjon (v1)').waitFor();
    await gate.getByTestId('gate-verdict').getByText('Alle brevene besto den automatiske kontrollen.', { exact: false }).waitFor();
    expect(await page.getByRole('button', { name: 'Godkjenn prosjektet' }).isDisabled()).toBe(true);
    await tickAll(page);
    await expect.poll(() => page.getByRole('button', { name: 'Godkjenn prosjektet' }).isDisabled()).toBe(false);
    await page.screenshot({ path: join(ARTIFACTS, 'console-review-gate-passed.png'), fullPage: true });
    await expectAccessible(page, 'review-gate-passed');
    await page.getByRole('button', { name: 'Godkjenn prosjektet' }).click();
    await page.getByText('Prosjektet er godkjent.').waitFor();
    await page.close();
  });

  it('the review page names its rounds (number, letter and version, size), never by id', { timeout: 180_000 }, async () => {
    const researcher = run.platform.as(USERS.researcher.id);
    const projectId = ids.passing!;
    const letters = await researcher.get(`/projects/${projectId}/letters`);
    const letterId = letters.body.items[0].letterId as string;
    const list = await researcher.post(`/projects/${projectId}/recipient-lists`, `nin\n${syntheticNins(3, 812_000).join('\n')}\n`, 'text/csv');
    expect(list.status, list.text).toBe(201);
    const round = await researcher.post(`/projects/${projectId}/rounds`, { letterId, listId: list.body.listId });
    expect(round.status, round.text).toBe(201);
    const roundId = round.body.roundId as string;

    const page = await run.signIn('superuser');
    await openReview(page, projectId, 'Kontrollstudien uten feil');
    const preview = page.getByRole('region', { name: 'Slik leser mottakerne brevet' });
    await preview.getByRole('link', { name: 'Runde 1 · Invitasjon v1 · 3 mottakere' }).waitFor();
    expect(await page.locator('main').textContent()).not.toContain(roundId);
    await expectAccessible(page, 'review-rounds-named');
    await page.close();
  });
});
