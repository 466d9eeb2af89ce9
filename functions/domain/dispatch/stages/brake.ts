import { brakeOf, type BrakeSettings } from '../../projects/project.js';
import type { Preflight, RoundLayout } from '../../rounds/round.js';
import type { BrakeCounts, BrakeTrip } from '../../rounds/brake.js';
import { isTerminal } from '../batch.js';
import type { LedgerEntry } from '../ports.js';
import type { Attempt } from './attempt.js';
import type { Settled } from './settle.js';

/**
 * The automatic brake (issue 27): a round of at least `fromRecipients` is watched in windows of
 * consecutive batches. Once half of a window is decided, it is judged: more failed or refused
 * letters than `maxFailedPercent`, or a reserved share more than `maxReservedExcessPoints` above
 * what the pre-flight found, pauses the project — by the brake, saying why — until a person looks
 * and resumes it. Letters already in flight finish their wave, as with any pause; the next wave of
 * every batch meets the pause at its gate.
 *
 * Called after each commit. A wave that failed or skipped someone as reserved is added to its
 * window at once (so a bad stretch stops the round within a wave); a clean wave's count is held
 * and added with the attempt's last commit (one write per batch in the common case). An attempt
 * that dies after a commit loses only its held clean count: the brake may judge a little early,
 * never count a letter twice. After a person resumes the project, every window counts afresh.
 */
export const watchAfterCommit = async (a: Attempt, s: Settled, opts: { final: boolean }): Promise<void> => {
  const settings = brakeOf(a.project);
  if (a.layout.total < settings.fromRecipients) return;
  const wave = countsOf([...s.outcomes.values()].filter(isTerminal).length, s.entries);
  const held = plus(a.brakeHeld ?? NONE, wave);
  if (held.decided === 0 || (wave.failed + wave.reserved === 0 && !opts.final)) {
    a.brakeHeld = held;
    return;
  }
  a.brakeHeld = NONE;
  const window = windowOf(a.ref.batchNo, a.layout, settings);
  // Counted afresh after each resume: a person looked, and the stretch that tripped it stays behind.
  const key = `${String(window).padStart(6, '0')}${a.project.resumedAt ? `@${a.project.resumedAt}` : ''}`;
  const totals = await a.deps.batches.addToWindow(a.ref.roundId, key, held);
  const trip = judge(window, totals, settings, a.round.preflight);
  if (trip) await a.deps.rounds.brake(a.ref.projectId, a.ref.roundId, trip);
};

const NONE: BrakeCounts = { decided: 0, failed: 0, reserved: 0 };
const plus = (x: BrakeCounts, y: BrakeCounts): BrakeCounts => ({ decided: x.decided + y.decided, failed: x.failed + y.failed, reserved: x.reserved + y.reserved });

/** What the brake counts of an attempt's decisions (a guardian's letter about a child is not counted apart: the child's own entry is). */
export const countsOf = (decided: number, entries: readonly LedgerEntry[]): BrakeCounts => {
  let failed = 0;
  let reserved = 0;
  for (const e of entries) {
    if (e.aboutChild || e.test) continue;
    if (e.outcome === 'failed' || (e.outcome === 'skipped' && e.reason === 'channel_refused')) failed++;
    else if (e.outcome === 'skipped' && e.reason === 'reserved') reserved++;
  }
  return { decided, failed, reserved };
};

/** The window a batch belongs to: `windowRecipients` worth of consecutive batches (at least one). */
export const windowOf = (batchNo: number, layout: Pick<RoundLayout, 'batchSize'>, settings: Pick<BrakeSettings, 'windowRecipients'>): number =>
  Math.floor(batchNo / Math.max(1, Math.round(settings.windowRecipients / layout.batchSize)));

const percent = (part: number, whole: number): number => (whole === 0 ? 0 : (100 * part) / whole);

/** Whether a window's totals trip the brake; judged once at least half a window is decided. */
export const judge = (window: number, c: BrakeCounts, settings: BrakeSettings, preflight: Pick<Preflight, 'total' | 'reserved'>): BrakeTrip | undefined => {
  if (c.decided < settings.windowRecipients / 2) return undefined;
  const failed = percent(c.failed, c.decided);
  if (failed > settings.maxFailedPercent) return { window, counts: c, rule: 'failed', percent: round1(failed), limitPercent: settings.maxFailedPercent };
  const reserved = percent(c.reserved, c.decided);
  const limit = percent(preflight.reserved, preflight.total) + settings.maxReservedExcessPoints;
  if (reserved > limit) return { window, counts: c, rule: 'reserved', percent: round1(reserved), limitPercent: round1(limit) };
  return undefined;
};

const round1 = (x: number): number => Math.round(x * 10) / 10;
