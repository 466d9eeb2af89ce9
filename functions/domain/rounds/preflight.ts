import { AGE_OF_CONSENT, type MinorSkipReason, type Route } from '../citizens/minors.js';
import { type MinorsPolicy } from '../projects/project.js';
import type { ContactRecord } from './round.js';
import { LANGUAGES, type Language, type LetterContentByLanguage } from '../letters/letter.js';
import { readingLanguage } from '../letters/render.js';
import { letterSimilarity, NEAR_DUPLICATE_THRESHOLD } from './similarity.js';
import type { DuplicateRoundFinding, MinorsPreflight, OtherRoundFinding, Preflight, SkipReason } from './round.js';

const DAY_MS = 86_400_000;
/** Changed or near-identical letters within this window hold a round. */
export const DUPLICATE_WINDOW_DAYS = 90;
/** The frequency cap counts letters within this window. */
export const FREQUENCY_WINDOW_DAYS = 30;

/** Everything known about one recipient when deciding whether they get the letter. */
export interface RecipientFacts {
  readonly valid: boolean;
  readonly reserved: boolean;
  readonly withdrawn: boolean;
  /** What the population register says: whether it knows the person, and whether they are alive. */
  readonly population: { readonly deceased: boolean; readonly known: boolean };
  /** This citizen's contacts by the project (ledger), test sends included (they are ignored here). */
  readonly contacts: readonly ContactRecord[];
  /** Reminder rounds only: whether the citizen still has the form task open and unanswered. */
  readonly awaitingAnswer?: boolean;
}

export interface SendRules {
  readonly contentHash: string;
  readonly frequencyCap: number;
  readonly onlyNonResponders: boolean;
  /** ISO time the decision is made at. */
  readonly now: string;
}

export type RecipientDecision = { readonly outcome: 'send' } | { readonly outcome: 'skip'; readonly reason: SkipReason };

const realContacts = (contacts: readonly ContactRecord[]) => contacts.filter((c) => c.test !== true);

/**
 * Whether one recipient gets the letter, and if not, why — in one fixed order, so the pre-flight
 * report and the send-time decision agree: invalid, reserved, withdrawn, deceased, not found,
 * identical content already sent, (reminders) not awaiting an answer, frequency cap.
 * Pure: the dispatch worker calls it at send time with facts read *then*.
 */
export const decideRecipient = (r: RecipientFacts, rules: SendRules): RecipientDecision => {
  const skip = (reason: SkipReason): RecipientDecision => ({ outcome: 'skip', reason });
  if (!r.valid) return skip('invalid');
  if (r.reserved) return skip('reserved');
  if (r.withdrawn) return skip('withdrawn');
  if (r.population.deceased) return skip('deceased');
  if (!r.population.known) return skip('not_found');
  const contacts = realContacts(r.contacts);
  if (contacts.some((c) => c.contentHash === rules.contentHash)) return skip('duplicate');
  if (rules.onlyNonResponders && r.awaitingAnswer !== true) return skip('not_awaiting_answer');
  const since = Date.parse(rules.now) - FREQUENCY_WINDOW_DAYS * DAY_MS;
  const recent = contacts.filter((c) => Date.parse(c.sentAt) >= since).length;
  if (recent >= rules.frequencyCap) return skip('frequency_cap');
  return { outcome: 'send' };
};

/** Send-time-only reasons (channel refusals, no channel) have no pre-flight field; the minors rule's are in the `minors` block. */
const PREFLIGHT_FIELD: Partial<Record<SkipReason, keyof Preflight>> = {
  invalid: 'invalid',
  reserved: 'reserved',
  withdrawn: 'withdrawn',
  deceased: 'deceased',
  not_found: 'notFound',
  duplicate: 'alreadySent',
  not_awaiting_answer: 'notAwaitingAnswer',
  frequency_cap: 'frequencyCapped',
};

export const emptyPreflight = (): Preflight => ({
  total: 0,
  eligible: 0,
  reserved: 0,
  withdrawn: 0,
  alreadySent: 0,
  invalid: 0,
  deceased: 0,
  notFound: 0,
  frequencyCapped: 0,
  notAwaitingAnswer: 0,
});

export const tallyPreflight = (decisions: Iterable<RecipientDecision>): Preflight => {
  const p: Record<keyof Preflight, number> = { ...emptyPreflight() };
  for (const d of decisions) {
    p.total++;
    if (d.outcome === 'send') p.eligible++;
    else {
      const field = PREFLIGHT_FIELD[d.reason];
      if (field) p[field]++;
    }
  }
  return p;
};

export interface CurrentLetter {
  readonly letterId: string;
  readonly version: number;
  readonly contentHash: string;
  readonly content: LetterContentByLanguage;
}

/** Content of earlier versions the recipients received, by `${letterId}#${version}`. */
export type VersionContents = ReadonlyMap<string, LetterContentByLanguage>;
export const versionKey = (letterId: string, version: number) => `${letterId}#${version}`;

/** Earlier letters (within the window, not test sends, not this content) the recipients got: what to load. */
export const earlierVersionsReceived = (contactsByNin: Iterable<readonly ContactRecord[]>, current: CurrentLetter, now: string) => {
  const since = Date.parse(now) - DUPLICATE_WINDOW_DAYS * DAY_MS;
  const out = new Map<string, { letterId: string; version: number }>();
  for (const contacts of contactsByNin) {
    for (const c of contacts) {
      if (c.test === true || c.contentHash === current.contentHash || Date.parse(c.sentAt) < since) continue;
      out.set(versionKey(c.letterId, c.version), { letterId: c.letterId, version: c.version });
    }
  }
  return [...out.values()];
};

/**
 * Duplicate-round detection. A recipient overlaps an earlier round when, within 90 days, they got
 * from the project a different version of this letter, or a letter whose text is near-identical
 * (similarity ≥ 0.85) but not identical. Identical content is never a reason to hold (those
 * recipients are skipped instead), and neither is a reminder to non-responders.
 * Returns one finding per earlier round, with the number of overlapping recipients.
 */
export const detectDuplicateRounds = (
  recipients: Iterable<{ readonly contacts: readonly ContactRecord[]; readonly decision: RecipientDecision }>,
  current: CurrentLetter,
  earlier: VersionContents,
  opts: { readonly now: string; readonly onlyNonResponders: boolean },
): DuplicateRoundFinding[] => {
  if (opts.onlyNonResponders) return [];
  const since = Date.parse(opts.now) - DUPLICATE_WINDOW_DAYS * DAY_MS;
  const similarity = new Map<string, number>();
  const similarityTo = (letterId: string, version: number): number => {
    const key = versionKey(letterId, version);
    let s = similarity.get(key);
    if (s === undefined) {
      const content = earlier.get(key);
      s = content ? letterSimilarity(current.content, content) : 0;
      similarity.set(key, s);
    }
    return s;
  };

  const byRound = new Map<string, { overlap: number; similarity: number; reason: DuplicateRoundFinding['reason']; letterId: string; version: number }>();
  for (const r of recipients) {
    // Recipients who will not get this letter anyway (invalid, already got it) cannot be harmed by it.
    if (r.decision.outcome === 'skip' && (r.decision.reason === 'invalid' || r.decision.reason === 'duplicate')) continue;
    const counted = new Set<string>();
    for (const c of r.contacts) {
      if (c.test === true || c.contentHash === current.contentHash || Date.parse(c.sentAt) < since) continue;
      const sim = similarityTo(c.letterId, c.version);
      const changedVersion = c.letterId === current.letterId && c.version !== current.version;
      if (!changedVersion && sim < NEAR_DUPLICATE_THRESHOLD) continue;
      const entry = byRound.get(c.roundId) ?? {
        overlap: 0,
        similarity: 0,
        reason: changedVersion ? ('changed_version' as const) : ('near_identical' as const),
        letterId: c.letterId,
        version: c.version,
      };
      if (!counted.has(c.roundId)) {
        entry.overlap++;
        counted.add(c.roundId);
      }
      entry.similarity = Math.max(entry.similarity, sim);
      byRound.set(c.roundId, entry);
    }
  }
  return [...byRound.entries()].sort(([, a], [, b]) => b.overlap - a.overlap).map(([previousRoundId, e]) => duplicateFinding(previousRoundId, e));
};

/** The DUPLICATE_ROUND finding about one earlier round (also rebuilt when chunk results are summed). */
export const duplicateFinding = (
  previousRoundId: string,
  e: { readonly overlap: number; readonly similarity: number; readonly reason: DuplicateRoundFinding['reason']; readonly letterId: string; readonly version: number },
): DuplicateRoundFinding => ({
  code: 'DUPLICATE_ROUND' as const,
  severity: 'error' as const,
  message:
    e.reason === 'changed_version'
      ? `${e.overlap} recipient(s) already got version ${e.version} of this letter in round ${previousRoundId}; a superuser must override to send a correction`
      : `${e.overlap} recipient(s) already got a near-identical letter (similarity ${e.similarity}) in round ${previousRoundId}; a superuser must override to send it`,
  previousRoundId,
  overlap: e.overlap,
  similarity: e.similarity,
  reason: e.reason,
  previousLetterId: e.letterId,
  previousVersion: e.version,
});

/* ───────────────────────── Minors and guardians (issue 14) ─────────────────────────
 * The pre-flight predicts what the minors rule (citizens/minors.ts) will do at send time: how many
 * recipients are under 16, how many will be reached through guardians (and with how many letters),
 * how many have no reachable guardian, and — with `exclude` — how many are skipped as minors.
 * Its registry reads go through the CitizenFactsReader port, the same one the engine uses
 * (`routeRecipients` in citizens/minors.ts).
 */

/** A recipient's pre-flight outcome once the minors rule has had its say. */
export type MinorAwareDecision = RecipientDecision | { readonly outcome: 'skip'; readonly reason: MinorSkipReason } | { readonly outcome: 'send'; readonly via: 'guardians'; readonly letters: number };

/** Skips the usual rules decide before the minors rule (the same order as at send time). */
const BEFORE_MINORS: ReadonlySet<SkipReason> = new Set<SkipReason>(['invalid', 'reserved', 'withdrawn', 'deceased', 'not_found']);

/**
 * Combines the usual decision with the minors route: invalid, reserved, withdrawn, deceased and
 * not found come first; then the minors rule (which may also find an ID without a computable age
 * `invalid`, or facts the other registries did not have); then duplicate, not awaiting an answer,
 * frequency cap. Without a route (not read) the usual decision stands.
 */
export const withMinorsRoute = (decision: RecipientDecision, route: Route | undefined): MinorAwareDecision => {
  if (!route) return decision;
  if (decision.outcome === 'skip' && BEFORE_MINORS.has(decision.reason)) return decision;
  if (route.kind === 'skip') return { outcome: 'skip', reason: route.reason };
  if (decision.outcome === 'skip') return decision;
  return route.kind === 'guardians' ? { outcome: 'send', via: 'guardians', letters: route.guardians.length } : decision;
};

export const emptyMinorsPreflight = (policy: MinorsPolicy): MinorsPreflight => ({
  policy,
  underSixteen: 0,
  viaGuardians: 0,
  guardianLetters: 0,
  withoutGuardian: 0,
  guardianAccessReserved: 0,
  skippedMinor: 0,
  underGuardianship: 0,
  ignoredGuardianIds: 0,
});

const MINOR_FIELD: Record<MinorSkipReason, 'skippedMinor' | 'withoutGuardian' | 'guardianAccessReserved' | 'underGuardianship'> = {
  minor: 'skippedMinor',
  no_guardian: 'withoutGuardian',
  guardian_access_reserved: 'guardianAccessReserved',
  under_guardianship: 'underGuardianship',
};

const isMinorSkip = (reason: string): reason is MinorSkipReason => Object.prototype.hasOwnProperty.call(MINOR_FIELD, reason);

/**
 * The whole pre-flight with the minors rule applied: the usual fields (a child reached through
 * guardians is one `eligible` recipient) plus `minors`. The fields still add up:
 * total = eligible + reserved + withdrawn + alreadySent + invalid + deceased + notFound +
 * frequencyCapped + notAwaitingAnswer + minors.{skippedMinor, withoutGuardian,
 * guardianAccessReserved, underGuardianship}.
 */
export const tallyPreflightWithMinors = (items: Iterable<{ readonly decision: RecipientDecision; readonly route?: Route }>, policy: MinorsPolicy): Preflight & { readonly minors: MinorsPreflight } => {
  const p: Record<keyof Preflight, number> = { ...emptyPreflight() };
  const m: { -readonly [K in keyof MinorsPreflight]: MinorsPreflight[K] } = { ...emptyMinorsPreflight(policy) };
  for (const { decision, route } of items) {
    p.total++;
    if (route) {
      if (route.kind !== 'self') m.ignoredGuardianIds += route.ignoredGuardianIds;
      const age = route.kind === 'self' ? route.recipient.age : route.kind === 'guardians' ? route.childAge : route.age;
      if (age !== undefined && age < AGE_OF_CONSENT) m.underSixteen++;
    }
    const d = withMinorsRoute(decision, route);
    if (d.outcome === 'send') {
      p.eligible++;
      if ('via' in d) {
        m.viaGuardians++;
        m.guardianLetters += d.letters;
      }
    } else if (isMinorSkip(d.reason)) m[MINOR_FIELD[d.reason]]++;
    else {
      const field = PREFLIGHT_FIELD[d.reason];
      if (field) p[field]++;
    }
  }
  return { ...p, minors: m };
};

const LANGUAGE_NAMES: Record<Language, string> = { nb: 'bokmål', nn: 'nynorsk', en: 'English' };

/** The language a recipient asks for: the list's column first, else the contact register's. */
export const wantedLanguage = (listLanguage: Language | undefined, registryLanguage: Language | undefined): Language => listLanguage ?? registryLanguage ?? 'nb';

/**
 * Pre-flight warning LANGUAGE_MISSING, one per language the letter lacks that recipients read:
 * how many would get the letter in another language instead (nynorsk readers who would get
 * bokmål). Pass the wanted language of each recipient who would get the letter (decision "send").
 */
export const languageFindings = (wanted: Iterable<Language>, content: LetterContentByLanguage): OtherRoundFinding[] => {
  const missing = new Map<Language, number>();
  for (const lang of wanted) if (!content[lang]) missing.set(lang, (missing.get(lang) ?? 0) + 1);
  return LANGUAGES.filter((l) => missing.has(l)).map((language) => {
    const instead = readingLanguage({ content }, language);
    const recipients = missing.get(language)!;
    return {
      code: 'LANGUAGE_MISSING',
      severity: 'warning',
      message: `${recipients} recipient(s) read ${LANGUAGE_NAMES[language]}, which the letter lacks; they would get it in ${LANGUAGE_NAMES[instead]}`,
      language,
      recipients,
      readInstead: instead,
    };
  });
};
