import { CsvError, parse } from 'csv-parse/sync';
import { DomainError } from '../../shared/errors.js';

/**
 * Reads recipient lists as Norwegian Excel writes them: `;` (the default in a Norwegian locale)
 * or `,` as delimiter, optionally a UTF-8 BOM, CRLF or LF, quoted fields with doubled quotes.
 */

export class MalformedCsvError extends DomainError {
  constructor(message: string, details?: unknown) {
    super('MALFORMED_CSV', 400, message, details);
  }
}

export interface CsvTable {
  readonly header: readonly string[];
  /** Data records in file order, blank lines dropped; `line` is the physical line of the record's start. */
  readonly records: readonly { readonly line: number; readonly cells: readonly string[] }[];
  readonly delimiter: string;
}

const CANDIDATES = [';', ',', '\t'] as const;

/** The delimiter that occurs most often, outside quotes, in the header line. */
export const detectDelimiter = (text: string): string => {
  const counts = new Map<string, number>(CANDIDATES.map((c) => [c, 0]));
  let inQuotes = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '"') inQuotes = !inQuotes;
    else if (!inQuotes && (ch === '\n' || ch === '\r')) break;
    else if (!inQuotes && counts.has(ch)) counts.set(ch, counts.get(ch)! + 1);
  }
  let best: string = ';';
  let bestCount = 0;
  for (const [c, n] of counts) {
    if (n > bestCount) {
      best = c;
      bestCount = n;
    }
  }
  return best;
};

const stripBom = (text: string): string => (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);

export const parseCsv = (input: string): CsvTable => {
  const text = stripBom(input);
  if (text.trim() === '') throw new MalformedCsvError('The file is empty; a header row with a "nin" column is required');
  if (text.includes('\u0000')) throw new MalformedCsvError('The file is not text (it contains NUL bytes); save it as CSV');
  // Excel's plain "CSV" in a Norwegian locale is Windows-1252: æ, ø, å arrive as replacement
  // characters and would reach citizens garbled in their names. Refuse rather than guess.
  if (text.includes('\ufffd')) {
    throw new DomainError('CSV_NOT_UTF8', 400, 'The file is not UTF-8 (letters such as æ, ø, å are unreadable); save it as "CSV UTF-8" and upload again');
  }
  const delimiter = detectDelimiter(text);
  const isBlank = (cells: readonly string[]) => cells.every((c) => c.trim() === '');
  let rows: { line: number; cells: string[] }[];
  try {
    rows = parse(text, {
      delimiter,
      bom: true,
      relax_column_count: true,
      // A bare quote inside an unquoted field (hand-edited files) is taken literally, not a parse error.
      relax_quotes: true,
      skip_empty_lines: true,
      trim: false,
      max_record_size: 64 * 1024,
      // Each record is kept as {line, cells} as it is read (blank ones dropped, the header kept):
      // csv-parse's own per-record info object is ~10 fields, which at 1,000,000 rows is hundreds
      // of MB held until the parse ends.
      on_record: ((record: string[], context: { records: number; lines: number }) => (context.records > 1 && isBlank(record) ? null : { line: context.lines, cells: record })) as unknown as (
        record: string[],
      ) => string[],
    }) as unknown as { line: number; cells: string[] }[];
  } catch (e) {
    // csv-parse messages can quote file content; give the line only.
    if (e instanceof CsvError) {
      const line = (e as CsvError & { lines?: number }).lines;
      throw new MalformedCsvError(`The file is not valid CSV${line ? ` (near line ${line})` : ''}: ${describeCsvError(e.code)}`, {
        code: e.code,
        ...(line ? { line } : {}),
      });
    }
    throw e;
  }
  const [first, ...rest] = rows;
  if (!first) throw new MalformedCsvError('The file has no header row');
  return { header: first.cells, delimiter, records: rest };
};

const describeCsvError = (code: string): string => {
  switch (code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'a quoted field is never closed';
    case 'CSV_INVALID_CLOSING_QUOTE':
    case 'INVALID_OPENING_QUOTE':
    case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
      return 'a quote appears inside a field that is not quoted properly';
    case 'CSV_MAX_RECORD_SIZE':
      return 'a record is longer than 64 KB';
    default:
      return 'it could not be read';
  }
};
