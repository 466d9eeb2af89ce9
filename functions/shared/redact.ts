/**
 * Any standalone run of 11 digits is treated as a national ID and masked, valid or not: a log
 * line that leaks a mistyped ID leaks personal data all the same, and 11-digit runs carry
 * nothing else this system needs to log.
 */
const NIN_LIKE = /(?<!\d)\d{6}[\s-]?\d{5}(?!\d)/g;

export const REDACTED = '[redacted-nin]';

export const redactText = (text: string): string => text.replace(NIN_LIKE, REDACTED);

const MAX_DEPTH = 8;

export const redactDeep = (value: unknown, depth = 0): unknown => {
  if (typeof value === 'string') return redactText(value);
  // An ID held as a number (a spreadsheet import, a parsed JSON number) is an ID all the same.
  if (typeof value === 'number' || typeof value === 'bigint') return redactText(String(value)) === String(value) ? value : REDACTED;
  if (value === null || typeof value !== 'object') return value;
  // Below the walk's depth the value is not inspected, so it must not be printed either.
  if (depth > MAX_DEPTH) return '[too deep to log]';
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, depth + 1));
  if (value instanceof Error) {
    return { name: value.name, message: redactText(value.message), stack: value.stack ? redactText(value.stack) : undefined };
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[redactText(k)] = redactDeep(v, depth + 1);
  return out;
};
