/**
 * Norwegian national ID numbers: fødselsnummer (fnr) and D-number (dnr).
 *
 * Layout: DDMMYY III K1 K2 — birth date, individual number (which also encodes the century), two
 * control digits. A D-number adds 4 to the first day digit (day + 40). Synthetic test persons
 * (Tenor) add 80 to the month; H-numbers (health-service help numbers) add 40 to the month and
 * are not accepted as recipients.
 *
 * The control-digit rule is injected, not hard-wired: numbers issued from 2032 relax K1 (four
 * admissible values instead of one), and the validator has to accept either rule depending on
 * configuration without touching the date and range checks.
 */

/** A control-digit rule over the 11 digits of an ID (0–9 each). */
export interface CheckDigitRule {
  readonly name: string;
  /** True when the two control digits (positions 10 and 11) are admissible for the first nine. */
  accepts(digits: readonly number[]): boolean;
  /** Control digits for nine leading digits, or undefined when no admissible pair exists. */
  controlDigitsFor(first9: readonly number[]): readonly [number, number] | undefined;
}

const K1_WEIGHTS = [3, 7, 6, 1, 8, 9, 4, 5, 2] as const;
const K2_WEIGHTS = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2] as const;

const weighted = (digits: readonly number[], weights: readonly number[]): number => {
  let sum = 0;
  for (let i = 0; i < weights.length; i++) sum += (digits[i] ?? 0) * (weights[i] ?? 0);
  return sum;
};

/** 11 − (sum mod 11), where 11 means 0 and 10 means "no valid digit". */
const mod11Digit = (sum: number): number | undefined => {
  const r = 11 - (sum % 11);
  if (r === 11) return 0;
  if (r === 10) return undefined;
  return r;
};

/** The rule for every number issued before 2032: both control digits are plain mod-11 digits. */
export const classicCheckDigits: CheckDigitRule = {
  name: 'classic',
  accepts(digits) {
    if (digits.length !== 11) return false;
    const k1 = mod11Digit(weighted(digits, K1_WEIGHTS));
    if (k1 === undefined || k1 !== digits[9]) return false;
    const k2 = mod11Digit(weighted(digits, K2_WEIGHTS));
    return k2 !== undefined && k2 === digits[10];
  },
  controlDigitsFor(first9) {
    const k1 = mod11Digit(weighted(first9, K1_WEIGHTS));
    if (k1 === undefined) return undefined;
    const k2 = mod11Digit(weighted([...first9, k1], K2_WEIGHTS));
    return k2 === undefined ? undefined : [k1, k2];
  },
};

/**
 * The rule for numbers issued from 2032: K1 is admissible when the weighted sum of the first ten
 * digits (K1 with weight 1) is 0, 1, 2 or 3 modulo 11; K2 stays a plain mod-11 digit. Every
 * classic number also satisfies it (its sum is 0 mod 11).
 */
export const relaxed2032CheckDigits: CheckDigitRule = {
  name: 'relaxed-2032',
  accepts(digits) {
    if (digits.length !== 11) return false;
    const k1Sum = weighted(digits, K1_WEIGHTS) + (digits[9] ?? 0);
    if (k1Sum % 11 > 3) return false;
    const k2 = mod11Digit(weighted(digits, K2_WEIGHTS));
    return k2 !== undefined && k2 === digits[10];
  },
  controlDigitsFor(first9) {
    return classicCheckDigits.controlDigitsFor(first9);
  },
};

export type NinKind = 'fnr' | 'dnr';

export type NinErrorCode = 'MISSING_NIN' | 'INVALID_NIN' | 'INVALID_DATE' | 'H_NUMBER_NOT_ALLOWED' | 'SYNTHETIC_NIN_NOT_ALLOWED';

export type NinValidation = { ok: true; kind: NinKind; synthetic: boolean; birthDate: string } | { ok: false; code: NinErrorCode; message: string };

export interface ValidateNinOptions {
  allowSynthetic: boolean;
  /** Defaults to the classic rule. */
  checkDigits?: CheckDigitRule;
}

/** Messages never contain the value: they end up in API responses and logs. */
const NIN_MESSAGES: Record<NinErrorCode, string> = {
  MISSING_NIN: 'national ID is missing',
  INVALID_NIN: 'not a valid national ID (must be 11 digits with valid control digits)',
  INVALID_DATE: 'national ID does not encode a valid birth date',
  H_NUMBER_NOT_ALLOWED: 'H-numbers cannot receive letters',
  SYNTHETIC_NIN_NOT_ALLOWED: 'synthetic test IDs are not allowed in this environment',
};

const fail = (code: NinErrorCode): NinValidation => ({ ok: false, code, message: NIN_MESSAGES[code] });

/**
 * The full year from the two-digit year and the individual number (Skatteetaten's ranges), or
 * undefined when that combination is never issued.
 */
export const centuryYear = (yy: number, individual: number): number | undefined => {
  if (individual <= 499) return 1900 + yy;
  if (individual <= 749 && yy >= 54) return 1800 + yy;
  if (individual >= 500 && yy <= 39) return 2000 + yy;
  if (individual >= 900 && yy >= 40) return 1900 + yy;
  return undefined;
};

const isRealDate = (year: number, month: number, day: number): boolean => {
  if (month < 1 || month > 12 || day < 1) return false;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day <= daysInMonth;
};

const ELEVEN_DIGITS = /^\d{11}$/;

interface Decoded {
  kind: NinKind;
  synthetic: boolean;
  hNumber: boolean;
  birthDate?: string;
}

/** Date part of an ID whose control digits are already known to be valid. */
const decode = (digits: readonly number[]): Decoded => {
  const d = (i: number) => digits[i] ?? 0;
  let day = d(0) * 10 + d(1);
  let month = d(2) * 10 + d(3);
  const yy = d(4) * 10 + d(5);
  const individual = d(6) * 100 + d(7) * 10 + d(8);

  const kind: NinKind = day > 40 ? 'dnr' : 'fnr';
  if (kind === 'dnr') day -= 40;
  let synthetic = false;
  let hNumber = false;
  if (month > 80) {
    synthetic = true;
    month -= 80;
  } else if (month > 40) {
    hNumber = true;
    month -= 40;
  }
  const year = centuryYear(yy, individual);
  if (year === undefined || !isRealDate(year, month, day)) return { kind, synthetic, hNumber };
  const birthDate = `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
  return { kind, synthetic, hNumber, birthDate };
};

const toDigits = (value: string): number[] => Array.from(value, (c) => c.charCodeAt(0) - 48);

/** Validates one ID. Order: format and control digits, then number series, then date. */
export const validateNin = (value: string | undefined | null, opts: ValidateNinOptions): NinValidation => {
  if (value === undefined || value === null || value === '') return fail('MISSING_NIN');
  if (!ELEVEN_DIGITS.test(value)) return fail('INVALID_NIN');
  const digits = toDigits(value);
  const rule = opts.checkDigits ?? classicCheckDigits;
  if (!rule.accepts(digits)) return fail('INVALID_NIN');
  const decoded = decode(digits);
  if (decoded.hNumber) return fail('H_NUMBER_NOT_ALLOWED');
  if (decoded.birthDate === undefined) return fail('INVALID_DATE');
  if (decoded.synthetic && !opts.allowSynthetic) return fail('SYNTHETIC_NIN_NOT_ALLOWED');
  return { ok: true, kind: decoded.kind, synthetic: decoded.synthetic, birthDate: decoded.birthDate };
};

/**
 * True for any string that is a national ID of any series — fnr, D-number, synthetic, and also
 * H-numbers, under either control-digit rule. Used to spot personal data (e.g. in links), where a
 * false positive costs a warning and a false negative leaks an ID, so it errs on the wide side.
 */
export const isNationalId = (s: string): boolean => {
  if (!ELEVEN_DIGITS.test(s)) return false;
  const digits = toDigits(s);
  if (!relaxed2032CheckDigits.accepts(digits)) return false;
  return decode(digits).birthDate !== undefined;
};

/**
 * The calendar date in Norway (Europe/Oslo) at an instant, as `YYYY-MM-DD`. Ages are counted in
 * Norway's calendar, not UTC: between midnight in Oslo and midnight UTC (one or two hours) the two
 * disagree about which day it is, and on a 16th birthday that decides whether a letter may go.
 */
const OSLO_DATE = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Oslo', year: 'numeric', month: '2-digit', day: '2-digit' });

export const osloDate = (at: Date): string | undefined => {
  if (Number.isNaN(at.getTime())) return undefined;
  const parts = Object.fromEntries(OSLO_DATE.formatToParts(at).map((p) => [p.type, p.value]));
  return parts.year && parts.month && parts.day ? `${parts.year}-${parts.month}-${parts.day}` : undefined;
};

const isLeapYear = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * Completed years on `today` (a `YYYY-MM-DD` date) for someone born on `birthDate`, or undefined
 * when either date is malformed or the birth date lies after today (an ID that claims a birth in
 * the future cannot tell an age, and "no age" must never be read as "adult").
 *
 * Someone born on 29 February has their birthday on 1 March in a year without one: they are not a
 * year older on 28 February. For the age of consent that is the cautious reading — the child stays
 * a child one day longer rather than one day shorter.
 */
export const completedYears = (birthDate: string, today: string): number | undefined => {
  const b = DATE.exec(birthDate);
  const t = DATE.exec(today);
  if (!b || !t) return undefined;
  const [by, bm, bd] = [Number(b[1]), Number(b[2]), Number(b[3])];
  const [ty, tm, td] = [Number(t[1]), Number(t[2]), Number(t[3])];
  if (!isRealDate(by, bm, bd) || !isRealDate(ty, tm, td)) return undefined;
  if (birthDate > today) return undefined;
  // This year's birthday; 29 February falls on 1 March when this year has no 29 February.
  const [cm, cd] = bm === 2 && bd === 29 && !isLeapYear(ty) ? [3, 1] : [bm, bd];
  const hadBirthday = tm > cm || (tm === cm && td >= cd);
  return ty - by - (hadBirthday ? 0 : 1);
};

export type AgeResult = { readonly ok: true; readonly age: number; readonly birthDate: string } | { readonly ok: false; readonly code: NinErrorCode | 'FUTURE_BIRTH_DATE' };

/**
 * A person's age in completed years at instant `at`, in Norway's calendar, from their national ID
 * (fødselsnummer, D-number or synthetic; H-numbers are refused as in validateNin), validated under
 * the given control-digit rule. Anything that does not give a certain age is `ok: false` — the
 * caller treats that as `invalid`, never as an adult.
 */
export const ageFromNin = (nin: string | undefined | null, at: Date, opts: ValidateNinOptions): AgeResult => {
  const v = validateNin(nin, opts);
  if (!v.ok) return { ok: false, code: v.code };
  const today = osloDate(at);
  const age = today === undefined ? undefined : completedYears(v.birthDate, today);
  if (age === undefined) return { ok: false, code: 'FUTURE_BIRTH_DATE' };
  return { ok: true, age, birthDate: v.birthDate };
};
