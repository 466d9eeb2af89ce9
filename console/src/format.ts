/**
 * Pure presentation logic of the console: number formatting, the release confirmation, masking,
 * link extraction and a line diff. No DOM, no fetch, so
 * it is unit-tested from the root test suite (test/unit/console).
 */
import { PLACEHOLDER_NAME, wellFormedPlaceholders } from '../../functions/domain/letters/placeholders.js';
import { BRAKE_LIMITS, DEFAULT_BRAKE, type BrakeSettings } from '../../functions/domain/projects/project.js';
import type { Preflight, Reach, StatisticsItem } from './api-types';
import { OSLO_CLOCK } from './dates';

export type UiLang = 'nb' | 'en';
export type LetterLang = 'nb' | 'nn' | 'en';

const NBSP = '\u00a0';

/**
 * Integers grouped by thousands: "27 412" (no-break space) in Norwegian, "27,412" in English.
 * Done by hand rather than Intl so the text is identical in every browser and ICU version.
 */
export const formatCount = (n: number, lang: UiLang): string => {
  if (!Number.isFinite(n)) return '–';
  const sign = n < 0 ? '−' : '';
  const digits = String(Math.trunc(Math.abs(n)));
  const sep = lang === 'nb' ? NBSP : ',';
  let out = '';
  for (let i = 0; i < digits.length; i++) {
    if (i > 0 && (digits.length - i) % 3 === 0) out += sep;
    out += digits[i];
  }
  return sign + out;
};

/** Rows of the list a background pre-flight could not check (the round's `preparation.failed`), as running text. */
export const failedRowsText = (failed: readonly { readonly chunk?: number; readonly fromRow: number; readonly toRow: number }[], lang: UiLang): string => {
  const ranges = failed.map((f) => (f.fromRow === f.toRow ? formatCount(f.fromRow, lang) : `${formatCount(f.fromRow, lang)}–${formatCount(f.toRow, lang)}`));
  const and = lang === 'nb' ? ' og ' : ' and ';
  const list = ranges.length > 1 ? `${ranges.slice(0, -1).join(', ')}${and}${ranges.at(-1)}` : (ranges[0] ?? '');
  return `${lang === 'nb' ? 'rad' : failed.length === 1 && failed[0]!.fromRow === failed[0]!.toRow ? 'row' : 'rows'} ${list}`;
};

/** A piece of running text; `em` marks what the reader must not miss (the letter and version). */
export interface Segment {
  readonly text: string;
  readonly em?: boolean;
}

const SKIP_LABELS: Readonly<Record<UiLang, Readonly<Record<string, string>>>> = {
  nb: {
    reserved: 'reservert',
    withdrawn: 'har trukket seg fra prosjektet',
    alreadySent: 'har allerede fått den',
    invalid: 'ugyldige',
    deceased: 'døde',
    notFound: 'ikke funnet i folkeregisteret',
  },
  en: {
    reserved: 'reserved',
    withdrawn: 'withdrew from the project',
    alreadySent: 'already received it',
    invalid: 'invalid',
    deceased: 'deceased',
    notFound: 'not found in the population registry',
  },
};

const SKIP_ORDER = ['reserved', 'withdrawn', 'alreadySent', 'invalid', 'deceased', 'notFound'] as const;

const MINOR_SKIP_LABELS: Readonly<Record<UiLang, Readonly<Record<'skippedMinor' | 'withoutGuardian' | 'guardianAccessReserved' | 'underGuardianship', string>>>> = {
  nb: {
    skippedMinor: 'under 16 år',
    withoutGuardian: 'under 16 år uten foresatt som kan nås',
    guardianAccessReserved: 'har reservert seg mot foreldreinnsyn',
    underGuardianship: 'under vergemål',
  },
  en: {
    skippedMinor: 'under 16',
    withoutGuardian: 'under 16 with no reachable guardian',
    guardianAccessReserved: 'reserved against guardian access',
    underGuardianship: 'under guardianship',
  },
};
const MINOR_SKIP_ORDER = ['skippedMinor', 'withoutGuardian', 'guardianAccessReserved', 'underGuardianship'] as const;

/** The skip reasons with a count above zero, in a fixed order, each with its label. */
export const skipBreakdown = (p: Preflight, lang: UiLang): { key: string; count: number; label: string }[] => [
  ...SKIP_ORDER.filter((k) => (p[k] ?? 0) > 0).map((k) => ({ key: k, count: p[k] ?? 0, label: SKIP_LABELS[lang][k]! })),
  ...MINOR_SKIP_ORDER.filter((k) => (p.minors?.[k] ?? 0) > 0).map((k) => ({ key: k, count: p.minors?.[k] ?? 0, label: MINOR_SKIP_LABELS[lang][k] })),
];

/**
 * What the round does about children, for the release confirmation: how many recipients are under
 * 16 and, by the project's policy, how many are reached through guardians (with how many letters),
 * how many have none, how many reserved against guardian access — or that they are skipped.
 * Undefined when nobody on the list is under 16.
 */
export const minorsSentence = (p: Preflight, lang: UiLang): string | undefined => {
  const m = p.minors;
  if (!m || m.underSixteen === 0) return undefined;
  const n = (x: number) => formatCount(x, lang);
  if (m.policy === 'exclude') {
    return lang === 'nb'
      ? `${n(m.underSixteen)} av mottakerne er under 16 år; ${n(m.skippedMinor)} av dem hoppes over fordi prosjektet ikke skriver til barn under 16.`
      : `${n(m.underSixteen)} recipients are under 16; ${n(m.skippedMinor)} of them will be skipped because the project does not write to children under 16.`;
  }
  if (lang === 'nb') {
    const parts = [`${n(m.viaGuardians)} nås gjennom foresatte (${n(m.guardianLetters)} brev til foresatte)`, `${n(m.withoutGuardian)} har ingen foresatt som kan nås`];
    if (m.guardianAccessReserved > 0) parts.push(`${n(m.guardianAccessReserved)} har reservert seg mot foreldreinnsyn og får ingenting sendt`);
    return `${n(m.underSixteen)} av mottakerne er under 16 år: ${parts.join(', ')}.`;
  }
  const parts = [`${n(m.viaGuardians)} will be reached through their guardians (${n(m.guardianLetters)} letters to guardians)`, `${n(m.withoutGuardian)} have no reachable guardian`];
  if (m.guardianAccessReserved > 0) parts.push(`${n(m.guardianAccessReserved)} reserved against guardian access and get nothing sent`);
  return `${n(m.underSixteen)} recipients are under 16: ${parts.join(', ')}.`;
};

/**
 * The last thing a researcher reads before a release: "Du er i ferd med å sende *versjon 3 av
 * Invitasjon* til 27 412 innbyggere; 2 588 hoppes over: 2 402 reservert, 186 har allerede fått den".
 */
export const confirmationSegments = (input: { readonly letterTitle: string; readonly version: number; readonly preflight: Preflight }, lang: UiLang): Segment[] => {
  const { letterTitle, version, preflight: p } = input;
  const eligible = p.eligible;
  const skipped = Math.max(0, p.total - p.eligible);
  const n = (x: number) => formatCount(x, lang);
  const parts = skipBreakdown(p, lang).map((s) => `${n(s.count)} ${s.label}`);
  if (lang === 'nb') {
    const who = eligible === 1 ? 'innbygger' : 'innbyggere';
    const tail = skipped === 0 ? '; ingen hoppes over' : `; ${n(skipped)} hoppes over${parts.length ? `: ${parts.join(', ')}` : ''}`;
    return [{ text: 'Du er i ferd med å sende ' }, { text: `versjon ${version} av ${letterTitle}`, em: true }, { text: ` til ${n(eligible)} ${who}${tail}` }];
  }
  const who = eligible === 1 ? 'citizen' : 'citizens';
  const tail = skipped === 0 ? '; none will be skipped' : `; ${n(skipped)} will be skipped${parts.length ? `: ${parts.join(', ')}` : ''}`;
  return [{ text: 'You are about to send ' }, { text: `version ${version} of ${letterTitle}`, em: true }, { text: ` to ${n(eligible)} ${who}${tail}` }];
};

export const confirmationText = (...args: Parameters<typeof confirmationSegments>): string =>
  confirmationSegments(...args)
    .map((s) => s.text)
    .join('');

/**
 * A national ID as shown after a lookup: every digit hidden except the last two, so the operator
 * can tell two lookups apart without the screen (or a screenshot) carrying the ID.
 */
export const maskNin = (nin: string): string => {
  const digits = nin.replace(/\D/g, '');
  if (digits.length === 0) return '';
  const keep = digits.length >= 11 ? 2 : 0;
  return '•'.repeat(digits.length - keep) + digits.slice(digits.length - keep);
};

/** Only the digits of what was typed, at most 11: what goes into the lookup body. */
export const normaliseNin = (typed: string): string => typed.replace(/\D/g, '').slice(0, 11);

/** A run of letter text: plain, a link, or a {{placeholder}}. */
export interface Token {
  readonly kind: 'text' | 'link' | 'placeholder';
  readonly text: string;
}

const TOKEN = /(https?:\/\/[^\s<>"'«»]+[^\s<>"'«».,;:!?)\]])|(\{\{\s*[\w.-]+\s*\}\})/g;

/** Splits letter text into runs so the preview can mark links and placeholders without markup. */
export const tokenize = (text: string): Token[] => {
  const out: Token[] = [];
  let last = 0;
  for (const m of text.matchAll(TOKEN)) {
    const at = m.index ?? 0;
    if (at > last) out.push({ kind: 'text', text: text.slice(last, at) });
    out.push({ kind: m[1] ? 'link' : 'placeholder', text: m[0] });
    last = at + m[0].length;
  }
  if (last < text.length) out.push({ kind: 'text', text: text.slice(last) });
  return out;
};

export interface DiffLine {
  readonly op: 'same' | 'add' | 'del';
  readonly text: string;
}

/** Line diff by longest common subsequence: small texts, so O(n·m) is fine. */
export const diffLines = (before: string, after: string): DiffLine[] => {
  const a = before === '' ? [] : before.split('\n');
  const b = after === '' ? [] : after.split('\n');
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      out.push({ op: 'same', text: a[i]! });
      i++;
      j++;
    } else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) out.push({ op: 'del', text: a[i++]! });
    else out.push({ op: 'add', text: b[j++]! });
  }
  while (i < a.length) out.push({ op: 'del', text: a[i++]! });
  while (j < b.length) out.push({ op: 'add', text: b[j++]! });
  return out;
};

export interface RoundCounts {
  readonly planned: number;
  readonly sent: number;
  readonly skippedReserved: number;
  readonly skippedWithdrawn: number;
  readonly skippedDuplicate: number;
  readonly skippedOther: number;
  readonly failed: number;
  readonly cancelled: number;
  readonly pending: number;
}

/** How far a round is: everything not pending is decided. 0–100, whole percent, never NaN. */
export const progressPercent = (c: Partial<RoundCounts> | undefined): number => {
  const planned = c?.planned ?? 0;
  if (planned <= 0) return 0;
  const done = planned - (c?.pending ?? planned);
  return Math.min(100, Math.max(0, Math.floor((done * 100) / planned)));
};

/** Norwegian time (Europe/Oslo, whatever the browser's zone) for a timestamp from the API (ISO 8601 UTC), to the second. */
export const formatTime = (iso: string | undefined, lang: UiLang): string => {
  if (!iso) return '–';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(lang === 'nb' ? 'nb-NO' : 'en-GB', OSLO_CLOCK);
};

/**
 * How far a round is, as one set of figures for both the bar and the text beside it: `done` of
 * `planned` decided (everything not pending), and the whole percent the bar is drawn at.
 */
export const progressOf = (c: Partial<RoundCounts> | undefined): { done: number; planned: number; pct: number } => {
  const planned = Math.max(0, c?.planned ?? 0);
  const done = planned === 0 ? 0 : Math.min(planned, Math.max(0, planned - (c?.pending ?? planned)));
  return { done, planned, pct: progressPercent(c) };
};

/**
 * A round as people name it: `Runde 3 · Invitasjon v2 · 30 000 mottakere`. The number is the
 * round's place in its project (oldest first); an unknown part is left out rather than guessed.
 */
export const roundName = (r: { number?: number; letterTitle?: string; version?: number; recipients?: number }, lang: UiLang): string => {
  const parts = [lang === 'nb' ? `Runde ${r.number ?? ''}`.trim() : `Round ${r.number ?? ''}`.trim()];
  if (r.letterTitle) parts.push(`${r.letterTitle}${r.version ? ` v${r.version}` : ''}`);
  if (r.recipients !== undefined) parts.push(`${formatCount(r.recipients, lang)} ${lang === 'nb' ? 'mottakere' : r.recipients === 1 ? 'recipient' : 'recipients'}`);
  return parts.join(' · ');
};

/** Each round's number in its project: ids are made from the creation time, so they sort oldest first. */
export const roundNumbers = (rounds: readonly { roundId: string; createdAt?: string }[]): Map<string, number> =>
  new Map([...rounds].sort((a, b) => (a.createdAt ?? '').localeCompare(b.createdAt ?? '') || a.roundId.localeCompare(b.roundId)).map((r, i) => [r.roundId, i + 1]));

/** `YYYY-MM` of a month `offset` months from the month of `now` (UTC). */
export const monthFrom = (now: Date, offset: number): string => {
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1));
  return d.toISOString().slice(0, 7);
};

/** RFC 4180 CSV of the statistics (CRLF; cells that a spreadsheet would run as formulas are quoted with '). */
export const statisticsCsv = (items: readonly StatisticsItem[]): string => {
  const cell = (v: string | number) => {
    let s = String(v);
    if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const rows = items.map((i) => [i.organization, i.month, i.channel, i.sent, i.skipped, i.failed]);
  return [['organization', 'month', 'channel', 'sent', 'skipped', 'failed'], ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
};

/** Letters sent per month and channel (all organisations or one), for the chart: months in order, one series per channel. */
export const sentByMonthAndChannel = (items: readonly StatisticsItem[], months: readonly string[], organization?: string) => {
  const channels = [...new Set(items.filter((i) => i.channel !== 'none').map((i) => i.channel))].sort();
  const series = channels.map((channel) => ({
    channel,
    data: months.map((m) => items.filter((i) => i.month === m && i.channel === channel && (!organization || i.organization === organization)).reduce((n, i) => n + i.sent, 0)),
  }));
  return { months: [...months], series };
};

/**
 * What the operations status card may claim. Only the latest read counts: while the first is
 * under way, or when the latest poll failed, the state is unknown (never a stale "running"), and
 * the time of the last successful read is kept to say how old the figures are.
 */
export interface OpsStatusView {
  readonly state: 'unknown' | 'running' | 'halted';
  readonly stale: boolean;
  readonly loading: boolean;
  readonly lastUpdate?: string;
}

export const opsStatusView = (status: { halted?: boolean } | undefined, reads: { okAt?: string; failedAt?: string }): OpsStatusView => {
  const failedLast = reads.failedAt !== undefined && (reads.okAt === undefined || reads.failedAt > reads.okAt);
  const lastUpdate = reads.okAt ? { lastUpdate: reads.okAt } : {};
  if (!status || failedLast) return { state: 'unknown', stale: failedLast, loading: !status && !failedLast, ...lastUpdate };
  return { state: status.halted ? 'halted' : 'running', stale: false, loading: false, ...lastUpdate };
};

/**
 * The queues hold tasks (a batch, a chunk of a pre-flight), not letters: their counters are named
 * so, never with the words the page uses for letters in flight. While a project is paused workers
 * may hold its parked batches' messages while no letter is in flight.
 */
const QUEUE_NAMES: Record<UiLang, Record<string, string>> = {
  nb: { dispatch: 'Utsending', prepare: 'Forhåndskontroll', visible: 'oppgaver i kø', inFlight: 'oppgaver hos arbeiderne', deadLettered: 'oppgaver som feilet (venter på ny kjøring)' },
  en: { dispatch: 'Dispatch', prepare: 'Pre-flight check', visible: 'tasks queued', inFlight: 'tasks held by workers', deadLettered: 'failed tasks (awaiting redrive)' },
};

/** The status card's count of letters handed to a channel right now (what a pause waits for). */
export const lettersInFlightLabel = (lang: UiLang): string => (lang === 'nb' ? 'Brev under behandling nå' : 'Letters in flight now');

/** camelCase → words, for a name the console has no text for yet (never shown as an identifier). */
const words = (name: string): string => name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();

/** A queue and one of its counters, as operators say it. */
export const queueLabel = (queue: string, counter: string, lang: UiLang): string => `${QUEUE_NAMES[lang][queue] ?? words(queue)} · ${QUEUE_NAMES[lang][counter] ?? words(counter)}`;

/** The release button names what it does: "Send 30 000 brev", never a bare "Send". */
export const sendLabel = (letters: number, lang: UiLang): string =>
  lang === 'nb' ? `Send ${formatCount(letters, lang)} brev` : `Send ${formatCount(letters, lang)} ${letters === 1 ? 'letter' : 'letters'}`;

const CHANNEL_LINES: Record<UiLang, Record<keyof Reach['byChannel'], string>> = {
  nb: { helsenorge: 'Helsenorge', 'digital-mailbox': 'Digital postkasse', paper: 'Papir (porto)', viaGuardians: 'Gjennom foresatte', noChannel: 'Ingen kanal (hoppes over ved utsending)' },
  en: { helsenorge: 'Helsenorge', 'digital-mailbox': 'Digital mailbox', paper: 'Paper (postage)', viaGuardians: 'Through guardians', noChannel: 'No channel (skipped when sending)' },
};
const LANGUAGE_LINES: Record<UiLang, Record<'nb' | 'nn' | 'en', string>> = {
  nb: { nb: 'bokmål', nn: 'nynorsk', en: 'engelsk' },
  en: { nb: 'Bokmål', nn: 'Nynorsk', en: 'English' },
};

/**
 * Who the round reaches, by channel and by the language they will read (the pre-flight's
 * `reach`), as lines for the release confirmation; zero lines are left out. Empty for rounds made
 * before the pre-flight had the breakdown.
 */
export const reachLines = (p: Preflight, lang: UiLang): { channels: string[]; languages: string[] } => {
  const reach = p.reach;
  if (!reach) return { channels: [], languages: [] };
  const channels = (Object.keys(CHANNEL_LINES[lang]) as (keyof Reach['byChannel'])[])
    .filter((k) => (reach.byChannel[k] ?? 0) > 0)
    .map((k) => `${CHANNEL_LINES[lang][k]}: ${formatCount(reach.byChannel[k], lang)}`);
  const languages = (['nb', 'nn', 'en'] as const).filter((k) => (reach.byLanguage[k] ?? 0) > 0).map((k) => `${LANGUAGE_LINES[lang][k]}: ${formatCount(reach.byLanguage[k], lang)}`);
  return { channels, languages };
};

/** Which version goes out and who approved it (or that it is not approved), for the confirmation. */
export const approvalLine = (
  letter: { readonly version: number; readonly approval?: string; readonly approvedVersion?: number; readonly approvedBy?: string; readonly approvedAt?: string },
  version: number,
  lang: UiLang,
): string => {
  const approved = letter.version === version ? letter.approval === 'approved' || letter.approvedBy !== undefined : letter.approvedVersion === version;
  if (!approved) {
    return lang === 'nb'
      ? `Versjon ${version} er ikke godkjent: runden kan ikke sendes før en superbruker har godkjent den.`
      : `Version ${version} is not approved: the round cannot be sent until a superuser approves it.`;
  }
  const by = letter.version === version && letter.approvedBy ? letter.approvedBy : undefined;
  const at = letter.version === version && letter.approvedAt ? ` ${formatTime(letter.approvedAt, lang)}` : '';
  if (lang === 'nb') return by ? `Versjon ${version}, godkjent av ${by}${at}.` : `Versjon ${version}, godkjent.`;
  return by ? `Version ${version}, approved by ${by}${at}.` : `Version ${version}, approved.`;
};

/**
 * The pause, as it truly is: "stopping — N letters in flight" until the platform acknowledges,
 * then "paused at T by X, confirmed at T2 — N letters since", N counted from delivery times (GET
 * …/sent-since) after the confirmation (nothing in flight any more; letters in flight at T may
 * leave until then), never from the round counters, and never claimed before it is read.
 */
export type PauseState =
  | { readonly phase: 'stopping'; readonly inFlight?: number }
  | { readonly phase: 'paused'; readonly pausedAt?: string; readonly pausedBy?: string; readonly pausedByName?: string; readonly confirmedAt?: string; readonly sentSince?: number };

/**
 * Who did something, in words: the platform's own actors by what they are, people by the name their
 * sign-in gave when they acted (recorded with the act), else by their user id.
 */
export const actorLabel = (sub: string, lang: UiLang, name?: string): string => {
  const nb = lang === 'nb';
  if (sub === 'system:brake') return nb ? 'den automatiske bremsen' : 'the automatic brake';
  if (sub === 'scheduler') return nb ? 'planlagt frigivelse' : 'the scheduled release';
  return name?.trim() || sub;
};

export const pauseLine = (s: PauseState, lang: UiLang): string => {
  const nb = lang === 'nb';
  if (s.phase === 'stopping') {
    if (s.inFlight === undefined) return nb ? 'Stopper – venter på at brev under behandling blir ferdige …' : 'Stopping – waiting for letters in flight to finish …';
    return nb ? `Stopper – ${formatCount(s.inFlight, lang)} brev under behandling …` : `Stopping – ${formatCount(s.inFlight, lang)} letters in flight …`;
  }
  const at = formatTime(s.pausedAt, lang);
  const by = s.pausedBy ? (nb ? ` av ${actorLabel(s.pausedBy, lang, s.pausedByName)}` : ` by ${actorLabel(s.pausedBy, lang, s.pausedByName)}`) : '';
  const confirmed = s.confirmedAt ? (nb ? `, bekreftet ${formatTime(s.confirmedAt, lang)}` : `, confirmed ${formatTime(s.confirmedAt, lang)}`) : '';
  const since =
    s.sentSince === undefined
      ? nb
        ? 'kontrollerer brev sendt siden …'
        : 'checking letters sent since …'
      : nb
        ? `${formatCount(s.sentSince, lang)} brev sendt siden.`
        : `${formatCount(s.sentSince, lang)} ${s.sentSince === 1 ? 'letter' : 'letters'} sent since.`;
  return nb ? `Pauset ${at}${by}${confirmed} – ${since}` : `Paused ${at}${by}${confirmed} – ${since}`;
};

/** One look at a round's progress: when the page saw it, and how many letters were done. */
export interface ProgressSample {
  readonly at: number;
  readonly done: number;
}

/** Letters per second over the samples of the last minute (undefined until two samples apart in time). */
export const liveRate = (samples: readonly ProgressSample[], windowMs = 60_000): number | undefined => {
  if (samples.length < 2) return undefined;
  const last = samples[samples.length - 1]!;
  const first = samples.find((s) => s.at >= last.at - windowMs) ?? samples[0]!;
  const seconds = (last.at - first.at) / 1000;
  if (seconds <= 0) return undefined;
  return Math.max(0, (last.done - first.done) / seconds);
};

/** "ca. 5 min igjen" from letters left and the rate; nothing while the rate is unknown or zero. */
export const timeLeftText = (left: number, rate: number | undefined, lang: UiLang): string | undefined => {
  if (!rate || rate <= 0 || left <= 0) return undefined;
  const minutes = Math.round(left / rate / 60);
  const nb = lang === 'nb';
  if (minutes < 1) return nb ? 'under 1 min igjen' : 'under 1 min left';
  const span = minutes >= 60 ? `${Math.floor(minutes / 60)} ${nb ? 't' : 'h'} ${minutes % 60} min` : `${minutes} min`;
  return nb ? `ca. ${span} igjen` : `about ${span} left`;
};

const LANG_NAME_NB: Record<string, string> = { nb: 'bokmål', nn: 'nynorsk', en: 'engelsk' };

/**
 * A check finding as a Norwegian sentence naming the fix (the server's texts are English and carry
 * internal reasons such as NETWORK). In English, and for codes the console does not know yet,
 * the server's message stands.
 */
export const findingText = (f: { code: string; severity: string; message: string; [k: string]: unknown }, lang: UiLang): string => {
  if (lang !== 'nb') return f.message;
  const inLang = typeof f.language === 'string' && LANG_NAME_NB[f.language] ? ` (${LANG_NAME_NB[f.language]})` : '';
  const link = typeof f.link === 'string' ? ` ${f.link}` : '';
  const fixLink = 'Sjekk adressen, eller rett lenken.';
  switch (f.code) {
    case 'BROKEN_LINK': {
      const why: Record<string, string> = {
        NETWORK: 'svarte ikke',
        TIMEOUT: 'svarte ikke i tide',
        HTTP_STATUS: `svarte med feilkode ${typeof f.status === 'number' ? f.status : 'ukjent'}`,
        TOO_MANY_REDIRECTS: 'sender videre for mange ganger',
        REDIRECT_NOT_ALLOWED: 'sender videre til en adresse som ikke er tillatt',
        ADDRESS_NOT_ALLOWED: 'peker til en adresse som ikke er tillatt',
      };
      return `Lenken${link}${inLang} ${why[String(f.reason ?? 'NETWORK')] ?? 'virket ikke'}. ${fixLink}`;
    }
    case 'LINK_NOT_HTTPS':
      return `Lenken${link}${inLang} må begynne med https://. Skriv https:// foran adressen.`;
    case 'LINK_DOMAIN_NOT_ALLOWED':
      return `Lenken${link}${inLang} går til et domene prosjektet ikke har godkjent. Bruk et av prosjektets lenkedomener, eller be om å få domenet lagt til.`;
    case 'PERSONAL_DATA_IN_LINK':
      return `Lenken${link}${inLang} inneholder et fødselsnummer. Fjern det; skjemaoppgaver får en egen, anonym lenke.`;
    case 'LINK_SHORTENER':
      return `Lenken${link}${inLang} er en lenkeforkorter som skjuler hvor den går. Lenk direkte til siden.`;
    case 'MALFORMED_LINK':
      return `Lenken${link}${inLang} er ikke en gyldig adresse. Rett skrivemåten.`;
    case 'PLACEHOLDER_IN_LINK':
      return `En lenke${inLang} bygges av flettefelt fra mottakerlista; slike lenker kan ikke kontrolleres. Skriv hele lenken i teksten.`;
    case 'UNKNOWN_PLACEHOLDER':
      return typeof f.placeholder === 'string'
        ? `Flettefeltet {{${f.placeholder}}}${inLang} er ikke deklarert. Legg det til under «Flettefelt», eller rett skrivemåten.`
        : `Et flettefelt${inLang} er feil skrevet. Skriv {{navn}}: en bokstav først, så bokstaver, tall eller _.`;
    case 'MISSING_LANGUAGE':
      return f.language === 'nb'
        ? 'Brevet mangler bokmål, som er påkrevd. Skriv bokmålsversjonen.'
        : `Brevet mangler ${LANG_NAME_NB[String(f.language)] ?? 'et språk'}. Skriv den versjonen, eller begrunn i sjekklisten hvorfor den mangler.`;
    case 'SUBJECT_TOO_LONG':
      return `Emnefeltet${inLang} er for langt. Kort det ned.`;
    case 'BODY_TOO_LONG':
      return `Brevteksten${inLang} er for lang. Kort den ned.`;
    case 'FORM_TASK_MISSING':
      return 'Skjemaoppgaven brevet viser til finnes ikke. Velg en skjemaoppgave som finnes.';
    case 'DUPLICATE_ROUND':
      return `${formatCount(Number(f.overlap ?? 0), lang)} mottakere har fått ${f.reason === 'changed_version' ? `versjon ${String(f.previousVersion ?? '?')} av dette brevet` : 'et nesten likt brev'} i en tidligere runde de siste 90 dagene. En annen superbruker må overstyre for å sende.`;
    case 'LANGUAGE_MISSING':
      return `${formatCount(Number(f.recipients ?? 0), lang)} mottakere leser ${LANG_NAME_NB[String(f.language)] ?? 'et språk'}, som brevet mangler; de får det på ${LANG_NAME_NB[String(f.readInstead)] ?? 'et annet språk'}. Skriv den versjonen om de skal få den.`;
    case 'MISSING_PLACEHOLDER_COLUMN':
      return `Brevet bruker flettefelt som mottakerlista ikke har kolonne for${Array.isArray(f.placeholders) ? `: ${(f.placeholders as string[]).map((p) => `{{${p}}}`).join(', ')}` : ''}. Legg kolonnen til i lista, eller fjern feltet.`;
    default:
      return f.message;
  }
};

/** The merge fields a researcher typed ("fornavn, {{klinikk}}"), each once, and what cannot be one. */
export const parseFields = (typed: string): { fields: string[]; invalid: string[] } => {
  const fields: string[] = [];
  const invalid: string[] = [];
  for (const raw of typed.split(/[\s,;]+/)) {
    const name = raw.replace(/^\{\{\s*|\s*\}\}$/g, '').trim();
    if (!name) continue;
    if (!PLACEHOLDER_NAME.test(name)) invalid.push(name);
    else if (!fields.includes(name)) fields.push(name);
  }
  return { fields, invalid };
};

/** Placeholders the letter's text uses that are not declared, in order of first use. */
export const undeclaredPlaceholders = (content: Partial<Record<string, { subject: string; body: string }>>, declared: readonly string[]): string[] => {
  const out: string[] = [];
  for (const c of Object.values(content)) {
    if (!c) continue;
    for (const m of `${c.subject}\n${c.body}`.matchAll(wellFormedPlaceholders())) {
      const name = m[1]!;
      if (!declared.includes(name) && !out.includes(name)) out.push(name);
    }
  }
  return out;
};

const AUDIT_NB: Record<string, (d: Record<string, unknown>) => string> = {
  'citizen.withdrew': () => 'En innbygger trakk seg fra prosjektet',
  'contacts.lookup': () => 'Drift slo opp hvem som har kontaktet en innbygger',
  'dispatch.halted': () => 'All utsending ble stanset',
  'dispatch.redriven': () => 'Feilede leveranser ble kjørt på nytt',
  'dispatch.resumed': () => 'All utsending ble gjenopptatt',
  'form_task.answered': () => 'En skjemaoppgave ble besvart',
  'form_task.completed': () => 'En skjemaoppgave ble fullført',
  'form_task.created': () => 'En skjemaoppgave ble opprettet',
  'letter.created': () => 'Et brev ble opprettet',
  'letter.test_sent': () => 'Brevet ble prøvesendt til testpersoner',
  'letter.version_approved': (d) => (typeof d.version === 'number' ? `Versjon ${d.version} av brevet ble godkjent` : 'En versjon av brevet ble godkjent'),
  'letter.version_created': (d) => (typeof d.version === 'number' ? `Versjon ${d.version} av brevet ble lagret` : 'En ny versjon av brevet ble lagret'),
  'project.approved': () => 'Prosjektet ble godkjent',
  'project.created': () => 'Prosjektet ble opprettet',
  'project.link_domains_changed': () => 'Prosjektets lenkedomener ble endret',
  'project.member_added': () => 'Et medlem ble lagt til i prosjektet',
  'project.minors_policy_approved': () => 'Regelen for mottakere under 16 år ble godkjent',
  'project.paused': () => 'Prosjektet ble pauset',
  'project.rejected': () => 'Prosjektet ble sendt tilbake for endringer',
  'project.resumed': () => 'Prosjektet ble gjenopptatt',
  'project.settings_changed': () => 'Prosjektets innstillinger ble endret',
  'round.canary_confirmed': () => 'Prøveutsendingen ble godkjent, og resten av runden sendes',
  'round.canary_done': () => 'Prøveutsendingen er ferdig og venter på kontroll',
  'round.brake_tripped': (d) =>
    d.rule === 'failed'
      ? `Den automatiske bremsen stoppet en runde: ${String(d.percent).replace('.', ',')} % av brevene i et utsnitt feilet (grense ${String(d.limitPercent).replace('.', ',')} %)`
      : `Den automatiske bremsen stoppet en runde: ${String(d.percent).replace('.', ',')} % av mottakerne i et utsnitt var reservert (grense ${String(d.limitPercent).replace('.', ',')} %)`,
  'round.cancelled': () => 'En runde ble avbrutt',
  'round.completed': () => 'En runde er fullført',
  'round.created': () => 'En runde ble opprettet',
  'round.overridden': () => 'En superbruker overstyrte stoppet for en runde',
  'round.released': () => 'En runde ble sluppet',
  'round.scheduled': () => 'En runde ble planlagt',
};

/**
 * An audit event as a sentence ("Versjon 3 av brevet ble godkjent."), with the reason or comment
 * when it has one; an unknown action is turned into words, never shown as its dotted name.
 */
export const auditSentence = (ev: { action: string; details?: unknown }, lang: UiLang): string => {
  const d = (ev.details && typeof ev.details === 'object' ? ev.details : {}) as Record<string, unknown>;
  const known = AUDIT_NB[ev.action];
  const base = lang === 'nb' && known ? known(d) : ev.action.replace(/[._]/g, ' ').replace(/^./, (c) => c.toUpperCase());
  const extra: string[] = [];
  if (typeof d.reason === 'string' && d.reason.trim()) extra.push(`${lang === 'nb' ? 'Begrunnelse' : 'Reason'}: ${d.reason.trim()}`);
  if (typeof d.comment === 'string' && d.comment.trim()) extra.push(`${lang === 'nb' ? 'Kommentar' : 'Comment'}: ${d.comment.trim()}`);
  return [base, ...extra].map((s) => (/[.!?]$/.test(s) ? s : `${s}.`)).join(' ');
};

/** A number as written in running text: "2,5" and "10 000" in Norwegian, "2.5" and "10,000" in English. */
export const formatNumber = (n: number, lang: UiLang): string => {
  if (!Number.isFinite(n)) return '–';
  const whole = formatCount(n, lang);
  const fraction = String(Math.abs(n)).split('.')[1];
  return fraction ? `${whole}${lang === 'nb' ? ',' : '.'}${fraction}` : whole;
};

type BrakeKey = keyof BrakeSettings;
/** The brake's settings in the order the form and the sentence give them. */
export const BRAKE_KEYS: readonly BrakeKey[] = ['fromRecipients', 'windowRecipients', 'maxFailedPercent', 'maxReservedExcessPoints', 'canaryRecipients'];

const BRAKE_LABELS: Record<UiLang, Record<BrakeKey, string>> = {
  nb: {
    fromRecipients: 'Gjelder runder fra (mottakere)',
    windowRecipients: 'Vurderes per (mottakere)',
    maxFailedPercent: 'Stanser ved over (% feilet eller avvist)',
    maxReservedExcessPoints: 'Stanser ved over (prosentpoeng flere reservert enn i forhåndskontrollen)',
    canaryRecipients: 'Automatisk prøveutsending (mottakere, 0 = av)',
  },
  en: {
    fromRecipients: 'Applies to rounds from (recipients)',
    windowRecipients: 'Judged per (recipients)',
    maxFailedPercent: 'Stops above (% failed or refused)',
    maxReservedExcessPoints: 'Stops above (percentage points more reserved than in the pre-flight check)',
    canaryRecipients: 'Automatic canary (recipients, 0 = off)',
  },
};

/** The label of one of the brake's settings (the form's, and the name in an error about it). */
export const brakeLabel = (key: BrakeKey, lang: UiLang): string => BRAKE_LABELS[lang][key];

const brakeFieldNames = (lang: UiLang): Record<string, string> => Object.fromEntries(BRAKE_KEYS.map((k) => [`brake.${k}`, BRAKE_LABELS[lang][k]]));

const percentText = (n: number, lang: UiLang) => (lang === 'nb' ? `${formatNumber(n, lang)}${NBSP}%` : `${formatNumber(n, lang)}%`);

/** The bounds and the default of one of the brake's settings, as the form's hint: "Fra 100 til 100 000. Standard: 1 000." */
export const brakeHint = (key: BrakeKey, lang: UiLang): string => {
  const { min, max } = BRAKE_LIMITS[key];
  const d = DEFAULT_BRAKE[key];
  const std = key === 'canaryRecipients' && d === 0 ? (lang === 'nb' ? 'av' : 'off') : formatNumber(d, lang);
  return lang === 'nb' ? `Fra ${formatNumber(min, lang)} til ${formatNumber(max, lang)}. Standard: ${std}.` : `From ${formatNumber(min, lang)} to ${formatNumber(max, lang)}. Default: ${std}.`;
};

/**
 * The brake in force as one sentence, every value that is not the default followed by the default
 * ("vurdert per 500 (standard 1 000)"), and a last word on which values are the defaults.
 */
export const brakeSummary = (brake: BrakeSettings, lang: UiLang): string => {
  const nb = lang === 'nb';
  const n = (x: number) => formatNumber(x, lang);
  const changed = (k: BrakeKey) => brake[k] !== DEFAULT_BRAKE[k];
  const recipients = (x: number) => (nb ? `${n(x)} ${x === 1 ? 'mottaker' : 'mottakere'}` : `${n(x)} ${x === 1 ? 'recipient' : 'recipients'}`);
  const canary = (x: number) => (x <= 0 ? (nb ? 'av' : 'off') : recipients(x));
  const std = (k: BrakeKey, text: string) => (changed(k) ? ` (${nb ? 'standard' : 'default'} ${text})` : '');
  const rounds =
    brake.fromRecipients <= 1
      ? `${nb ? 'alle runder' : 'every round'}${std('fromRecipients', nb ? `fra ${recipients(DEFAULT_BRAKE.fromRecipients)}` : `from ${recipients(DEFAULT_BRAKE.fromRecipients)}`)}`
      : `${nb ? 'runder fra' : 'rounds from'} ${recipients(brake.fromRecipients)}${std('fromRecipients', n(DEFAULT_BRAKE.fromRecipients))}`;
  const window = `${nb ? 'vurdert per' : 'judged per'} ${n(brake.windowRecipients)}${std('windowRecipients', n(DEFAULT_BRAKE.windowRecipients))}`;
  const failed = `${percentText(brake.maxFailedPercent, lang)}${std('maxFailedPercent', percentText(DEFAULT_BRAKE.maxFailedPercent, lang))}`;
  const points = `${n(brake.maxReservedExcessPoints)} ${nb ? 'prosentpoeng' : 'percentage points'}${std('maxReservedExcessPoints', n(DEFAULT_BRAKE.maxReservedExcessPoints))}`;
  const canaryText = `${canary(brake.canaryRecipients)}${std('canaryRecipients', canary(DEFAULT_BRAKE.canaryRecipients))}`;
  const changedCount = BRAKE_KEYS.filter(changed).length;
  const tail =
    changedCount === 0
      ? nb
        ? ' Alle verdiene er standard.'
        : ' All values are the defaults.'
      : changedCount < BRAKE_KEYS.length
        ? nb
          ? ' Øvrige verdier er standard.'
          : ' The other values are the defaults.'
        : '';
  return nb
    ? `Automatisk brems: ${rounds}, ${window}; stanser ved over ${failed} feilet eller avvist, eller over ${points} flere reservert enn i forhåndskontrollen; automatisk prøveutsending: ${canaryText}.${tail}`
    : `Automatic brake: ${rounds}, ${window}; stops above ${failed} failed or refused, or above ${points} more reserved than in the pre-flight check; automatic canary: ${canaryText}.${tail}`;
};

/** What is typed in the brake's form, one text per setting (as number inputs give them). */
export type BrakeInput = Record<BrakeKey, string>;

export const brakeInput = (brake: BrakeSettings): BrakeInput => Object.fromEntries(BRAKE_KEYS.map((k) => [k, String(brake[k])])) as BrakeInput;

/**
 * The form's own check, with the server's bounds (BRAKE_LIMITS), before anything is sent: per
 * setting, the error in words ("Vurderes per (mottakere): må være minst 100."), as the server's
 * would read.
 */
export const brakeInputErrors = (input: BrakeInput, lang: UiLang): Partial<Record<BrakeKey, string>> => {
  const nb = lang === 'nb';
  const out: Partial<Record<BrakeKey, string>> = {};
  for (const k of BRAKE_KEYS) {
    const { min, max, integer } = BRAKE_LIMITS[k];
    const typed = input[k].trim().replace(',', '.');
    const v = Number(typed);
    const rule =
      typed === ''
        ? nb
          ? 'må fylles ut.'
          : 'is required.'
        : !Number.isFinite(v)
          ? nb
            ? 'må være et tall.'
            : 'must be a number.'
          : integer && !Number.isInteger(v)
            ? nb
              ? 'må være et helt tall.'
              : 'must be a whole number.'
            : v < min
              ? nb
                ? `må være minst ${formatNumber(min, lang)}.`
                : `must be at least ${formatNumber(min, lang)}.`
              : v > max
                ? nb
                  ? `kan være høyst ${formatNumber(max, lang)}.`
                  : `must be at most ${formatNumber(max, lang)}.`
                : undefined;
    if (rule) out[k] = `${brakeLabel(k, lang)}: ${rule}`;
  }
  return out;
};

/** The settings typed that differ from those in force (a change names only what it changes). Call with input that passed brakeInputErrors. */
export const brakeChanges = (current: BrakeSettings, input: BrakeInput): Partial<BrakeSettings> => {
  const out: Partial<Record<BrakeKey, number>> = {};
  for (const k of BRAKE_KEYS) {
    const v = Number(input[k].trim().replace(',', '.'));
    if (v !== current[k]) out[k] = v;
  }
  return out;
};

const FIELD_NAMES: Record<UiLang, Record<string, string>> = {
  nb: {
    allowedLinkDomains: 'Lenkedomene',
    title: 'Tittel',
    organization: 'Organisasjon',
    contact: 'Kontakt',
    purpose: 'Formål',
    'content.nb.subject': 'Emne (bokmål)',
    'content.nb.body': 'Tekst (bokmål)',
    'content.nn.subject': 'Emne (nynorsk)',
    'content.nn.body': 'Tekst (nynorsk)',
    'content.en.subject': 'Emne (engelsk)',
    'content.en.body': 'Tekst (engelsk)',
    fields: 'Flettefelt',
    reason: 'Begrunnelse',
    comment: 'Kommentar',
    at: 'Tidspunkt',
    frequencyCap: 'Maks antall brev',
    sub: 'Bruker',
    ...brakeFieldNames('nb'),
  },
  en: {
    allowedLinkDomains: 'Link domain',
    title: 'Title',
    organization: 'Organisation',
    contact: 'Contact',
    fields: 'Merge fields',
    reason: 'Reason',
    comment: 'Comment',
    at: 'Time',
    ...brakeFieldNames('en'),
  },
};

const RULES_NB: [RegExp, string | ((match: string, bound: string) => string)][] = [
  [/^Too small: expected number to be >=?(-?[\d.]+)/, (_, n) => `må være minst ${formatNumber(Number(n), 'nb')}.`],
  [/^Too big: expected number to be <=?(-?[\d.]+)/, (_, n) => `kan være høyst ${formatNumber(Number(n), 'nb')}.`],
  [/^Invalid input: expected int/, 'må være et helt tall.'],
  [/^Invalid input: expected number/, 'må være et tall.'],
  [/^must have at least two labels/, 'må ha minst to ledd, som eksempel.no.'],
  [/^is a public suffix/, 'er et offentlig suffiks der hvem som helst kan registrere; oppgi domenet, som eksempel.no.'],
  [/^must be a host name/, 'må være et vertsnavn, som eksempel.no.'],
  [/^Too small: expected string to have >=1 characters|^Required|expected string, received undefined/, 'må fylles ut.'],
  [/^Too big: expected string to have <=(\d+) characters/, 'kan ha høyst $1 tegn.'],
  [/^must be a placeholder name/, 'må være et flettefeltnavn: en bokstav først, så bokstaver, tall eller _.'],
  [/^Invalid ISO datetime|^Invalid datetime/, 'må være et gyldig tidspunkt.'],
  [/^must be a researcher identity, not a national ID/, 'må være en forskeridentitet, ikke et fødselsnummer.'],
];

const replaceWhole = (message: string, pattern: RegExp, by: string | ((match: string, bound: string) => string)): string =>
  typeof by === 'string' ? message.replace(pattern, by) : message.replace(pattern, by);

/**
 * A server field error as people read it: the field named in words ("Lenkedomene nr. 1", never
 * `allowedLinkDomains.0`) and, in Norwegian, the known rules translated; an unknown rule's text
 * is kept.
 */
export const fieldErrorText = (field: string, message: string, lang: UiLang): string => {
  const names = FIELD_NAMES[lang];
  const m = /^(.*)\.(\d+)$/.exec(field);
  const base = m ? m[1]! : field;
  const index = m ? Number(m[2]) + 1 : undefined;
  const name = names[base] ?? FIELD_NAMES.nb[base] ?? base.replace(/[._]/g, ' ');
  const label = index === undefined ? name : `${name} ${lang === 'nb' ? 'nr.' : 'no.'} ${index}`;
  const rule = lang === 'nb' ? RULES_NB.find(([re]) => re.test(message)) : undefined;
  const text = !rule ? message : replaceWhole(message, new RegExp(`^.*?(?:${rule[0].source}).*$`), rule[1]);
  return `${label}: ${text}`;
};
