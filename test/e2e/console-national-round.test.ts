import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page, Response } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { syntheticNins } from '../../functions/domain/lists/nin-generator.js';
import { lettersByCitizen } from '../integration/dispatch/channel-scan.js';
import { expectAccessible } from './axe.js';
import { ARTIFACTS, CHROMIUM, follow, hasChromium, startConsole, USERS, type ConsoleRun } from './browser.js';

/**
 * Issue 27, "Done when": the three kinds of users walk a 30,000-recipient round through the
 * console in Chromium, clicking where a person would click. A researcher writes the letter with a
 * merge field, uploads the list through the form and creates the round, which is prepared in the
 * background while a superuser goes through the checklist; the researcher releases it with the
 * button that names the number of letters; operations pause the project while letters are leaving
 * and see it acknowledged — and the platform's own record of delivered letters stands still from
 * then on — then resume it; the round completes, its report and CSV are opened from the round's
 * page, and operations answer a complaint with the letter the citizen got.
 *
 * Every screen is pictured (test-artifacts/national-*.png) and checked with axe-core. How long the
 * pause took to be acknowledged is printed and written to test-artifacts/national-pause.json, not
 * asserted: speed is measured in bench/, the test asserts what the page and the platform do.
 */
const N = 30_000;
const FIRST_NAMES = ['Ola', 'Kari', 'Nora', 'Emil', 'Ingrid', 'Jakob', 'Sofie', 'Aksel'] as const;
const title = 'Den nasjonale søvnundersøkelsen';
const reason = 'Innbyggere melder feil i teksten';
/** The pause is clicked once this many letters have left, well before the end (asserted: pending > 0). */
const PAUSE_AFTER_SENT = 2_000;

/** "30 000": numbers as the console writes them in nb-NO (a no-break space between thousands). */
const nb = (n: number) => n.toLocaleString('nb-NO');
const digits = (s: string | null) => Number((s ?? '').replace(/\D/g, ''));

describe.skipIf(!hasChromium)(`console: a 30,000-recipient round walked by the three roles (Chromium at ${CHROMIUM})`, () => {
  let run: ConsoleRun;
  const pages: Partial<Record<'researcher' | 'superuser' | 'operations', Page>> = {};
  const nins = syntheticNins(N, 610_000);
  const state: { projectId?: string; roundId?: string; ackedAt?: string } = {};
  const timings: Record<string, unknown> = {};

  const shot = async (page: Page, name: string) => {
    await page.screenshot({ path: join(ARTIFACTS, `national-${name}.png`), fullPage: true });
    await expectAccessible(page, `national-${name}`);
  };
  const api = (who: keyof typeof USERS) => run.platform.as(USERS[who].id);
  const round = async () => {
    const res = await api('researcher').get(`/projects/${state.projectId}/rounds/${state.roundId}`);
    expect(res.status, res.text).toBe(200);
    return res.body as { status: string; counts: { planned: number; sent: number; pending: number } & Record<string, number> };
  };

  beforeAll(async () => {
    // The channel stand-in stores each letter directly in the citizens table instead of handing it
    // to the ePROM and Digipost fakes over HTTP (with their receipts and callbacks). Those fakes
    // share one event loop with the API, the workers and this browser's polls: on a 2-core machine
    // this walk took 6½ min with them (5 min from the resume to completion, 7 CPU-minutes) against
    // about 4 min with the stand-in (1½ min to completion, 3½ CPU-minutes), and `npm test` runs
    // another file beside it. The fakes' per-letter path is tested in test/integration/national/*
    // and console.test.ts; here it is the console under a national round, and the engine's pause
    // under load, that are walked. The registries are still the fakes (KRR, Folkeregisteret)
    // through the real adapters. The API and console run on a thread of their own, as npm start
    // runs them: the pause is answered beside the workers, not behind them.
    run = await startConsole({ apiApart: true, env: { LOCAL_CHANNELS: 'stand-in', LOCAL_API_TIMEOUT_MS: '120000' } });
  }, 240_000);

  // A failed step leaves a picture of every open screen beside the others.
  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== 'fail') return;
    const slug = ctx.task.name.slice(0, 40).replace(/[^a-z0-9]+/gi, '-');
    for (const [who, page] of Object.entries(pages)) await page?.screenshot({ path: join(ARTIFACTS, `national-FAILED-${slug}-${who}.png`), fullPage: true }).catch(() => undefined);
  });

  afterAll(async () => {
    await writeFile(join(ARTIFACTS, 'national-pause.json'), `${JSON.stringify(timings, null, 2)}\n`).catch(() => undefined);
    await run?.stop();
  });

  it('a researcher creates the project and a letter with a merge field, checks it and submits it for review', { timeout: 180_000 }, async () => {
    const page = await run.signIn('researcher');
    pages.researcher = page;
    await page.getByRole('heading', { level: 1, name: 'Prosjekter' }).waitFor();
    await page.getByLabel('Prosjekttittel').fill(title);
    await page.getByRole('button', { name: 'Opprett prosjekt' }).click();
    await page.getByText(`Prosjektet «${title}» er opprettet.`).waitFor();
    await page.getByRole('link', { name: title }).click();
    await page.getByRole('heading', { level: 1, name: title }).waitFor();
    state.projectId = decodeURIComponent(/#\/projects\/([^/]+)$/.exec(page.url())![1]!);

    await follow(page.getByRole('link', { name: 'Nytt brev' }), page.getByRole('heading', { level: 1, name: 'Nytt brev' }));
    await page.getByLabel('Brevets tittel (internt)').fill('Invitasjon');
    await page.getByLabel('Emne (nb)').fill('Invitasjon til søvnundersøkelsen');
    await page.getByLabel('Tekst (nb)').fill('Hei {{fornavn}}!\nVi inviterer deg til å svare på noen spørsmål om søvn.');
    await page.getByLabel('Emne (nn)').fill('Invitasjon til søvnundersøkinga');
    await page.getByLabel('Tekst (nn)').fill('Hei {{fornavn}}!\nVi inviterer deg til å svare på nokre spørsmål om søvn.');
    // The placeholder is named as undeclared, and one press declares it.
    await page.getByTestId('undeclared-fields').getByRole('button', { name: 'Legg dem til' }).click();
    expect(await page.getByTestId('merge-fields').inputValue()).toBe('fornavn');
    await page.getByRole('button', { name: 'Opprett brev' }).click();
    await page.getByText('Lagret som versjon 1.').waitFor();
    await page.getByRole('button', { name: 'Kjør automatisk kontroll' }).click();
    await page.getByText('Kontrollen fant ingen feil.').waitFor();
    await shot(page, '01-letter');

    await page.getByRole('link', { name: `← ${title}` }).click();
    await page.getByRole('heading', { level: 1, name: title }).waitFor();
    await page.getByRole('button', { name: 'Send til kontroll' }).click();
    await page.getByText('Prosjektet er sendt til kontroll.').waitFor();
    await expect.poll(() => page.locator('.summary').textContent(), { timeout: 30_000 }).toContain('Til kontroll');
  });

  it('the researcher uploads a 30,000-row list through the form and creates the round, which shows its preparation', { timeout: 300_000 }, async () => {
    const page = pages.researcher!;
    const csv = ['nin;fornavn', ...nins.map((n, i) => `${n};${FIRST_NAMES[i % FIRST_NAMES.length]}`)].join('\r\n');
    await page.getByLabel('Last opp mottakerliste (CSV)').setInputFiles({ name: 'nasjonalt-utvalg.csv', mimeType: 'text/csv', buffer: Buffer.from(csv, 'utf8') });
    const [uploaded] = await Promise.all([
      page.waitForResponse((r: Response) => r.url().endsWith('/recipient-lists') && r.request().method() === 'POST', { timeout: 120_000 }),
      page.getByRole('button', { name: 'Last opp', exact: true }).click(),
    ]);
    expect(uploaded.status(), await uploaded.text()).toBe(201);
    await expect.poll(() => page.locator('.list-result').textContent(), { timeout: 30_000 }).toContain(`${nb(N)} rader, ${nb(N)} godtatt, 0 avvist, 0 duplikater`);
    await shot(page, '02-list-uploaded');

    const [created] = await Promise.all([
      page.waitForResponse((r: Response) => r.url().endsWith('/rounds') && r.request().method() === 'POST', { timeout: 120_000 }),
      page.getByRole('button', { name: 'Lag runde og vis forhåndskontroll' }).click(),
    ]);
    // A list this size is prepared in the background: the round's page shows how far it has come.
    expect(created.status(), await created.text()).toBe(202);
    state.roundId = ((await created.json()) as { roundId: string }).roundId;
    const preparation = page.getByTestId('preparation');
    await preparation.getByRole('heading', { name: 'Forhåndskontroll pågår' }).waitFor();
    // From the first frame: of the list's 30 000, never "0 of 0" while the first read is on its way.
    expect(await preparation.locator('progress').getAttribute('max')).toBe(String(N));
    await preparation.getByText(`av ${nb(N)} mottakere kontrollert`, { exact: false }).waitFor();
    expect(await page.getByRole('button', { name: 'Send …' }).count()).toBe(0);
    await shot(page, '03-round-preparing');
  });

  it('a superuser goes through the checklist and approves while the round is prepared', { timeout: 180_000 }, async () => {
    const page = await run.signIn('superuser');
    pages.superuser = page;
    await page.getByRole('heading', { level: 1, name: 'Kontrollkø' }).waitFor();
    await page.getByRole('link', { name: title }).click();
    await page.getByRole('heading', { level: 1, name: `Kontroll: ${title}` }).waitFor();
    await page.getByText('Invitasjon (v1)').first().waitFor();
    await expect.poll(() => page.getByRole('button', { name: 'Godkjenn prosjektet' }).isDisabled(), { timeout: 30_000 }).toBe(true);
    for (const box of await page.getByRole('group', { name: 'Sjekkliste' }).getByRole('checkbox').all()) await box.check();
    await page.getByLabel('Kommentar').fill('Godkjent for nasjonal utsending.');
    await shot(page, '04-review');
    await page.getByRole('button', { name: 'Godkjenn prosjektet' }).click();
    await page.getByText('Prosjektet er godkjent.').waitFor();
    await expect.poll(() => page.locator('.summary').textContent(), { timeout: 30_000 }).toContain('Godkjent');
    await page.close();
    delete pages.superuser;
  });

  it('the researcher reads the pre-flight and releases with the button that names the 30 000 letters', { timeout: 420_000 }, async () => {
    const page = pages.researcher!;
    // The preparation ends on its own: the page shows the pre-flight and offers the release.
    const send = page.getByRole('button', { name: 'Send …' });
    await send.waitFor({ timeout: 360_000 });
    const preflight = page.getByRole('table', { name: 'Forhåndskontroll' });
    await preflight.waitFor();
    expect(await page.getByTestId('preparation').count()).toBe(0);
    await page.getByTestId('round-preview').getByText('Hei Ola!').first().waitFor();
    await shot(page, '05-preflight');

    await send.click();
    const dialog = page.getByRole('dialog', { name: 'Bekreft utsending' });
    await dialog.waitFor();
    expect(await dialog.getByTestId('confirmation-approval').textContent()).toMatch(/^Versjon 1, godkjent av sara\.superbruker /);
    await dialog.getByTestId('confirmation-reach').getByText('Mottakere per kanal').waitFor();
    await shot(page, '06-release-confirmation');
    const [released] = await Promise.all([
      page.waitForResponse((r: Response) => r.url().endsWith(`/rounds/${state.roundId}/release`) && r.request().method() === 'POST'),
      dialog.getByRole('button', { name: `Send ${nb(N)} brev`, exact: true }).click(),
    ]);
    expect(released.status(), await released.text()).toBe(202);
    await page.getByText('Runden er sluppet og sendes nå.').waitFor();
    // Live progress: letters as they leave, and the rate.
    await expect.poll(async () => digits(await page.locator('td[data-count="sent"]').textContent()), { timeout: 120_000, interval: 500 }).toBeGreaterThan(0);
    await page
      .getByTestId('live-rate')
      .getByText(/^\d[\d\u00a0]* brev i sekundet/)
      .waitFor({ timeout: 30_000 });
    await shot(page, '07-round-sending');
  });

  it('operations pause the project while letters are leaving: acknowledged, said so everywhere, and nothing leaves after it', { timeout: 300_000 }, async () => {
    const page = await run.signIn('operations');
    pages.operations = page;
    await page.getByRole('heading', { level: 1, name: 'Drift' }).waitFor();
    const row = page.locator(`tr[data-project="${state.projectId}"]`);
    await row.waitFor({ timeout: 60_000 });
    const roundLine = row.locator(`[data-round="${state.roundId}"]`);
    // Under load: letters are leaving when the pause is clicked.
    await expect.poll(async () => digits(((await roundLine.locator('.hint').last().textContent()) ?? '').split('/')[0]!), { timeout: 180_000, interval: 250 }).toBeGreaterThanOrEqual(PAUSE_AFTER_SENT);
    await shot(page, '08-operations-sending');

    await row.getByRole('button', { name: `Pause ${title}` }).click();
    const dialog = page.getByRole('dialog', { name: `Pause prosjektet «${title}»` });
    await dialog.getByLabel('Hvorfor pauses prosjektet?').fill(reason);
    // Timed in the page itself, from the click to the first frame that shows each state, and
    // every banner the card shows from the acknowledgement on is recorded.
    await page.evaluate(`(() => {
      const w = window;
      const seen = (w.__pause = { clickAt: undefined, stoppingAt: undefined, responseAt: undefined, ackAt: undefined, ackText: undefined, confirmedAt: undefined, confirmedText: undefined, zeroSinceAt: undefined, claimedBeforeResponse: [], banners: [], rows: [] });
      const project = ${JSON.stringify(state.projectId)};
      document.addEventListener('click', (e) => {
        const b = e.target instanceof Element ? e.target.closest('dialog button') : null;
        if (b && b.textContent.trim() === 'Pause' && seen.clickAt === undefined) seen.clickAt = performance.now();
      }, true);
      const fetch0 = w.fetch;
      w.fetch = async (...a) => {
        const res = await fetch0(...a);
        if (String(a[0].url ?? a[0]).endsWith('/projects/' + encodeURIComponent(project) + '/pause') || String(a[0].url ?? a[0]).endsWith('/projects/' + project + '/pause')) seen.responseAt ??= performance.now();
        return res;
      };
      const look = () => {
        if (seen.clickAt === undefined) return;
        const now = performance.now();
        if (seen.stoppingAt === undefined && document.querySelector('[data-testid="pause-stopping"]')) seen.stoppingAt = now;
        const ack = document.querySelector('tr[data-project="' + project + '"] [data-testid="pause-ack"]');
        const text = ack ? ack.textContent : '';
        if (text && seen.rows.at(-1) !== text) seen.rows.push(text);
        if (text.startsWith('Pauset')) {
          if (seen.responseAt === undefined) seen.claimedBeforeResponse.push(text);
          if (seen.ackAt === undefined) { seen.ackAt = now; seen.ackText = text; }
          if (seen.confirmedAt === undefined && text.includes(', bekreftet ')) { seen.confirmedAt = now; seen.confirmedText = text; }
          if (seen.zeroSinceAt === undefined && text.endsWith(' 0 brev sendt siden.')) seen.zeroSinceAt = now;
        }
        if (seen.ackAt !== undefined) {
          const banner = (document.querySelector('[data-testid="halt-state"]') || {}).textContent || '';
          if (seen.banners.at(-1) !== banner) seen.banners.push(banner);
        }
      };
      new MutationObserver(look).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    })()`);

    const clickedAt = Date.now();
    const [paused] = await Promise.all([
      page.waitForResponse((r: Response) => r.url().endsWith(`/projects/${state.projectId}/pause`) && r.request().method() === 'POST', { timeout: 120_000 }),
      dialog.getByRole('button', { name: 'Pause', exact: true }).click(),
    ]);
    state.ackedAt = new Date().toISOString();
    const answer = (await paused.json()) as { status: string; inFlight: number; pausedAt: string; pauseConfirmedAt: string };
    expect(paused.status(), JSON.stringify(answer)).toBe(200);
    expect(answer).toMatchObject({ status: 'paused', inFlight: 0, pauseConfirmedAt: expect.any(String) });
    const ack = row.getByTestId('pause-ack');
    await expect.poll(() => ack.textContent(), { timeout: 30_000 }).toMatch(/^Pauset .+ av Ola Drift, bekreftet .+ – /);
    const ackSeenAt = Date.now();
    // The acknowledgement is what the platform holds: the round is paused with letters still to go.
    const atAck = await round();
    expect(atAck.status).toBe('paused');
    expect(atAck.counts.pending, 'paused while letters were still to leave').toBeGreaterThan(0);
    const scanAt = Date.now();
    const lettersAtAck = [...(await lettersByCitizen(run.platform, state.roundId!)).values()].reduce((a, b) => a + b, 0);
    timings.msScan = Date.now() - scanAt;
    expect(lettersAtAck).toBe(atAck.counts.sent);

    // Then counted from delivery times: nothing left after the pause.
    await expect
      .poll(() => ack.textContent(), { timeout: 60_000 })
      .toMatch(/^Pauset \d{2}\.\d{2}\.\d{4}, \d{2}:\d{2}:\d{2} av Ola Drift, bekreftet \d{2}\.\d{2}\.\d{4}, \d{2}:\d{2}:\d{2} – 0 brev sendt siden\.$/);
    await row.getByText(`Begrunnelse: ${reason}`, { exact: false }).waitFor();
    // No "sending as normal" while the project is paused: the card says a project is paused.
    await expect.poll(() => page.getByTestId('halt-state').textContent(), { timeout: 30_000 }).toContain('1 prosjekt(er) er pauset');
    await shot(page, '09-operations-paused');

    // The researcher's round page says paused, by whom and why — not "being sent now".
    const researcher = pages.researcher!;
    const pausedNote = researcher.getByTestId('round-paused');
    await pausedNote.waitFor({ timeout: 60_000 });
    expect(await pausedNote.textContent()).toContain(`Begrunnelse: ${reason}`);
    expect(await pausedNote.textContent()).toContain('av Ola Drift');
    expect(await researcher.locator('main').textContent()).not.toContain('sendes nå');
    await shot(researcher, '10-round-paused');

    // Still, several polls of both pages later: the letters the platform delivered, its counts
    // and the deliveries it has timed after the acknowledgement.
    const updated = page.getByTestId('status-updated');
    for (let i = 0; i < 3; i++) {
      const before = await updated.textContent();
      await expect.poll(() => updated.textContent(), { timeout: 60_000 }).not.toBe(before);
    }
    const later = await round();
    expect(later.status).toBe('paused');
    expect(later.counts).toEqual(atAck.counts);
    expect([...(await lettersByCitizen(run.platform, state.roundId!)).values()].reduce((a, b) => a + b, 0)).toBe(lettersAtAck);
    // Counted from the delivery times: none after the confirmation the page showed, nor after the answer reached the browser.
    const sentSince = async (at: string) => {
      const res = await api('operations').get(`/projects/${state.projectId}/sent-since?at=${encodeURIComponent(at)}`);
      expect(res.status, res.text).toBe(200);
      return res.body.sent as number;
    };
    expect(await sentSince(answer.pauseConfirmedAt)).toBe(0);
    expect(await sentSince(state.ackedAt)).toBe(0);
    const sinceClick = await sentSince(new Date(clickedAt).toISOString());
    const sincePause = await sentSince(answer.pausedAt);

    interface Seen {
      clickAt: number;
      stoppingAt?: number;
      responseAt?: number;
      ackAt?: number;
      ackText?: string;
      confirmedAt?: number;
      confirmedText?: string;
      zeroSinceAt?: number;
      claimedBeforeResponse: string[];
      banners: string[];
      rows: string[];
    }
    const seen = await page.evaluate<Seen>('window.__pause');
    // Never "paused" before the platform said so, and never "as normal" once it had.
    expect(seen.claimedBeforeResponse).toEqual([]);
    expect(seen.banners.filter((b) => b.includes('går som normalt'))).toEqual([]);
    const ms = (t?: number) => (t === undefined ? null : Math.round(t - seen.clickAt));
    Object.assign(timings, {
      recipients: N,
      sentAtClick: atAck.counts.sent - sinceClick,
      sentAtAcknowledgement: atAck.counts.sent,
      pendingAtAcknowledgement: atAck.counts.pending,
      lettersBetweenClickAndConfirmation: sinceClick,
      lettersBetweenPauseAndConfirmation: sincePause,
      serverPauseToConfirmationMs: Date.parse(answer.pauseConfirmedAt) - Date.parse(answer.pausedAt),
      msClickToStoppingShown: ms(seen.stoppingAt),
      msClickToServerAnswer: ms(seen.responseAt),
      msClickToPausedShown: ms(seen.ackAt),
      msClickToAcknowledgementShown: ms(seen.confirmedAt),
      msClickToZeroSinceShown: ms(seen.zeroSinceAt),
      msClickToAcknowledgementAsTheTestSawIt: ackSeenAt - clickedAt,
      acknowledgementText: seen.confirmedText,
      bannersWhilePaused: seen.banners,
      pauseLinesShown: seen.rows,
    });
    console.log(
      `national round: pause acknowledged in the page ${ms(seen.confirmedAt)} ms after the click (server answered after ${ms(seen.responseAt)} ms; ${sinceClick} letters left between the click and the confirmation)`,
    );
    await writeFile(join(ARTIFACTS, 'national-pause.json'), `${JSON.stringify(timings, null, 2)}\n`);
  });

  it('operations resume; the round completes, and the researcher opens its report and CSV from the round page', { timeout: 420_000 }, async () => {
    const page = pages.operations!;
    const row = page.locator(`tr[data-project="${state.projectId}"]`);
    await row.getByRole('button', { name: `Gjenoppta ${title}` }).click();
    await page.getByText(`${title}: Prosjektet er gjenopptatt.`).waitFor();
    await expect.poll(async () => (await api('operations').get(`/projects/${state.projectId}`)).body.status, { timeout: 30_000 }).toBe('approved');
    // Operations leave their page; they come back for the complaint below.
    await page.close();
    delete pages.operations;

    const researcher = pages.researcher!;
    // The researcher's page follows: no longer paused, letters leaving again.
    await researcher.getByTestId('round-paused').waitFor({ state: 'detached', timeout: 60_000 });
    const started = Date.now();
    await expect.poll(() => researcher.locator('.summary').textContent(), { timeout: 360_000, interval: 1_000 }).toContain('Fullført');
    timings.msResumeToCompleted = Date.now() - started;
    await researcher.getByText(`Runden er fullført: alle ${nb(N)} mottakere er behandlet.`).waitFor();
    expect(await researcher.locator('main').textContent()).not.toContain('sendes nå');
    const count = async (k: string) => digits(await researcher.locator(`td[data-count="${k}"]`).textContent());
    expect(await count('planned')).toBe(N);
    expect(await count('sent')).toBe(N);
    expect(await count('pending')).toBe(0);
    // By the name the releaser's sign-in gave, not their user id.
    expect(await researcher.getByTestId('released-by').textContent()).toMatch(/^Sluppet \d{2}\.\d{2}\.\d{4}.* av Kari Forsker\. Ferdig .* \(etter \d+ min\)\.$/);
    await shot(researcher, '11-round-completed');

    // The report, opened from the round: who released it, the approved version by its content
    // hash, the pause and the resume while it was out (who and why), the sealed audit head.
    await researcher.getByRole('link', { name: 'Rundens rapport' }).click();
    await researcher.getByRole('heading', { level: 1, name: `Rapport: Runde 1 · Invitasjon v1 · ${nb(N)} mottakere` }).waitFor();
    await expect.poll(() => researcher.getByTestId('report-released').textContent(), { timeout: 30_000 }).toMatch(/^Sluppet .+ av Kari Forsker\. Ferdig .+\(etter \d+ min\)\.$/);
    // Each person by the name their sign-in gave when they acted (recorded in the audit), not their user id.
    expect(await researcher.getByTestId('report-approvals').textContent()).toMatch(/^Versjon 1 godkjent av Sara Superbruker .+ Innholdets kontrollsum: [0-9a-f]{64}$/);
    const decisions = researcher.getByTestId('report-decisions').locator('tbody tr');
    expect(await decisions.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action')))).toEqual(['round.released', 'project.paused', 'project.resumed']);
    expect(await decisions.nth(1).textContent()).toContain('Ola Drift');
    expect(await decisions.nth(1).textContent()).not.toContain('ola.drift');
    expect(await decisions.nth(1).textContent()).toContain(`Begrunnelse: ${reason}.`);
    expect(await researcher.getByTestId('report-audit-head').textContent()).toMatch(/forseglet da runden ble fullført: [0-9a-f]{64}$/);
    expect(digits(await researcher.locator('td[data-count="sent"]').textContent())).toBe(N);
    await shot(researcher, '12-round-report');

    const [download] = await Promise.all([researcher.waitForEvent('download'), researcher.getByTestId('report-csv').click()]);
    const csv = await readFile(await download.path(), 'utf8');
    const lines = csv.split(/\r?\n/).filter(Boolean);
    expect(lines[0]).toBe('recipient,outcome,at');
    expect(lines).toHaveLength(N + 1);
    expect(lines.slice(1).every((l) => /^[^,]+,sent,\d{4}-\d{2}-\d{2}T/.test(l))).toBe(true);
    expect(csv).not.toMatch(/\d{11}/);
  });

  it('operations look up a citizen who got the letter and see the letter exactly as it was sent, with their name', { timeout: 180_000 }, async () => {
    const page = await run.signIn('operations');
    pages.operations = page;
    await page.getByRole('heading', { level: 1, name: 'Drift' }).waitFor();
    const index = 12_345;
    const nin = nins[index]!;
    await page.getByLabel('Fødselsnummer (11 siffer)').fill(nin);
    const [res] = await Promise.all([page.waitForResponse((r: Response) => r.url().endsWith('/operations/contacts/lookup')), page.getByRole('button', { name: 'Slå opp' }).click()]);
    expect(res.status()).toBe(200);
    await expect.poll(() => page.getByTestId('lookup-result').textContent(), { timeout: 30_000 }).toContain(`•••••••••${nin.slice(-2)}`);
    expect(await page.locator('main').textContent()).not.toContain(nin);
    const row = page.getByTestId('lookup-row').first();
    await expect.poll(() => row.textContent(), { timeout: 30_000 }).toContain(title);
    expect(await row.textContent()).toContain('Invitasjon, versjon 1');
    await row.getByText('Vis brevet slik det ble sendt').click();
    const letter = row.getByTestId('sent-letter');
    await letter
      .getByText(`Hei ${FIRST_NAMES[index % FIRST_NAMES.length]}!`, { exact: false })
      .first()
      .waitFor();
    expect(await row.getByTestId('sent-letter-check').textContent()).toContain('Nøyaktig brevet innbyggeren fikk');
    await shot(page, '13-complaint-lookup');
  });
});
