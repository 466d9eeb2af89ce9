import { parse as parseHost } from 'tldts';
import { isNationalId } from './nin.js';

/**
 * Scanners for what must never ride along in list data or in a rendered letter: links (in any
 * disguise a reader or a linkifier would still follow) and national IDs (however they are split).
 * One pass over the text each, no backtracking patterns, so a 100,000-row list stays cheap and a
 * hostile value cannot make them slow.
 */

/**
 * Letters of other scripts that look like Latin ones. A host written with them (`еvil.no` with a
 * Cyrillic е, or `evil.nо`) is still read as that host by people, so it is judged as its
 * look-alike. Not a full confusables table: the common Cyrillic and Greek look-alikes.
 */
const CONFUSABLES: Readonly<Record<string, string>> = {
  а: 'a',
  в: 'b',
  е: 'e',
  ё: 'e',
  к: 'k',
  м: 'm',
  н: 'h',
  о: 'o',
  р: 'p',
  с: 'c',
  т: 't',
  у: 'y',
  х: 'x',
  і: 'i',
  ї: 'i',
  ј: 'j',
  ѕ: 's',
  ԁ: 'd',
  ԛ: 'q',
  ԝ: 'w',
  ү: 'y',
  һ: 'h',
  ӏ: 'l',
  ɡ: 'g',
  ɩ: 'i',
  ı: 'i',
  α: 'a',
  β: 'b',
  ε: 'e',
  η: 'n',
  ι: 'i',
  κ: 'k',
  ν: 'v',
  ο: 'o',
  ρ: 'p',
  τ: 't',
  υ: 'u',
  χ: 'x',
  ω: 'w',
};

const CONFUSABLE = new RegExp(`[${Object.keys(CONFUSABLES).join('')}${Object.keys(CONFUSABLES).join('').toUpperCase()}]`, 'g');

/** Ideographic and half-width full stops are dots to a URL parser (IDNA maps them). */
const DOT_LIKE = /[\u3002\uff0e\uff61]/g;
/** "evil[.]no", "evil(.)no": defanged hosts that a reader re-fangs. */
const DEFANGED_DOT = /\[\.\]|\(\.\)|\{\.\}/g;
const NON_ASCII = /[^\x00-\x7f]/;

/** NFKC (full-width letters and digits become ASCII), dots unified, look-alikes mapped, lower case. */
export const skeleton = (text: string): string => {
  let s = text;
  if (NON_ASCII.test(s)) {
    s = s.normalize('NFKC').replace(DOT_LIKE, '.');
    s = s.replace(CONFUSABLE, (c) => CONFUSABLES[c.toLowerCase()] ?? c);
  }
  return s.replace(DEFANGED_DOT, '.').toLowerCase();
};

/**
 * Schemes that run or carry content without `//`. (Anything with `://` is a link whatever its
 * scheme; that is found with indexOf, since a pattern for "scheme then ://" backtracks on long runs
 * of letters.)
 */
const BARE_SCHEME = /(?:^|[^a-z0-9])(?:javascript|vbscript|livescript|data|mailto|file):(?=\S)/;
const HOST_CHAR_NON_ASCII = /[\p{L}\p{N}\p{M}]/u;
/** Whether a character can be part of a host name token (letters, digits, marks, `.`, `_`, `-`). */
const isHostChar = (c: number, ch: string): boolean =>
  (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || c === 46 || c === 45 || c === 95 || (c > 127 && HOST_CHAR_NON_ASCII.test(ch));

/**
 * The tokens around each dot, in one pass: from every dot not yet covered, widen to the token's
 * ends. Text without dots costs one indexOf.
 */
const dottedTokens = (s: string): string[] => {
  const out: string[] = [];
  let from = 0;
  for (let dot = s.indexOf('.', from); dot >= 0; dot = s.indexOf('.', from)) {
    let start = dot;
    while (start > from && isHostChar(s.charCodeAt(start - 1), s[start - 1]!)) start--;
    let end = dot + 1;
    while (end < s.length && isHostChar(s.charCodeAt(end), s[end]!)) end++;
    out.push(s.slice(start, end));
    from = end;
  }
  return out;
};

const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/** True when `token` (already a skeleton) names a host a reader could go to. */
const isHostToken = (token: string): boolean => {
  const t = token.replace(/^[.-]+|[.-]+$/g, '');
  if (!t.includes('.')) return false;
  if (IPV4.test(t)) return true;
  // A listed public suffix (ICANN or private, e.g. github.io) with at least one label in front of
  // it, or a multi-label suffix on its own (`co.uk`): either is somewhere a link can lead.
  const p = parseHost(t, { allowPrivateDomains: true, extractHostname: false });
  if (!(p.isIcann || p.isPrivate) || !p.publicSuffix) return false;
  return p.hostname !== null && p.hostname.includes('.');
};

/**
 * Every host-like token in a text, as its skeleton (lower case, look-alikes mapped): `evil.no`,
 * `www.evil.no`, `user@evil.no` gives `evil.no`, `https://evil.no/x` gives `evil.no`. Tokens that
 * are not under a public suffix (`01.01.1990`, `st.olavs`) are not hosts.
 */
export const hostTokensIn = (text: string): string[] => hostTokensOfSkeleton(skeleton(text));

const hostTokensOfSkeleton = (s: string): string[] => {
  if (!s.includes('.')) return [];
  const out: string[] = [];
  for (const t of dottedTokens(s)) {
    if (isHostToken(t)) out.push(t.replace(/^[.-]+|[.-]+$/g, '').replace(/^www\./, ''));
  }
  return out;
};

/** A link in any disguise: a scheme, a host under a public suffix, an IP address. */
export const containsLink = (text: string): boolean => {
  // Every form of link needs a dot (or a character that becomes one) or a colon: most values,
  // names and numbers, are decided here.
  if (!MAYBE_LINK.test(text)) return false;
  const s = skeleton(text);
  if (s.includes('://') || BARE_SCHEME.test(s)) return true;
  return hostTokensOfSkeleton(s).length > 0;
};

const MAYBE_LINK = /[.:\u3002\uff0e\uff61]/;

const SEPARATOR = new Set([' ', '\u00a0', '\u2007', '\u2009', '\u202f', '-', '\u2010', '\u2011', '\u2012', '\u2013', '.', '_', '/']);

/** The value of a decimal digit of any script (blocks of ten in a row), or -1. */
const digitValue = (text: string, i: number): number => {
  const c = text.charCodeAt(i);
  if (c >= 48 && c <= 57) return c - 48;
  if (c < 128) return -1;
  const ch = text[i]!;
  if (!/\p{Nd}/u.test(ch)) return -1;
  // Decimal digits come in contiguous runs of ten starting at zero: count back to the run start.
  const cp = ch.codePointAt(0)!;
  let n = 0;
  while (n < 9 && /\p{Nd}/u.test(String.fromCodePoint(cp - n - 1))) n++;
  return n % 10;
};

/**
 * Whether a national ID or D-number (any series, either control-digit rule) is in the text:
 * written as 11 digits, or split by single spaces, dashes or dots into groups (`010190 12345`,
 * `01.01.90-123 45`), also glued to letters (`Kari01019012345`). Linear: each digit group starts
 * at most one 11-digit candidate.
 */
const hasElevenAsciiDigits = (text: string): boolean => {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57 && ++n >= 11) return true;
  }
  return false;
};
const ANY_DIGIT = /\p{Nd}/gu;

export const containsNationalId = (text: string): boolean => {
  const nonAscii = NON_ASCII.test(text);
  // Fewer than 11 digits cannot hold an ID (other scripts' digits aside, which take the long way).
  if (nonAscii ? (text.match(ANY_DIGIT)?.length ?? 0) < 11 : !hasElevenAsciiDigits(text)) return false;
  const s = nonAscii ? text.normalize('NFKC') : text;
  // Digit groups, each marked with whether it continues the previous group (one separator apart).
  const groups: { digits: string; joined: boolean }[] = [];
  let cur = '';
  let gap = 0;
  for (let i = 0; i < s.length; i++) {
    const d = digitValue(s, i);
    if (d >= 0) {
      if (cur === '') {
        // The first group after a break is never joined to what came before.
        groups.push({ digits: '', joined: groups.length > 0 && gap === 1 });
      }
      cur += String(d);
      groups[groups.length - 1]!.digits = cur;
      gap = 0;
      continue;
    }
    if (cur !== '') {
      cur = '';
      gap = 0;
    }
    gap = SEPARATOR.has(s[i]!) ? gap + 1 : 2;
  }
  for (let i = 0; i < groups.length; i++) {
    let candidate = groups[i]!.digits;
    if (candidate.length === 11 && isNationalId(candidate)) return true;
    for (let j = i + 1; j < groups.length && candidate.length < 11 && groups[j]!.joined; j++) {
      candidate += groups[j]!.digits;
      if (candidate.length === 11 && isNationalId(candidate)) return true;
    }
  }
  return false;
};
