import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { serveConsole } from '../../local/console.js';
import { expect } from 'vitest';
import { completeChecklist } from '../integration/checklist.js';
import { startTestPlatform, type TestPlatform } from '../setup/platform.js';

/**
 * What every console browser test needs: the console built as it is now into a directory of the
 * run's own, the platform serving it, and Debian's Chromium (headless, Norwegian locale).
 */
export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
export const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts');
const ROOT = join(import.meta.dirname, '..', '..');

/** The console's ready-made users (the sign-in screen's buttons), and the identities behind them. */
export const USERS = {
  researcher: { button: 'Kari Forsker – forsker, helse-vest', id: { sub: 'kari.forsker', role: 'researcher', org: 'helse-vest', name: 'Kari Forsker' } },
  superuser: { button: 'Sara Superbruker – superbruker, helse-vest', id: { sub: 'sara.superbruker', role: 'superuser', org: 'helse-vest', name: 'Sara Superbruker' } },
  operations: { button: 'Ola Drift – drift', id: { sub: 'ola.drift', role: 'operations', name: 'Ola Drift' } },
} as const;

/**
 * A project of the ready-made researcher's organisation with one letter (nb and nn), submitted and
 * approved by the ready-made superuser through the API: what a browser test's journey starts from.
 */
export const approvedProject = async (platform: TestPlatform, title: string): Promise<{ projectId: string; letterId: string }> => {
  const researcher = platform.as(USERS.researcher.id);
  const superuser = platform.as(USERS.superuser.id);
  const projectId = (await researcher.post('/projects', { title, organization: 'helse-vest' })).body.projectId as string;
  const letter = await researcher.post(`/projects/${projectId}/letters`, {
    title: 'Invitasjon',
    kind: 'letter',
    content: { nb: { subject: 'Invitasjon', body: 'Hei! Vil du delta?' }, nn: { subject: 'Invitasjon', body: 'Hei! Vil du vere med?' } },
  });
  expect(letter.status, letter.text).toBe(201);
  expect((await researcher.post(`/projects/${projectId}/submit`)).status).toBe(200);
  const approved = await superuser.post(`/projects/${projectId}/approve`, { comment: 'Godkjent', checklist: await completeChecklist(superuser, projectId) });
  expect(approved.status, approved.text).toBe(200);
  return { projectId, letterId: letter.body.letterId as string };
};

export interface ConsoleRun {
  readonly platform: TestPlatform;
  readonly context: BrowserContext;
  /** A new page signed in as one of the ready-made users, or as anyone through the form. */
  signIn(who: keyof typeof USERS | { sub: string; role: 'researcher' | 'superuser' | 'operations'; org?: string; name: string }): Promise<Page>;
  stop(): Promise<void>;
}

/** `apiApart`: the API and console on a thread of their own, as npm start runs them (local/platform.ts). */
export const startConsole = async (opts: { env?: Record<string, string>; apiApart?: boolean } = {}): Promise<ConsoleRun> => {
  await mkdir(ARTIFACTS, { recursive: true });
  const dist = await mkdtemp(join(tmpdir(), 'console-dist-'));
  const built = spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', join(ROOT, 'console', 'vite.config.ts'), '--outDir', dist, '--emptyOutDir', '--logLevel', 'warn'],
    {
      cwd: ROOT,
      encoding: 'utf8',
    },
  );
  if (built.status !== 0) throw new Error(`console build failed:\n${built.stdout}\n${built.stderr}`);
  const platform = await startTestPlatform({ ...(opts.apiApart ? { apiApart: { console: { dir: dist } } } : { extra: serveConsole({ dir: dist }) }), ...(opts.env ? { env: opts.env } : {}) });
  const { chromium } = await import('playwright-core');
  const profile = await mkdtemp(join(tmpdir(), 'chromium-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width: 1400, height: 1000 },
    locale: 'nb-NO',
    timezoneId: 'UTC',
  });
  // Generous for a 2-core machine shared with other test files; every wait is for a condition.
  context.setDefaultTimeout(30_000);
  const signIn: ConsoleRun['signIn'] = async (who) => {
    const page = await context.newPage();
    page.on('pageerror', (e) => process.stderr.write(`[page error] ${e.message}\n`));
    await page.goto(`${platform.url}/`);
    await page.getByRole('heading', { level: 1, name: 'Lokal innlogging' }).waitFor();
    if (typeof who === 'string') {
      await page.getByRole('button', { name: USERS[who].button }).click();
    } else {
      await page.getByLabel('Rolle').selectOption(who.role);
      await page.getByLabel('Bruker-ID (sub)').fill(who.sub);
      await page.getByLabel('Navn').fill(who.name);
      if (who.org !== undefined) await page.getByLabel('Organisasjon').fill(who.org);
      await page.getByRole('button', { name: 'Logg inn', exact: true }).click();
    }
    await page.getByRole('button', { name: 'Logg ut' }).waitFor();
    return page;
  };
  return {
    platform,
    context,
    signIn,
    async stop() {
      await context.close();
      await platform.stop();
      await rm(dist, { recursive: true, force: true });
      await rm(profile, { recursive: true, force: true });
    },
  };
};

/**
 * Follows a link as a person would when the page moved under their pointer: clicks, and clicks
 * again if the screen it leads to has not come within a few seconds. A section of the page that
 * finishes loading between Playwright's stability check and its click can shift the link, and the
 * click lands beside it (a CI run's 30,000-round walk stood on the project page after clicking
 * "Nytt brev"). A link that never leads there still fails, after five clicks.
 */
export const follow = async (link: Locator, arrived: Locator): Promise<void> => {
  for (let i = 0; i < 5; i++) {
    // Arrived after all (the screen only came slowly): the link is gone, nothing to click.
    if (await arrived.isVisible()) return;
    await link.click({ timeout: 5_000 }).catch(() => undefined);
    if (
      await arrived.waitFor({ timeout: 5_000 }).then(
        () => true,
        () => false,
      )
    )
      return;
  }
  await arrived.waitFor();
};
