import type { MinorsPolicy } from '../projects/project.js';
import { DEFAULT_MINORS_POLICY } from '../projects/project.js';
import { LANGUAGES, type Language } from '../letters/letter.js';
import { duplicateFinding, emptyMinorsPreflight, emptyPreflight } from './preflight.js';
import type { DuplicateRoundFinding, MinorsPreflight, Preflight, Reach } from './round.js';

/**
 * The pre-flight cut into chunks (issue 22). Each chunk of the list (`PREPARATION_CHUNK` rows, the
 * registries' bulk limit) is decided on its own and summed up as a ChunkSummary: every field is a
 * count, so the round's pre-flight is the field-wise sum of its chunks, whatever order they land
 * in. A small list is prepared within the call from the same summaries; a large one in the
 * background, one queued message per chunk.
 */

/** Recipients per chunk: one registry bulk read each. */
export const PREPARATION_CHUNK = 1000;
/** Lists up to this many rows are prepared within the request (201); larger ones in the background (202). */
export const PREPARE_INLINE_MAX = 5000;

export type FullPreflight = Preflight & { readonly minors: MinorsPreflight; readonly reach: Reach };

/** One chunk's decided pre-flight: counts only, never an ID. */
export interface ChunkSummary {
  readonly chunk: number;
  /** Rows of the list this chunk covers. */
  readonly rows: number;
  readonly preflight: FullPreflight;
  /** Wanted language of those who would get the letter (for LANGUAGE_MISSING). */
  readonly wanted: Readonly<Record<Language, number>>;
  /** DUPLICATE_ROUND findings among this chunk's recipients. */
  readonly duplicates: readonly DuplicateRoundFinding[];
}

export const chunkCount = (rows: number): number => Math.ceil(rows / PREPARATION_CHUNK);

/** The row range [start, end) of chunk `n` of a list of `rows`. */
export const chunkRange = (n: number, rows: number): { start: number; end: number } => ({
  start: n * PREPARATION_CHUNK,
  end: Math.min(rows, (n + 1) * PREPARATION_CHUNK),
});

const PREFLIGHT_KEYS = Object.keys(emptyPreflight()) as (keyof Preflight)[];
const MINOR_KEYS = (Object.keys(emptyMinorsPreflight(DEFAULT_MINORS_POLICY)) as (keyof MinorsPreflight)[]).filter((k) => k !== 'policy');

export interface MergedPreparation {
  readonly preflight: FullPreflight;
  readonly wanted: Readonly<Record<Language, number>>;
  readonly duplicates: DuplicateRoundFinding[];
}

/** The field-wise sum of chunk summaries (each chunk once: callers pass one summary per chunk). */
export const mergeChunks = (summaries: readonly ChunkSummary[], policy: MinorsPolicy): MergedPreparation => {
  const p: Record<keyof Preflight, number> = { ...emptyPreflight() };
  const m: Record<string, number> = {};
  const byChannel: Record<string, number> = { helsenorge: 0, 'digital-mailbox': 0, paper: 0, viaGuardians: 0, noChannel: 0 };
  const byLanguage: Record<Language, number> = { nb: 0, nn: 0, en: 0 };
  const wanted: Record<Language, number> = { nb: 0, nn: 0, en: 0 };
  const dups = new Map<string, { overlap: number; similarity: number; reason: DuplicateRoundFinding['reason']; letterId: string; version: number }>();
  for (const s of summaries) {
    for (const k of PREFLIGHT_KEYS) p[k] += s.preflight[k];
    for (const k of MINOR_KEYS) m[k] = (m[k] ?? 0) + s.preflight.minors[k];
    for (const [k, v] of Object.entries(s.preflight.reach.byChannel)) byChannel[k] = (byChannel[k] ?? 0) + v;
    for (const l of LANGUAGES) {
      byLanguage[l] += s.preflight.reach.byLanguage[l];
      wanted[l] += s.wanted[l];
    }
    for (const d of s.duplicates) {
      const e = dups.get(d.previousRoundId);
      if (e) {
        e.overlap += d.overlap;
        e.similarity = Math.max(e.similarity, d.similarity);
      } else dups.set(d.previousRoundId, { overlap: d.overlap, similarity: d.similarity, reason: d.reason, letterId: d.previousLetterId, version: d.previousVersion });
    }
  }
  const minors = { ...emptyMinorsPreflight(policy), ...m };
  return {
    preflight: { ...p, minors, reach: { byChannel: byChannel as Reach['byChannel'], byLanguage } },
    wanted,
    duplicates: [...dups.entries()].sort(([, a], [, b]) => b.overlap - a.overlap).map(([id, e]) => duplicateFinding(id, e)),
  };
};

/** The wanted languages as the list languageFindings takes (counts expanded lazily). */
export function* wantedLanguages(wanted: Readonly<Record<Language, number>>): Generator<Language> {
  for (const l of LANGUAGES) for (let i = 0; i < wanted[l]; i++) yield l;
}
