import { ValidationError } from '../../shared/errors.js';
import type { Channel } from '../shared/channel.js';
import type { StatisticsEntry, StatisticsReader } from './ports.js';

/** The longest range one request may ask for. */
export const MAX_MONTHS = 24;
/** The channel of skipped letters: nothing was sent, so no channel was used. */
export const NO_CHANNEL = 'none';

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

const monthIndex = (month: string): number => {
  const m = MONTH.exec(month)!;
  return Number(m[1]) * 12 + Number(m[2]) - 1;
};
const monthOf = (index: number): string => `${String(Math.floor(index / 12)).padStart(4, '0')}-${String((index % 12) + 1).padStart(2, '0')}`;

/** `YYYY-MM` (UTC) of an ISO time or Date. */
export const monthOfTime = (at: string | Date): string => (typeof at === 'string' ? new Date(at) : at).toISOString().slice(0, 7);

/** The months from..to inclusive; 400 when malformed, reversed or longer than 24 months. */
export const monthRange = (from: string | undefined, to: string | undefined): string[] => {
  const problems: { field: string; message: string }[] = [];
  if (!from || !MONTH.test(from)) problems.push({ field: 'from', message: 'a month as YYYY-MM is required' });
  if (!to || !MONTH.test(to)) problems.push({ field: 'to', message: 'a month as YYYY-MM is required' });
  if (problems.length) throw new ValidationError('from and to must be months (YYYY-MM)', problems);
  const start = monthIndex(from!);
  const end = monthIndex(to!);
  if (start > end) throw new ValidationError('from must not be after to', [{ field: 'from', message: 'after to' }]);
  if (end - start + 1 > MAX_MONTHS) throw new ValidationError(`at most ${MAX_MONTHS} months at a time`, [{ field: 'to', message: `more than ${MAX_MONTHS} months after from` }]);
  return Array.from({ length: end - start + 1 }, (_, i) => monthOf(start + i));
};

const keyOf = (e: Pick<StatisticsEntry, 'organization' | 'month' | 'channel'>) => `${e.organization}\u0000${e.month}\u0000${e.channel}`;

/** Sums entries with the same organisation, month and channel; drops all-zero ones. */
export const mergeEntries = (entries: readonly StatisticsEntry[]): StatisticsEntry[] => {
  const out = new Map<string, StatisticsEntry>();
  for (const e of entries) {
    for (const n of [e.sent, e.skipped, e.failed]) if (!Number.isInteger(n) || n < 0) throw new Error('statistics counts are non-negative integers');
    const k = keyOf(e);
    const prev = out.get(k);
    out.set(k, prev ? { ...prev, sent: prev.sent + e.sent, skipped: prev.skipped + e.skipped, failed: prev.failed + e.failed } : { ...e });
  }
  return [...out.values()].filter((e) => e.sent + e.skipped + e.failed > 0);
};

/** One final outcome of a batch, as the engine knows it when it commits. */
export interface BatchOutcome {
  readonly outcome: 'sent' | 'skipped' | 'failed';
  /** The channel used (sent) or tried (failed); absent for skips. */
  readonly channel?: Channel;
}

/**
 * The entries for one committed batch: what the engine passes to `StatisticsRecorder.record`.
 * A skip counts under channel `none`; `at` decides the month (UTC).
 */
export const statisticsForBatch = (organization: string, at: string | Date, outcomes: readonly BatchOutcome[]): StatisticsEntry[] => {
  const month = monthOfTime(at);
  return mergeEntries(
    outcomes.map((o) => ({
      organization,
      month,
      channel: o.outcome === 'skipped' ? NO_CHANNEL : (o.channel ?? NO_CHANNEL),
      sent: o.outcome === 'sent' ? 1 : 0,
      skipped: o.outcome === 'skipped' ? 1 : 0,
      failed: o.outcome === 'failed' ? 1 : 0,
    })),
  );
};

/** The statistics of a range, sorted by month, organisation and channel. Operations only (the route says so). */
export const readStatistics = async (deps: { readonly statistics: StatisticsReader }, from: string | undefined, to: string | undefined): Promise<StatisticsEntry[]> => {
  const months = monthRange(from, to);
  const items = await deps.statistics.read(months);
  return items.sort((a, b) => a.month.localeCompare(b.month) || a.organization.localeCompare(b.organization) || a.channel.localeCompare(b.channel));
};
