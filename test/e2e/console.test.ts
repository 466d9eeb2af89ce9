import type { Preflight } from '../../console/src/api-types.js';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page, Response } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { confirmationText } from '../../console/src/format.js';
import { syntheticNins } from '../../functions/domain/lists/nin-generator.js';
import { apiRoutes, routeKey } from '../../functions/handlers/routes.js';
import { serveConsole } from '../../local/console.js';
import { rawAdapters } from '../../functions/adapters/index.js';
import { readFile } from 'node:fs/promises';
import { startTestPlatform, type TestPlatform } from '../setup/platform.js';
import { expectAccessible } from './axe.js';
import { follow } from './browser.js';

/**
 * The console driven in Debian's Chromium through the whole flow: a researcher writes and submits,
 * a superuser approves, the researcher uploads a list and releases, operations pauses and resumes,
 * the round completes. Each step names the API routes it needs; a step whose routes the platform
 * does not serve yet is reported as skipped (with the missing routes in its name), never passed.
 */
const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts');
const ROOT = join(import.meta.dirname, '..', '..');
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  process.stderr.write(`console e2e: SKIPPED — ${CHROMIUM} not found. Install it with: apt-get update && apt-get install -y chromium\n`);
}

const served = new Set(apiRoutes.map(routeKey));
const steps: string[][] = [];
/**
 * Registers a step needing `routes` (and every earlier step's routes, since the flow is one story).
 * Returns the `it` to use and the name suffix listing what is missing.
 */
const step = (routes: string[]) => {
  steps.push(routes);
  const missing = steps.flat().filter((r) => !served.has(r));
  const uniq = [...new Set(missing)];
  return { run: uniq.length === 0 ? it : it.skip, note: uniq.length ? ` [not yet runnable, missing: ${uniq.join(', ')}]` : '' };
};

const RESEARCHER = 'Kari Forsker – forsker, helse-vest';
const SUPERUSER = 'Sara Superbruker – superbruker, helse-vest';
const OPERATIONS = 'Ola Drift – drift';
const LIST_SIZE = 400;
const RESERVED = 25;
const CANARY = 50;

describe.skipIf(!hasChromium)(`console in Chromium (skipped only when ${CHROMIUM} is absent)`, () => {
  let platform: TestPlatform;
  let links: Server;
  let linkBase: string;
  let context: BrowserContext;
  let dist: string;
  let profile: string;
  const state: { projectId?: string; letterId?: string; roundId?: string; preflight?: Preflight; title: string; nins: string[] } = {
    title: `Søvnstudien ${Date.now().toString(36)}`,
    nins: syntheticNins(LIST_SIZE, 7_000),
  };
  const pages: Partial<Record<'researcher' | 'superuser' | 'operations', Page>> = {};

  // Every screen that is pictured is also checked with axe-core: no moderate, serious or critical finding.
  const shot = async (page: Page, name: string) => {
    await page.screenshot({ path: join(ARTIFACTS, `console-${name}.png`), fullPage: true });
    await expectAccessible(page, name);
  };

  const signIn = async (who: 'researcher' | 'superuser' | 'operations', preset: string) => {
    const page = await context.newPage();
    page.on('pageerror', (e) => process.stderr.write(`[${who} page error] ${e.message}\n`));
    await page.goto(`${platform.url}/`);
    await page.getByRole('heading', { level: 1, name: 'Lokal innlogging' }).waitFor();
    if (who === 'researcher') await expectAccessible(page, '00-sign-in');
    await page.getByRole('button', { name: preset }).click();
    await page.getByRole('button', { name: 'Logg ut' }).waitFor();
    pages[who] = page;
    return page;
  };

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    // Build the console as it is now, into a directory of this run's own.
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

    // Link targets for the letter check: plain http on 127.0.0.1 is the local development allowlist.
    links = createServer((req, res) => {
      res.writeHead(req.url?.startsWith('/ok') ? 200 : 404, { 'content-type': 'text/plain' });
      res.end();
    });
    await new Promise<void>((r) => links.listen(0, '127.0.0.1', r));
    const addr = links.address();
    linkBase = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;

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
    context.setDefaultTimeout(20_000);
  }, 180_000);

  // A failed step leaves a picture of every open screen beside the others.
  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== 'fail') return;
    const slug = ctx.task.name.slice(0, 40).replace(/[^a-z0-9]+/gi, '-');
    for (const [who, page] of Object.entries(pages)) await page?.screenshot({ path: join(ARTIFACTS, `console-FAILED-${slug}-${who}.png`), fullPage: true }).catch(() => undefined);
  });

  afterAll(async () => {
    await context?.close();
    await platform?.stop();
    await new Promise<void>((r) => (links ? links.close(() => r()) : r()));
    if (dist) await rm(dist, { recursive: true, force: true });
    if (profile) await rm(profile, { recursive: true, force: true });
  });

  const s1 = step(['POST /projects', 'GET /projects', 'GET /projects/{projectId}']);
  s1.run(`a researcher signs in and creates a project${s1.note}`, async () => {
    const page = await signIn('researcher', RESEARCHER);
    await page.getByRole('heading', { level: 1, name: 'Prosjekter' }).waitFor();
    await page.getByLabel('Prosjekttittel').fill(state.title);
    await page.getByLabel('Tillatte domener for lenker').fill('127.0.0.1');
    await page.getByRole('button', { name: 'Opprett prosjekt' }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toContain(`«${state.title}» er opprettet`);
    const link = page.getByRole('link', { name: state.title });
    const row = page.getByRole('row').filter({ has: link });
    await expect.poll(() => row.textContent()).toContain('Utkast');
    await shot(page, '01-projects');
    await link.click();
    await page.getByRole('heading', { level: 1, name: state.title }).waitFor();
    state.projectId = decodeURIComponent(/#\/projects\/([^/]+)$/.exec(page.url())![1]!);
    expect(state.projectId).toBeTruthy();
  });

  const s2 = step([
    'POST /projects/{projectId}/letters',
    'GET /projects/{projectId}/letters/{letterId}',
    'PUT /projects/{projectId}/letters/{letterId}',
    'POST /projects/{projectId}/letters/{letterId}/check',
  ]);
  s2.run(`the researcher writes a letter in bokmål, nynorsk and English; the check marks the broken link, which is mended${s2.note}`, async () => {
    const page = pages.researcher!;
    await follow(page.getByRole('link', { name: 'Nytt brev' }), page.getByRole('heading', { level: 1, name: 'Nytt brev' }));
    const broken = `${linkBase}/missing`;
    await page.getByLabel('Brevets tittel (internt)').fill('Invitasjon');
    await page.getByLabel('Emne (nb)').fill('Invitasjon til Søvnstudien');
    await page.getByLabel('Tekst (nb)').fill(`Hei!\nLes mer på ${broken} før du svarer. <b>Ikke HTML</b>`);
    await page.getByLabel('Emne (nn)').fill('Invitasjon til Søvnstudien');
    await page.getByLabel('Tekst (nn)').fill(`Hei!\nLes meir på ${broken} før du svarar.`);
    await page.getByLabel('Emne (en)').fill('Invitation to the Sleep Study');
    await page.getByLabel('Tekst (en)').fill(`Hello!\nRead more at ${broken} before you answer.`);

    // Merge fields are declared in the editor: a placeholder in the text that is not declared is
    // named, and one press declares it (the field is then sent as `fields`).
    await page.getByLabel('Tekst (en)').fill(`Hello {{firstName}}!\nRead more at ${broken} before you answer.`);
    await page.getByTestId('undeclared-fields').getByText('{{firstName}}').waitFor();
    await page.getByTestId('undeclared-fields').getByRole('button', { name: 'Legg dem til' }).click();
    expect(await page.getByTestId('merge-fields').inputValue()).toBe('firstName');
    expect(await page.getByTestId('undeclared-fields').count()).toBe(0);
    await page.getByTestId('merge-fields').fill('');
    await page.getByLabel('Tekst (en)').fill(`Hello!\nRead more at ${broken} before you answer.`);

    // Live preview, as text, with the standard footer in each language.
    const nb = page.getByRole('region', { name: 'Forhåndsvisning – Bokmål' });
    await expect.poll(() => nb.textContent()).toContain('<b>Ikke HTML</b>');
    expect(await nb.locator('b').count()).toBe(0);
    expect(await nb.textContent()).toContain('Det er frivillig å delta');
    expect(await page.getByRole('region', { name: 'Forhåndsvisning – Nynorsk' }).textContent()).toContain('Avsendar: helse-vest');
    expect(await page.getByRole('region', { name: 'Forhåndsvisning – Engelsk' }).textContent()).toContain('Participation is voluntary');

    await page.getByRole('button', { name: 'Opprett brev' }).click();
    await page.getByText('Lagret som versjon 1.').waitFor();
    state.letterId = decodeURIComponent(/letters\/([^/]+)$/.exec(page.url())![1]!);

    await page.getByRole('button', { name: 'Kjør automatisk kontroll' }).click();
    const flagged = nb.locator('mark.bad-link[data-finding="BROKEN_LINK"]');
    await flagged.waitFor();
    expect(await flagged.textContent()).toContain(broken);
    // The finding in Norwegian with the fix named; no internal code or reason on screen.
    const result = (await page.locator('.check-result').textContent()) ?? '';
    expect(await page.locator('.check-result [data-code="BROKEN_LINK"]').count()).toBeGreaterThan(0);
    expect(result).toContain('Sjekk adressen, eller rett lenken.');
    expect(result).not.toMatch(/BROKEN_LINK|NETWORK|HTTP_STATUS/);
    await shot(page, '02-letter-broken-link');

    const ok = `${linkBase}/ok`;
    for (const [label, text] of [
      ['Tekst (nb)', `Hei!\nLes mer på ${ok} før du svarer. <b>Ikke HTML</b>`],
      ['Tekst (nn)', `Hei!\nLes meir på ${ok} før du svarar.`],
      ['Tekst (en)', `Hello!\nRead more at ${ok} before you answer.`],
    ] as const) {
      await page.getByLabel(label).fill(text);
    }
    await page.getByRole('button', { name: 'Lagre ny versjon' }).click();
    await page.getByText('Lagret som versjon 2.').waitFor();
    await page.getByRole('button', { name: 'Kjør automatisk kontroll' }).click();
    await page.getByText('Kontrollen fant ingen feil.').waitFor();
    expect(await nb.locator('mark.bad-link').count()).toBe(0);
    await shot(page, '03-letter-checked');
  });

  const s3 = step(['POST /projects/{projectId}/submit']);
  s3.run(`the researcher submits the project for review${s3.note}`, async () => {
    const page = pages.researcher!;
    await page.goto(`${platform.url}/console/#/projects/${encodeURIComponent(state.projectId!)}`);
    await page.getByRole('button', { name: 'Send til kontroll' }).click();
    await page.getByText('Prosjektet er sendt til kontroll.').waitFor();
    await expect.poll(() => page.locator('.summary').textContent()).toContain('Til kontroll');
  });

  const s4 = step(['GET /projects/{projectId}/letters', 'GET /projects/{projectId}/checklist', 'POST /projects/{projectId}/approve']);
  s4.run(`a superuser of the organisation finds it in the review queue, goes through the checklist and approves${s4.note}`, async () => {
    const page = await signIn('superuser', SUPERUSER);
    await page.getByRole('heading', { level: 1, name: 'Kontrollkø' }).waitFor();
    await page.getByRole('link', { name: state.title }).click();
    await page.getByRole('heading', { level: 1, name: `Kontroll: ${state.title}` }).waitFor();
    // The letter's heading in the diff; the quality gate above the checklist names it too, once its check is read.
    await page.getByText('Invitasjon (v2)').first().waitFor();
    // The checklist is mandatory: approve stays disabled until every item is answered.
    await expect.poll(() => page.getByRole('button', { name: 'Godkjenn prosjektet' }).isDisabled()).toBe(true);
    await page.getByText('Godkjenn blir tilgjengelig når hvert punkt er krysset av eller har en merknad.').waitFor();
    const boxes = page.getByRole('group', { name: 'Sjekkliste' }).getByRole('checkbox');
    expect(await boxes.count()).toBeGreaterThanOrEqual(5);
    for (const box of await boxes.all()) await box.check();
    await page.getByLabel('Kommentar').fill('Ser bra ut.');
    await shot(page, '04-review');
    await page.getByRole('button', { name: 'Godkjenn prosjektet' }).click();
    await page.getByText('Prosjektet er godkjent.').waitFor();
    await expect.poll(() => page.locator('.summary').textContent()).toContain('Godkjent');
  });

  const s5 = step(['POST /projects/{projectId}/recipient-lists', 'GET /projects/{projectId}/recipient-lists']);
  s5.run(`the researcher uploads a recipient list and sees the rejected rows by row number${s5.note}`, async () => {
    const page = pages.researcher!;
    await page.goto(`${platform.url}/console/#/projects/${encodeURIComponent(state.projectId!)}`);
    await page.getByRole('heading', { level: 1, name: state.title }).waitFor();
    const csv = ['nin;language', ...state.nins.map((n, i) => `${n};${i % 3 === 0 ? 'nn' : 'nb'}`), '12345678901;nb', 'abc;nb', `${state.nins[0]};en`].join('\r\n');
    await page.getByLabel('Last opp mottakerliste (CSV)').setInputFiles({ name: 'mottakere.csv', mimeType: 'text/csv', buffer: Buffer.from(csv, 'utf8') });
    const [upload] = await Promise.all([
      page.waitForResponse((r: Response) => r.url().endsWith('/recipient-lists') && r.request().method() === 'POST'),
      page.getByRole('button', { name: 'Last opp', exact: true }).click(),
    ]);
    const body = (await upload.json()) as { listId: string; rows: number; accepted: number; rejected: { row: number; code: string }[]; duplicatesInList: number };
    expect(body.accepted).toBe(LIST_SIZE);
    expect(body.rejected).toHaveLength(2);
    const table = page.getByRole('table', { name: 'Avviste rader' });
    await table.waitFor();
    const shown = await table.locator('tbody th').allTextContents();
    expect(shown.map(Number)).toEqual(body.rejected.map((r) => r.row));
    expect(await page.locator('.list-result').textContent()).toContain(`${LIST_SIZE} godtatt, 2 avvist, 1 duplikater`);
    // Nothing of an ID is echoed on screen.
    expect(await page.locator('.list-result').textContent()).not.toContain('12345678901');
    await shot(page, '05-list-uploaded');
  });

  const s6 = step([
    'PUT /registry/reservations',
    'POST /projects/{projectId}/rounds',
    'GET /projects/{projectId}/rounds',
    'GET /projects/{projectId}/rounds/{roundId}',
    'POST /projects/{projectId}/rounds/{roundId}/release',
  ]);
  s6.run(`the researcher creates a round with a canary, reads the pre-flight report and the confirmation, releases it, and the canary goes out${s6.note}`, async () => {
    const ops = platform.as({ sub: 'ops-arrange', role: 'operations' });
    const reserved = await ops.put('/registry/reservations', { nins: state.nins.slice(0, RESERVED), reserved: true });
    expect(reserved.status).toBeLessThan(300);

    const page = pages.researcher!;
    await page.reload();
    await page.getByRole('heading', { level: 1, name: state.title }).waitFor();
    await page.getByLabel('Prøveutsending først (antall, valgfritt)').fill(String(CANARY));
    const [created] = await Promise.all([
      page.waitForResponse((r: Response) => r.url().endsWith('/rounds') && r.request().method() === 'POST'),
      page.getByRole('button', { name: 'Lag runde og vis forhåndskontroll' }).click(),
    ]);
    const round = (await created.json()) as { roundId: string; status: string; preflight: Preflight };
    expect(round.status).toBe('ready');
    expect(round.preflight.reserved).toBe(RESERVED);
    state.roundId = round.roundId;
    state.preflight = round.preflight;
    await page.getByRole('table', { name: 'Forhåndskontroll' }).waitFor();
    // The prepared round as it is before the dialog opens (the modal makes the page behind it inert, hidden from axe).
    await expectAccessible(page, '06-round-prepared');
    await page.getByRole('button', { name: 'Send …' }).click();
    const dialog = page.getByRole('dialog', { name: 'Bekreft utsending' });
    await dialog.waitFor();
    const expected = confirmationText({ letterTitle: 'Invitasjon', version: 2, preflight: round.preflight }, 'nb');
    expect(await dialog.getByTestId('confirmation').textContent()).toBe(expected);
    expect(expected).toContain(`${RESERVED} reservert`);
    // Like a national mailing: the version and who approved it, the recipients by channel and
    // language, and a button that names the number of letters.
    expect(await dialog.getByTestId('confirmation-approval').textContent()).toMatch(/^Versjon 2, godkjent av /);
    const reach = round.preflight.reach as unknown as { byChannel: Record<string, number> };
    const reached = Object.values(reach.byChannel).reduce((a, b) => a + b, 0);
    expect(reached).toBe(round.preflight.eligible);
    await dialog.getByTestId('confirmation-reach').getByText('Mottakere per kanal').waitFor();
    await shot(page, '06-confirmation');
    // No stray Enter releases: focus starts on "Avbryt", and Enter in the date field does nothing.
    // Every release request of this page is counted: at the end of the step there is exactly one,
    // the button's, answered 202 (a release sent by the Enter would be a second request, or would
    // close the dialog under the click, or make the button's answer a 409).
    const releases: number[] = [];
    const countRelease = (r: Response) => {
      if (r.request().method() === 'POST' && r.url().endsWith(`/rounds/${round.roundId}/release`)) releases.push(r.status());
    };
    page.on('response', countRelease);
    expect(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { textContent: string } | null } }).document.activeElement?.textContent)).toBe('Avbryt');
    await dialog.getByTestId('send-at').press('Enter');
    const [released] = await Promise.all([
      page.waitForResponse((r: Response) => r.url().endsWith(`/rounds/${round.roundId}/release`) && r.request().method() === 'POST'),
      dialog.getByRole('button', { name: `Send ${String(round.preflight.eligible).replace(/\B(?=(\d{3})+$)/g, '\u00a0')} brev` }).click(),
    ]);
    expect(released.status()).toBe(202);
    await page.getByText('Runden er sluppet og sendes nå.').waitFor();
    // The canary goes out first; then the round waits for a person to look at it.
    await expect.poll(() => page.locator('.summary').textContent(), { timeout: 60_000, interval: 500 }).toContain('Venter etter prøveutsending');
    await expect.poll(() => page.locator('td[data-count="pending"]').textContent()).toBe(String(LIST_SIZE - CANARY).replace(/\B(?=(\d{3})+$)/g, '\u00a0'));
    page.off('response', countRelease);
    expect(releases).toEqual([202]);
  });

  const s7 = step(['GET /operations/status', 'POST /projects/{projectId}/pause', 'POST /projects/{projectId}/resume']);
  s7.run(`operations pauses the project with a reason, sees the acknowledgement, and resumes it${s7.note}`, async () => {
    const page = await signIn('operations', OPERATIONS);
    await page.getByRole('heading', { level: 1, name: 'Drift' }).waitFor();
    const row = page.locator(`tr[data-project="${state.projectId}"]`);
    await row.waitFor();
    // Rounds by name (number, letter and version, size) and who released them, never by id.
    const roundLine = row.locator(`[data-round="${state.roundId}"]`);
    await expect.poll(() => roundLine.textContent()).toContain(`Runde 1 · Invitasjon v2 · ${LIST_SIZE} mottakere`);
    await expect.poll(() => roundLine.getByTestId('round-released-by').textContent()).toMatch(/^ ?sluppet \d{2}\.\d{2}\.\d{4}, \d{2}:\d{2}:\d{2} av .+$/);
    expect(await page.locator('main').textContent()).not.toContain(state.roundId!);
    await row.getByRole('button', { name: `Pause ${state.title}` }).click();
    const dialog = page.getByRole('dialog', { name: `Pause prosjektet «${state.title}»` });
    // A reason is required before anything is sent.
    await dialog.getByRole('button', { name: 'Pause' }).click();
    await dialog.getByText('Begrunnelse må fylles ut').waitFor();
    await dialog.getByLabel('Hvorfor pauses prosjektet?').fill('Innbygger meldte feil i teksten');
    const [paused] = await Promise.all([page.waitForResponse((r: Response) => r.url().endsWith('/pause')), dialog.getByRole('button', { name: 'Pause' }).click()]);
    const ack = (await paused.json()) as { status: string; inFlight: number; pausedAt: string };
    expect(ack.status).toBe('paused');
    const shownAck = row.getByTestId('pause-ack');
    // Visibly true: when and by whom, and the letters since counted from delivery times.
    await expect.poll(() => shownAck.textContent(), { timeout: 10_000 }).toMatch(/^Pauset .+ av .+ – 0 brev sendt siden\.$/);
    // No contradictory banner while a project is paused.
    await expect.poll(() => page.getByTestId('halt-state').textContent()).toContain('1 prosjekt(er) er pauset');
    await expect.poll(async () => (await platform.as({ sub: 'ops-check', role: 'operations' }).get(`/projects/${state.projectId}`)).body.status).toBe('paused');
    await shot(page, '07-operations-paused');
    await row.getByRole('button', { name: `Gjenoppta ${state.title}` }).click();
    await page.getByText(`${state.title}: Prosjektet er gjenopptatt.`).waitFor();
    await expect.poll(async () => (await platform.as({ sub: 'ops-check', role: 'operations' }).get(`/projects/${state.projectId}`)).body.status).toBe('approved');
  });

  const s8 = step(['POST /projects/{projectId}/rounds/{roundId}/confirm-canary']);
  s8.run(`the researcher confirms the canary; the round completes and its counts add up on the screen${s8.note}`, async () => {
    const page = pages.researcher!;
    await page.goto(`${platform.url}/console/#/projects/${encodeURIComponent(state.projectId!)}/rounds/${encodeURIComponent(state.roundId!)}`);
    // Rounds are named for people: number in the project, letter and version, recipients.
    await page.getByRole('heading', { level: 1, name: /^Runde \d+ · Invitasjon v2 · / }).waitFor();
    await page.getByRole('button', { name: 'Prøveutsendingen ser bra ut – send resten' }).click();
    await expect.poll(() => page.locator('.summary').textContent(), { timeout: 120_000, interval: 1000 }).toContain('Fullført');
    const bar = page.getByRole('progressbar', { name: 'Framdrift' });
    expect(await bar.getAttribute('aria-valuenow')).toBe('100');
    // The completed state is worded as completed, and the figure beside the bar is the bar's.
    await page.getByText(/^Runden er fullført: alle .* mottakere er behandlet\.$/).waitFor();
    expect(await page.locator('main').textContent()).not.toContain('sendes nå');
    expect(await page.locator('.progress-text').textContent()).toMatch(/ \(100 %\)$/);
    const count = async (k: string) => Number(((await page.locator(`td[data-count="${k}"]`).textContent()) ?? '').replace(/\D/g, ''));
    const planned = await count('planned');
    const parts = await Promise.all(['sent', 'skippedReserved', 'skippedWithdrawn', 'skippedDuplicate', 'skippedOther', 'failed', 'cancelled', 'pending'].map(count));
    expect(planned).toBe(LIST_SIZE);
    expect(parts.reduce((a, b) => a + b, 0)).toBe(planned);
    expect(await count('skippedReserved')).toBe(RESERVED);
    expect(await count('sent')).toBe(LIST_SIZE - RESERVED);
    expect(await count('pending')).toBe(0);
    // The record: who released it and when, how long it took, and the report as CSV.
    expect(await page.getByTestId('released-by').textContent()).toMatch(/^Sluppet \d{2}\.\d{2}\.\d{4}.* av .+\. Ferdig .* \(etter \d+ min\)\.$/);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('report-csv').click()]);
    const csv = await readFile(await download.path(), 'utf8');
    expect(csv.split('\n')[0]).toContain('recipient');
    expect(csv).not.toMatch(/\d{11}/);
    await shot(page, '08-round-completed');
  });

  const s9 = step(['POST /operations/contacts/lookup']);
  s9.run(`operations looks up a citizen's complaint by national ID, which is masked after the lookup${s9.note}`, async () => {
    const page = pages.operations!;
    const nin = state.nins[RESERVED]!;
    await page.getByLabel('Fødselsnummer (11 siffer)').fill(nin);
    const [res] = await Promise.all([page.waitForResponse((r: Response) => r.url().endsWith('/operations/contacts/lookup')), page.getByRole('button', { name: 'Slå opp' }).click()]);
    expect(res.request().postDataJSON()).toEqual({ nin });
    expect(res.url()).not.toContain(nin);
    const heading = page.getByTestId('lookup-result');
    await expect.poll(() => heading.textContent()).toContain(`•••••••••${nin.slice(-2)}`);
    expect(await page.getByLabel('Fødselsnummer (11 siffer)').inputValue()).toBe('');
    expect(await page.locator('main').textContent()).not.toContain(nin);
    // Names, not ids: the project, the round, the exact letter version, and who released it.
    const row = page.getByTestId('lookup-row').first();
    await expect.poll(() => row.textContent()).toContain(state.title);
    const text = (await row.textContent()) ?? '';
    expect(text).toContain('Runde 1 · Invitasjon v2');
    expect(text).toContain('Invitasjon, versjon 2');
    expect(text).toContain('sendt');
    expect(text).toMatch(/sluppet \d{2}\.\d{2}\.\d{4}, \d{2}:\d{2}:\d{2} av /);
    const main = (await page.locator('main').textContent()) ?? '';
    expect(main).not.toContain(state.roundId!);
    expect(main).not.toContain(state.projectId!);
    // Printed to answer the complaint: the lookup only, every letter's text open, with when and by
    // whom it was taken out; closed again on screen afterwards.
    await page.emulateMedia({ media: 'print' });
    await page.evaluate("dispatchEvent(new Event('beforeprint'))");
    await row.getByTestId('sent-letter').first().waitFor({ state: 'visible' });
    expect(await page.getByTestId('lookup-printed-by').textContent()).toMatch(/^Tatt ut \d{2}\.\d{2}\.\d{4}, \d{2}:\d{2}:\d{2} av .+ fra kontaktloggen\./);
    expect(await page.getByRole('button', { name: 'Stans all utsending' }).isVisible()).toBe(false);
    expect(await page.getByRole('button', { name: 'Slå opp' }).isVisible()).toBe(false);
    expect(await page.getByRole('heading', { name: 'Runder som sendes eller er pauset' }).isVisible()).toBe(false);
    await shot(page, '09a-complaint-answer-printed');
    await page.evaluate("dispatchEvent(new Event('afterprint'))");
    await page.emulateMedia({ media: 'screen' });
    expect(await row.getByTestId('sent-letter').first().isVisible()).toBe(false);
    expect(await page.getByTestId('lookup-printed-by').isVisible()).toBe(false);
    // The text the citizen received: that version, fetched when asked for.
    await row.getByText('Vis brevet slik det ble sendt').click();
    await row.getByTestId('sent-letter').getByText('Les mer på', { exact: false }).first().waitFor();
    // Rendered again with the citizen's own fields, and checked against the fingerprint kept when it left.
    expect(await row.getByTestId('sent-letter-check').textContent()).toContain('Nøyaktig brevet innbyggeren fikk');
    await shot(page, '09-complaint-lookup');
  });

  const s10 = step(['GET /operations/statistics']);
  s10.run(`operations reads the usage statistics as a chart and a table, and downloads them as CSV${s10.note}`, async () => {
    const page = pages.operations!;
    // Counters as the engine leaves them after committing batches (this month, two organisations
    // the console's own rounds above do not send for, so their live letters do not add to these).
    const month = new Date().toISOString().slice(0, 7);
    await rawAdapters().statistics.record([
      { organization: 'helse-nord', month, channel: 'helsenorge', sent: 1_200, skipped: 0, failed: 3 },
      { organization: 'helse-nord', month, channel: 'none', sent: 0, skipped: 40, failed: 0 },
      { organization: 'ntnu', month, channel: 'paper', sent: 75, skipped: 0, failed: 0 },
    ]);
    await page.getByRole('link', { name: 'Statistikk' }).click();
    await page.getByRole('heading', { level: 1, name: 'Bruksstatistikk' }).waitFor();
    const table = page.getByTestId('statistics-table');
    await expect.poll(async () => (await table.textContent()) ?? '').toContain('helse-nord');
    const rows = await table.locator('tbody tr').allTextContents();
    expect(rows.join('\n')).toContain(`${month}helse-nordHelsenorge1\u00a0200`);
    expect(await page.getByRole('img', { name: 'Sendte brev per måned og kanal' }).count()).toBe(1);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Last ned CSV' }).click()]);
    const csv = await readFile(await download.path(), 'utf8');
    const lines = csv.split('\r\n').filter(Boolean);
    expect(lines[0]).toBe('organization,month,channel,sent,skipped,failed');
    expect(lines).toEqual(expect.arrayContaining([`helse-nord,${month},helsenorge,1200,0,3`, `helse-nord,${month},none,0,40,0`, `ntnu,${month},paper,75,0,0`]));
    await shot(page, '10-statistics');
  });
});
