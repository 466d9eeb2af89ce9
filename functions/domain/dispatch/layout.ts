import type { RoundLayout } from '../rounds/round.js';

/**
 * A released round is a layout, not a record per recipient: batch n is a fixed range of the
 * stored, immutable recipient list. The canary's recipients come first, in batches of their own.
 */
export const layoutOf = (total: number, batchSize: number, canarySize = 0): RoundLayout => {
  const canaryRecipients = Math.min(total, Math.max(0, canarySize));
  const canaryBatches = Math.ceil(canaryRecipients / batchSize);
  const rest = total - canaryRecipients;
  return { total, batchSize, canaryBatches, canaryRecipients, totalBatches: canaryBatches + Math.ceil(rest / batchSize) };
};

/** The recipients [start, end) of the list that batch `batchNo` covers. */
export const batchRange = (layout: RoundLayout, batchNo: number): { start: number; end: number; canary: boolean } => {
  if (batchNo < 0 || batchNo >= layout.totalBatches) throw new RangeError(`batch ${batchNo} is outside the round's ${layout.totalBatches} batches`);
  if (batchNo < layout.canaryBatches) {
    const start = batchNo * layout.batchSize;
    return { start, end: Math.min(layout.canaryRecipients, start + layout.batchSize), canary: true };
  }
  const start = layout.canaryRecipients + (batchNo - layout.canaryBatches) * layout.batchSize;
  return { start, end: Math.min(layout.total, start + layout.batchSize), canary: false };
};

/**
 * Fairness between rounds: a round never has more than `window` messages on the queue. Release
 * enqueues the first `window` batches, and each batch, when it first commits, enqueues batch +
 * window. Rounds released together then take turns instead of the first one's thousands of
 * messages going first, and a pause parks at most `window` messages (see `restartPoints`).
 */

/**
 * The messages that restart a round's chains after parked messages were dropped (resume, recovery).
 * Walking each residue class modulo `window` upwards: a batch is reached when the batch before it
 * is reached and has not handed on yet (it will, when it runs). A batch not reached gets a message
 * of its own if it has something left: recipients pending (never started, or waiting for a retry
 * whose message a pause dropped), or a hand-on still owed (done, not chained: the engine hands on
 * at once). A worker that died after handing on but before its commit leaves a batch unchained
 * behind a chained one; the walk covers that too. A round that was simply paused restarts with
 * at most `window` chains.
 */
/** The batch that holds recipient `index` of the list (the inverse of batchRange). */
export const batchOf = (layout: RoundLayout, index: number): number =>
  index < layout.canaryRecipients ? Math.floor(index / layout.batchSize) : layout.canaryBatches + Math.floor((index - layout.canaryRecipients) / layout.batchSize);

export const restartPoints = (batches: readonly { readonly batchNo: number; readonly done: boolean; readonly chained: boolean }[], window: number): number[] => {
  const points: number[] = [];
  /** Per residue class: whether the previous batch, once run, hands on to the next. */
  const handsOn = new Map<number, boolean>();
  for (const b of [...batches].sort((x, y) => x.batchNo - y.batchNo)) {
    const cls = b.batchNo % window;
    let reached = handsOn.get(cls) === true;
    if (!reached && (!b.done || !b.chained)) {
      points.push(b.batchNo);
      reached = true;
    }
    handsOn.set(cls, reached && !b.chained);
  }
  return points;
};

/** The batch a committed batch hands on to, if any; a canary's chain stops at the canary's end until confirmed. */
export const successorOf = (batchNo: number, layout: RoundLayout, canaryConfirmed: boolean, window: number): number | undefined => {
  const next = batchNo + window;
  if (next >= layout.totalBatches) return undefined;
  if (layout.canaryBatches > 0 && !canaryConfirmed && next >= layout.canaryBatches) return undefined;
  return next;
};

/** The first messages of a round: its first window, stopping at the canary's end until confirmed. */
export const firstWindow = (layout: RoundLayout, window: number, canaryConfirmed = false): number[] => {
  const limit = layout.canaryBatches > 0 && !canaryConfirmed ? layout.canaryBatches : layout.totalBatches;
  return Array.from({ length: Math.min(window, limit) }, (_, i) => i);
};
