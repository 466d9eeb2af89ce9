import { LANGUAGES, type LetterContentByLanguage } from '../letters/letter.js';

/**
 * Near-duplicate detection between letter texts: normalised text, character 5-gram shingles,
 * Jaccard similarity. Letters are a few kilobytes, so the exact Jaccard over shingle sets is cheap
 * and needs no MinHash estimate; character shingles (rather than word shingles) keep the measure
 * smooth for short texts, where changing one word of ten would otherwise halve it.
 */
export const NEAR_DUPLICATE_THRESHOLD = 0.85;
const SHINGLE = 5;

/** Case, Unicode forms, punctuation and whitespace do not make a letter different; placeholders are all alike. */
export const normaliseText = (text: string): string =>
  text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/\{\{[^}]*\}\}/g, ' \u00a4 ')
    .replace(/[^\p{L}\p{N}\u00a4]+/gu, ' ')
    .trim();

export const shingles = (normalised: string, k = SHINGLE): Set<string> => {
  const out = new Set<string>();
  if (normalised.length <= k) {
    if (normalised.length > 0) out.add(normalised);
    return out;
  }
  for (let i = 0; i + k <= normalised.length; i++) out.add(normalised.slice(i, i + k));
  return out;
};

export const jaccard = (a: ReadonlySet<string>, b: ReadonlySet<string>): number => {
  if (a.size === 0 && b.size === 0) return 1;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let common = 0;
  for (const s of small) if (large.has(s)) common++;
  return common / (a.size + b.size - common);
};

export const textSimilarity = (a: string, b: string): number => jaccard(shingles(normaliseText(a)), shingles(normaliseText(b)));

const textOf = (content: LetterContentByLanguage, languages: readonly string[]): string =>
  languages
    .map((l) => content[l as keyof LetterContentByLanguage])
    .filter((c) => c !== undefined)
    .map((c) => `${c.subject}\n${c.body}`)
    .join('\n');

/**
 * Similarity of two letters over the languages both have (a citizen reads one of those); when
 * they share none, over everything each has. Rounded to 3 decimals for reporting.
 */
export const letterSimilarity = (a: LetterContentByLanguage, b: LetterContentByLanguage): number => {
  const common = LANGUAGES.filter((l) => a[l] !== undefined && b[l] !== undefined);
  const langs = common.length > 0 ? common : LANGUAGES;
  return Math.round(textSimilarity(textOf(a, langs), textOf(b, langs)) * 1000) / 1000;
};
