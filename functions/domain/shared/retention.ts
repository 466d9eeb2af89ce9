/**
 * How long personal data is kept. Short (RETENTION_DAYS, default 90) for what names recipients
 * one by one — list rows, per-recipient delivery detail, inbox copies — counted from the round's
 * completion (or from the event itself when no round completes it); long (RETENTION_LONG_DAYS,
 * default five years) for the contact ledger (the duplicate check depends on it) and the round
 * report the board relies on. Values are DynamoDB TTL attributes: epoch seconds.
 */
export type RetentionKind =
  /** Accepted rows of a recipient list: from upload (a list never used), then from each round's completion. */
  | 'listRows'
  /** Per-recipient delivery records of a round: from the round's completion. */
  | 'delivery'
  /** A copy of a letter in the inbox stand-in: from delivery. */
  | 'inbox'
  /** The contact ledger (who got what from which project): from the round's completion. */
  | 'contactLedger'
  /** The round and its report: from the round's completion. */
  | 'roundReport';

export interface RetentionPolicy {
  readonly days: number;
  readonly longDays: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = { days: 90, longDays: 5 * 365 + 1 };

const LONG: ReadonlySet<RetentionKind> = new Set(['contactLedger', 'roundReport']);

/** The DynamoDB TTL value (epoch seconds) for an item of `kind` whose clock starts at `from`. */
export const retentionFor = (kind: RetentionKind, from: string | Date, policy: RetentionPolicy = DEFAULT_RETENTION): number => {
  const start = (typeof from === 'string' ? new Date(from) : from).getTime();
  if (Number.isNaN(start)) throw new Error('retention needs a valid start time');
  const days = LONG.has(kind) ? policy.longDays : policy.days;
  return Math.floor(start / 1000) + days * 86_400;
};

/**
 * DynamoDB deletes expired items lazily (within days), so reads treat an item past its
 * `expiresAt` as already gone.
 */
export const isExpired = (expiresAt: unknown, now: number = Date.now()): boolean => typeof expiresAt === 'number' && expiresAt * 1000 <= now;

/** A retention setting from configuration: whole days, at least one; anything else is refused. */
export const parseRetention = (days: string | undefined, longDays: string | undefined): RetentionPolicy => {
  const read = (raw: string | undefined, fallback: number, name: string): number => {
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > 36_500) throw new Error(`${name} must be a whole number of days`);
    return n;
  };
  return { days: read(days, DEFAULT_RETENTION.days, 'RETENTION_DAYS'), longDays: read(longDays, DEFAULT_RETENTION.longDays, 'RETENTION_LONG_DAYS') };
};
