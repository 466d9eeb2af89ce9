import { citizenKey } from '../shared/citizen-key.js';
import type { Recipient } from '../lists/recipient-list.js';
import { deliveryIdOf, type Delivery } from './delivery.js';
import type { DispatchStore } from './store.js';

/** A unit of work on the dispatch queue: one batch of one round. */
export interface DispatchMessage {
  readonly projectId: string;
  readonly roundId: string;
  readonly batchNo: number;
  readonly canary?: boolean;
  /** Whether finishing this batch enqueues its successor (batchNo + window); false for one-off work (redrive, cancel). */
  readonly chain?: boolean;
}

export interface DispatchQueue {
  /** Sends in SQS batches of 10. */
  enqueue(messages: readonly DispatchMessage[]): Promise<void>;
}

/** Where the fan-out of a round stands; kept on the round so a crashed planner resumes. */
export interface PlanCursor {
  /** Batches [0, plannedBatches) are written. */
  readonly plannedBatches: number;
  readonly started: boolean;
}

export interface PlanDeps {
  readonly store: DispatchStore;
  readonly queue: DispatchQueue;
  readonly readRecipients: (listId: string) => Promise<Recipient[]>;
  readonly cursor: {
    read(projectId: string, roundId: string): Promise<PlanCursor>;
    /** Marks the fan-out as started before anything is written, so a re-run knows to be careful. */
    begin(projectId: string, roundId: string): Promise<void>;
    advance(projectId: string, roundId: string, plannedBatches: number, layout: { totalBatches: number; canaryBatches: number }): Promise<void>;
  };
  readonly hashKey: string;
  readonly batchSize: number;
  /** Batches written together; the unit a resumed planner redoes carefully. */
  readonly groupSize: number;
  /** Messages a round has on the queue at most (see windowStarts). */
  readonly window: number;
}

/**
 * Splits recipients into batches: the canary's recipients first, in batches of their own, then
 * the rest. Batch numbers and delivery ids are a pure function of the list, so a re-run of the
 * planner produces exactly the same records.
 */
export const batchesOf = (count: number, batchSize: number, canarySize = 0): { start: number; end: number; canary: boolean }[] => {
  const out: { start: number; end: number; canary: boolean }[] = [];
  const canaryEnd = Math.min(count, Math.max(0, canarySize));
  for (let s = 0; s < canaryEnd; s += batchSize) out.push({ start: s, end: Math.min(canaryEnd, s + batchSize), canary: true });
  for (let s = canaryEnd; s < count; s += batchSize) out.push({ start: s, end: Math.min(count, s + batchSize), canary: false });
  return out;
};

/**
 * Fairness between rounds: a round never has more than `window` messages on the queue. The
 * planner enqueues the first `window` batches, and each finished batch enqueues batch + window.
 * With a first-in-first-out queue, rounds released together then take turns instead of the
 * first one's thousands of messages going first — and a pause parks at most `window` messages.
 * To restart chains (resume, recovery), enqueue for every residue class modulo `window` the
 * lowest unfinished batch: the chains from those cover every unfinished batch.
 */
export const windowStarts = (unfinished: readonly number[], window: number): number[] => {
  const lowest = new Map<number, number>();
  for (const b of unfinished) {
    const r = b % window;
    const cur = lowest.get(r);
    if (cur === undefined || b < cur) lowest.set(r, b);
  }
  return [...lowest.values()].sort((a, b) => a - b);
};

/** The batch a finished batch hands on to, if any; a canary's chain stops at the canary's end until confirmed. */
export const successorOf = (
  batchNo: number,
  round: { totalBatches?: number; canaryBatches?: number; canaryConfirmed?: boolean },
  window: number,
): number | undefined => {
  const next = batchNo + window;
  if (round.totalBatches === undefined || next >= round.totalBatches) return undefined;
  // canaryBatches is 0 for a round without a canary: nothing to wait for.
  if (round.canaryBatches !== undefined && round.canaryBatches > 0 && !round.canaryConfirmed && next >= round.canaryBatches) return undefined;
  return next;
};

/**
 * Writes a pending delivery record per recipient (DynamoDB is the source of truth), then puts
 * the round's first window of batches on the dispatch queue. Resumable: the cursor moves only
 * after a group is written, the group after the cursor is re-written without overwriting anything
 * that exists, and the window is enqueued again on a re-run (a batch is claimed with conditional
 * writes, so a second message for it finds nothing to do) — a crash mid-fan-out continues
 * without duplicates. A canary round's window stops at the canary's last batch.
 */
export const planRound = async (
  deps: PlanDeps,
  round: { projectId: string; roundId: string; listId: string; canarySize?: number },
): Promise<{ batches: number; enqueued: number }> => {
  const recipients = await deps.readRecipients(round.listId);
  const batches = batchesOf(recipients.length, deps.batchSize, round.canarySize);
  const cursor = await deps.cursor.read(round.projectId, round.roundId);
  if (!cursor.started) await deps.cursor.begin(round.projectId, round.roundId);
  const canaryBatches = batches.filter((b) => b.canary).length;
  for (let g = cursor.plannedBatches; g < batches.length; g += deps.groupSize) {
    const group = batches.slice(g, g + deps.groupSize);
    const resume = cursor.started && g === cursor.plannedBatches;
    await Promise.all(
      group.map((b, i) => {
        const batchNo = g + i;
        const deliveries: Delivery[] = recipients.slice(b.start, b.end).map((r, j) => ({
          roundId: round.roundId,
          deliveryId: deliveryIdOf(batchNo, j),
          projectId: round.projectId,
          batchNo,
          nin: r.nin,
          citizenKey: citizenKey(r.nin, deps.hashKey),
          ...(r.language ? { language: r.language } : {}),
          ...(r.fields && Object.keys(r.fields).length ? { fields: r.fields } : {}),
          status: 'pending',
        }));
        return deps.store.writeBatch({ projectId: round.projectId, roundId: round.roundId, batchNo }, deliveries, { resume, canary: b.canary });
      }),
    );
    await deps.cursor.advance(round.projectId, round.roundId, g + group.length, { totalBatches: batches.length, canaryBatches });
  }
  const first = batches
    .slice(0, deps.window)
    .map((b, batchNo) => ({ projectId: round.projectId, roundId: round.roundId, batchNo, ...(b.canary ? { canary: true } : {}) }))
    .filter((m) => !round.canarySize || m.batchNo < canaryBatches);
  await deps.queue.enqueue(first);
  return { batches: batches.length, enqueued: first.length };
};
