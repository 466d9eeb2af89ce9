import { PLACEHOLDER_NAME } from '../letters/placeholders.js';
import { LANGUAGES, type Language } from '../letters/letter.js';
import { DomainError, ValidationError } from '../../shared/errors.js';
import type { CsvTable } from './csv.js';
import { validateNin, type CheckDigitRule, type NinErrorCode } from '../shared/nin.js';
import { checkFieldValue } from './field-value.js';

/** One accepted recipient: the ID, an optional language, and the values of placeholder columns. */
export interface Recipient {
  readonly nin: string;
  readonly language?: Language;
  readonly fields?: Readonly<Record<string, string>>;
}

export type RowErrorCode = NinErrorCode | 'UNKNOWN_LANGUAGE' | 'WRONG_COLUMN_COUNT' | 'FIELD_TOO_LONG' | 'UNSAFE_FIELD_VALUE' | 'LINK_IN_FIELD' | 'NATIONAL_ID_IN_FIELD' | 'INVALID_FIELD';

/** A rejected row: its 1-based position among the data rows (header excluded); never its content. */
export interface RowError {
  readonly row: number;
  readonly code: RowErrorCode;
  readonly message: string;
  /** CSV only: the physical line in the file (the header is line 1). */
  readonly line?: number;
}

/** The list is past its retention: its rows are deleted, or about to be. */
export class ListExpiredError extends DomainError {
  constructor() {
    super('LIST_EXPIRED', 410, 'The recipient list is past its retention period and its rows are deleted; upload it again');
  }
}

export interface ListMetadata {
  readonly projectId: string;
  readonly listId: string;
  readonly rows: number;
  readonly accepted: number;
  readonly rejectedCount: number;
  readonly duplicatesInList: number;
  /** Placeholder columns the list provides (besides nin and language). */
  readonly columns: readonly string[];
  readonly source: 'csv' | 'json' | 'upload';
  readonly chunks: number;
  readonly createdBy: string;
  readonly createdAt: string;
  /** When the list's rows (and this record) are deleted: epoch seconds, a DynamoDB TTL (retention.ts). */
  readonly expiresAt?: number;
}

export interface BuiltList {
  readonly rows: number;
  readonly recipients: readonly Recipient[];
  readonly rejected: readonly RowError[];
  readonly duplicatesInList: number;
  readonly columns: readonly string[];
}

export interface BuildOptions {
  readonly allowSynthetic: boolean;
  readonly checkDigits?: CheckDigitRule;
}

/** Limits that keep one list within what a Lambda can hold and a response can carry. */
export const LIST_LIMITS = {
  maxRows: 1_000_000,
  maxColumns: 30,
  maxFieldLength: 500,
  /** More rejections than this and the list is refused whole: it is almost surely the wrong file or column. */
  maxRejected: 10_000,
} as const;

export class InvalidListError extends DomainError {
  constructor(code: string, message: string, details?: unknown) {
    super(code, 400, message, details);
  }
}

export class ListTooLargeError extends DomainError {
  constructor(rows: number) {
    super('LIST_TOO_LARGE', 413, `A list may have at most ${LIST_LIMITS.maxRows} rows; this one has ${rows}`);
  }
}

export class TooManyRejectedRowsError extends DomainError {
  constructor(details: unknown) {
    super('TOO_MANY_REJECTED_ROWS', 422, `More than ${LIST_LIMITS.maxRejected} rows are invalid; nothing was stored. Check that the right file and column were used`, details);
  }
}

const NIN_COLUMNS = new Set(['nin', 'fnr', 'fødselsnummer', 'fodselsnummer', 'personnummer', 'nationalid', 'national_id']);
const LANGUAGE_COLUMNS = new Set(['language', 'språk', 'sprak', 'målform', 'malform']);

const MESSAGES: Record<Exclude<RowErrorCode, NinErrorCode>, string> = {
  UNKNOWN_LANGUAGE: `language must be one of ${LANGUAGES.join(', ')} or empty`,
  WRONG_COLUMN_COUNT: 'the row has more cells than the header has columns',
  FIELD_TOO_LONG: `a field is longer than ${LIST_LIMITS.maxFieldLength} characters`,
  UNSAFE_FIELD_VALUE: 'a field starts with a formula character (=, +, -, @), or contains markup or control or invisible characters',
  LINK_IN_FIELD: 'a field contains a link or a web address; links belong in the approved letter text, not in list fields',
  NATIONAL_ID_IN_FIELD: 'a field contains a national ID or D-number; list fields are printed in the letter, IDs must never be',
  INVALID_FIELD: 'fields must be text, numbers or booleans',
};

/**
 * Normalises what spreadsheets do to IDs: spaces and non-breaking spaces inside the number, and
 * the leading zero Excel drops when the column is formatted as a number (a 10-digit value is
 * padded back; the control digits still have to match, so a wrong guess is rejected).
 */
export const normaliseNinCell = (raw: string): string => {
  const compact = raw.replace(/[\s\u00a0\u202f]/g, '');
  return /^\d{10}$/.test(compact) ? `0${compact}` : compact;
};

const checkField = (value: string): RowErrorCode | undefined => {
  if (value.length > LIST_LIMITS.maxFieldLength) return 'FIELD_TOO_LONG';
  return checkFieldValue(value);
};

const parseLanguage = (raw: string | undefined): Language | undefined | 'invalid' => {
  const v = (raw ?? '').trim().toLowerCase();
  if (v === '') return undefined;
  return (LANGUAGES as readonly string[]).includes(v) ? (v as Language) : 'invalid';
};

interface RawRow {
  readonly row: number;
  readonly line?: number;
  readonly nin: string;
  readonly language: string | undefined;
  readonly fields: Readonly<Record<string, string>>;
  /** A structural problem found while reading the row (wrong cell count, non-text field). */
  readonly problem?: RowErrorCode;
}

/** Validates rows in order: ID first, then duplicates (first occurrence wins), then the other columns. */
const build = (rawRows: Iterable<RawRow>, columns: readonly string[], opts: BuildOptions): BuiltList => {
  const recipients: Recipient[] = [];
  const rejected: RowError[] = [];
  const seen = new Set<string>();
  let duplicatesInList = 0;
  let rows = 0;
  const reject = (r: RawRow, code: RowErrorCode, message: string) => rejected.push(r.line === undefined ? { row: r.row, code, message } : { row: r.row, code, message, line: r.line });

  for (const r of rawRows) {
    rows++;
    if (rows > LIST_LIMITS.maxRows) throw new ListTooLargeError(rows);
    const nin = normaliseNinCell(r.nin);
    const v = validateNin(nin, { allowSynthetic: opts.allowSynthetic, checkDigits: opts.checkDigits });
    if (!v.ok) {
      reject(r, v.code, v.message);
      continue;
    }
    if (seen.has(nin)) {
      duplicatesInList++;
      continue;
    }
    seen.add(nin);
    if (r.problem) {
      reject(r, r.problem, MESSAGES[r.problem as keyof typeof MESSAGES]);
      continue;
    }
    const language = parseLanguage(r.language);
    if (language === 'invalid') {
      reject(r, 'UNKNOWN_LANGUAGE', MESSAGES.UNKNOWN_LANGUAGE);
      continue;
    }
    let fieldProblem: RowErrorCode | undefined;
    let fields: Record<string, string> | undefined;
    for (const [name, value] of Object.entries(r.fields)) {
      const trimmed = value.trim();
      fieldProblem = checkField(trimmed);
      if (fieldProblem) break;
      if (trimmed !== '') (fields ??= {})[name] = trimmed;
    }
    if (fieldProblem) {
      reject(r, fieldProblem, MESSAGES[fieldProblem as keyof typeof MESSAGES]);
      continue;
    }
    recipients.push({ nin, ...(language ? { language } : {}), ...(fields ? { fields } : {}) });
  }

  if (rejected.length > LIST_LIMITS.maxRejected) {
    const byCode: Record<string, number> = {};
    for (const e of rejected) byCode[e.code] = (byCode[e.code] ?? 0) + 1;
    throw new TooManyRejectedRowsError({ rows, rejected: rejected.length, byCode, first: rejected.slice(0, 100) });
  }
  return { rows, recipients, rejected, duplicatesInList, columns };
};

/** Maps the header to the nin column, the language column and placeholder columns; refuses what cannot work. */
const readHeader = (header: readonly string[]) => {
  const names = header.map((h) => h.replace(/^\uFEFF/, '').trim());
  const lower = names.map((n) => n.toLowerCase());
  const ninIdx = lower.findIndex((n) => NIN_COLUMNS.has(n));
  if (ninIdx < 0) throw new InvalidListError('MISSING_NIN_COLUMN', 'The header row has no "nin" column');
  if (lower.filter((n) => NIN_COLUMNS.has(n)).length > 1) {
    throw new InvalidListError('INVALID_HEADER', 'The header row has more than one national-ID column');
  }
  const langIdxs = lower.flatMap((n, i) => (LANGUAGE_COLUMNS.has(n) ? [i] : []));
  if (langIdxs.length > 1) throw new InvalidListError('INVALID_HEADER', 'The header row has more than one language column');
  const placeholders: { index: number; name: string }[] = [];
  const bad: { column: number; reason: string }[] = [];
  names.forEach((name, i) => {
    if (i === ninIdx || i === langIdxs[0]) return;
    if (name === '') {
      bad.push({ column: i + 1, reason: 'empty column name' });
      return;
    }
    if (!PLACEHOLDER_NAME.test(name)) bad.push({ column: i + 1, reason: 'placeholder columns are a letter, then letters, digits or _ (max 64)' });
    else if (placeholders.some((p) => p.name === name)) bad.push({ column: i + 1, reason: 'duplicate column name' });
    else placeholders.push({ index: i, name });
  });
  if (bad.length) throw new InvalidListError('INVALID_HEADER', 'The header row has columns that cannot be used', bad);
  if (placeholders.length > LIST_LIMITS.maxColumns) {
    throw new InvalidListError('INVALID_HEADER', `At most ${LIST_LIMITS.maxColumns} placeholder columns are allowed`);
  }
  return { ninIdx, langIdx: langIdxs[0], placeholders, width: names.length };
};

export const buildListFromCsv = (table: CsvTable, opts: BuildOptions): BuiltList => {
  // Trailing empty header cells are what Excel leaves after deleted columns.
  const header = [...table.header];
  while (header.length > 1 && header[header.length - 1]!.trim() === '') header.pop();
  const h = readHeader(header);
  if (table.records.length > LIST_LIMITS.maxRows) throw new ListTooLargeError(table.records.length);
  function* rows(): Generator<RawRow> {
    let row = 0;
    for (const rec of table.records) {
      row++;
      const cells = rec.cells;
      const extra = cells.slice(h.width).some((c) => c.trim() !== '');
      const fields: Record<string, string> = {};
      for (const p of h.placeholders) fields[p.name] = cells[p.index] ?? '';
      yield {
        row,
        line: rec.line,
        nin: cells[h.ninIdx] ?? '',
        language: h.langIdx === undefined ? undefined : cells[h.langIdx],
        fields,
        ...(extra ? { problem: 'WRONG_COLUMN_COUNT' as const } : {}),
      };
    }
  }
  return build(
    rows(),
    h.placeholders.map((p) => p.name),
    opts,
  );
};

export interface JsonRecipientInput {
  readonly nin?: unknown;
  readonly language?: unknown;
  readonly fields?: Readonly<Record<string, unknown>>;
}

export const buildListFromJson = (input: readonly JsonRecipientInput[], opts: BuildOptions): BuiltList => {
  if (input.length > LIST_LIMITS.maxRows) throw new ListTooLargeError(input.length);
  const columns = new Set<string>();
  for (const r of input) for (const name of Object.keys(r.fields ?? {})) columns.add(name);
  const bad = [...columns].filter((c) => !PLACEHOLDER_NAME.test(c) || NIN_COLUMNS.has(c.toLowerCase()) || LANGUAGE_COLUMNS.has(c.toLowerCase()));
  if (bad.length) {
    throw new ValidationError('Field names are a letter, then letters, digits or _ (max 64)', [
      { field: 'recipients.*.fields', message: `${bad.length} field name(s) cannot be used as placeholders` },
    ]);
  }
  if (columns.size > LIST_LIMITS.maxColumns) {
    throw new InvalidListError('INVALID_HEADER', `At most ${LIST_LIMITS.maxColumns} placeholder fields are allowed`);
  }
  function* rows(): Generator<RawRow> {
    let row = 0;
    for (const r of input) {
      row++;
      // A JSON number loses a leading zero exactly like Excel does; normaliseNinCell restores it.
      const nin = typeof r.nin === 'string' ? r.nin : typeof r.nin === 'number' && Number.isSafeInteger(r.nin) ? String(r.nin) : '';
      const fields: Record<string, string> = {};
      let problem: RowErrorCode | undefined;
      for (const [k, v] of Object.entries(r.fields ?? {})) {
        if (v === null || v === undefined) continue;
        if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') fields[k] = String(v);
        else problem = 'INVALID_FIELD';
      }
      const language = r.language === undefined || r.language === null ? undefined : typeof r.language === 'string' ? r.language : '?';
      yield { row, nin, language, fields, ...(problem ? { problem } : {}) };
    }
  }
  return build(rows(), [...columns], opts);
};
