import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticNins } from '../../functions/domain/lists/nin-generator.js';
import { serveConsole } from '../../local/console.js';
import { startTestPlatform, type TestPlatform } from '../setup/platform.js';
import { expectAccessible } from './axe.js';
import { approvedProject } from './browser.js';

/**
 * Issue 22, item 5: while a large list's pre-flight runs in the background, the round's page shows
 * a progress bar with what it waits for, and offers no release; once prepared, it shows the
 * pre-flight. A registry outage holds the preparation still so the browser can see it.
 */
const CHROMIUM = '/usr/bin/chromium';
const ROOT = join(import.meta.dirname, '..', '..');
const hasChromium = existsSync(CHROMIUM);
const ROWS = 6_000; // above the inline limit: 6 chunks on the prepare queue

describe.skipIf(!hasChromium)('console: a round being prepared (Chromium)', () => {
  let platform: TestPlatform;
  let context: BrowserContext;
  let dist: string;
  let profile: string;

  beforeAll(async () => {
    dist = await mkdtemp(join(tmpdir(), 'console-dist-'));
    const built = spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', join(ROOT, 'console', 'vite.config.ts'), '--outDir', dist, '--emptyOutDir', '--logLevel', 'warn'],
      {
        cwd: ROOT,
        encoding: 'utf8',
      },
    );
    if (built.status !== 0) throw new Error(`console build failed:\n${built.stdout}\n${built.stderr}`);
    platform = await startTestPlatform({ extra: serveConsole({ dir: dist }) });
    const { chromium } = await import('playwright-core');
    profile = await mkdtemp(join(tmpdir(), 'chromium-profile-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      viewport: { width: 1400, height: 1000 },
      locale: 'nb-NO',
    });
    context.setDefaultTimeout(30_000);
  }, 240_000);

  afterAll(async () => {
    await context?.close();
    await platform?.stop();
    await rm(dist, { recursive: true, force: true });
    await rm(profile, { recursive: true, force: true });
  });

  it('shows the progress and the register it waits for, no release button, then the pre-flight', { timeout: 300_000 }, async () => {
    // The console's ready-made researcher (and, in approvedProject, superuser) of helse-vest.
    const researcher = platform.as({ sub: 'kari.forsker', role: 'researcher', org: 'helse-vest', name: 'Kari Forsker' });
    const operations = platform.as({ sub: 'ola.drift', role: 'operations', name: 'Ola Drift' });
    const { projectId, letterId } = await approvedProject(platform, 'Nasjonal studie');
    const list = await researcher.post(`/projects/${projectId}/recipient-lists`, `nin\n${syntheticNins(ROWS, 400_000).join('\n')}\n`, 'text/csv');
    expect(list.status, list.text).toBe(201);

    expect((await operations.put('/registry/outage', { registry: 'contact', down: true })).status).toBeLessThan(300);
    const created = await researcher.post(`/projects/${projectId}/rounds`, { letterId, listId: list.body.listId });
    expect(created.status, created.text).toBe(202);
    const roundId = created.body.roundId as string;

    const page = await context.newPage();
    await page.goto(`${platform.url}/`);
    await page.getByRole('button', { name: 'Kari Forsker – forsker, helse-vest' }).click();
    await page.getByRole('button', { name: 'Logg ut' }).waitFor();
    await page.goto(`${platform.url}/console/#/projects/${encodeURIComponent(projectId)}/rounds/${encodeURIComponent(roundId)}`);

    const preparation = page.getByTestId('preparation');
    await preparation.getByRole('heading', { name: 'Forhåndskontroll pågår' }).waitFor();
    await expect(preparation.locator('progress').getAttribute('max')).resolves.toBe(String(ROWS));
    await preparation.getByText(`av ${ROWS.toLocaleString('nb-NO')} mottakere kontrollert`, { exact: false }).waitFor();
    await page.getByTestId('preparation-waiting').getByText('Venter på Kontakt- og reservasjonsregisteret', { exact: false }).waitFor();
    await page.getByText('Forberedes').first().waitFor();
    expect(await page.getByRole('button', { name: 'Send …' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Kanseller runden' }).count()).toBe(1);
    await expectAccessible(page, 'round-preparing');

    // The register answers again: the preparation goes on and the page shows the pre-flight.
    expect((await operations.put('/registry/outage', { registry: 'contact', down: false })).status).toBeLessThan(300);
    await page.getByRole('button', { name: 'Send …' }).waitFor({ timeout: 120_000 });
    expect(await page.getByTestId('preparation').count()).toBe(0);
    await page.getByText('Klar').first().waitFor();
    await expectAccessible(page, 'round-prepared');
  });
});
