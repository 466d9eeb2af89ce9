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
}

export interface DispatchQueue {
  /** Sends in SQS batches of 10. */
  enqueue(messages: readonly DispatchMessage[]): Promise<void>;
}

/** Where the fan-out of a round stands; kept on the round so a crashed planner resumes. */
export interface PlanCursor {
  /** Batches [0, plannedBatches) are written and enqueued. */
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
    advance(projectId: string, roundId: string, plannedBatches: number, totalBatches: number): Promise<void>;
  };
  readonly hashKey: string;
  readonly batchSize: number;
  /** Batches written and enqueued together; the unit a resumed planner redoes carefully. */
  readonly groupSize: number;
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
 * Writes a pending delivery record per recipient (DynamoDB is the source of truth) and fans the
 * round out onto the dispatch queue batch by batch. Resumable: the cursor moves only after a
 * group is written and enqueued, and the group after the cursor is re-written without
 * overwriting anything that exists — so a crash mid-fan-out continues without duplicates.
 * Non-canary batches of a canary round are written but not enqueued until the canary is confirmed.
 */
export const planRound = async (
  deps: PlanDeps,
  round: { projectId: string; roundId: string; listId: string; canarySize?: number },
): Promise<{ batches: number; enqueued: number }> => {
  const recipients = await deps.readRecipients(round.listId);
  const batches = batchesOf(recipients.length, deps.batchSize, round.canarySize);
  const cursor = await deps.cursor.read(round.projectId, round.roundId);
  if (!cursor.started) await deps.cursor.begin(round.projectId, round.roundId);
  let enqueued = 0;
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
    const messages = group
      .map((b, i) => ({ projectId: round.projectId, roundId: round.roundId, batchNo: g + i, ...(b.canary ? { canary: true } : {}) }))
      .filter((m, i) => group[i]!.canary || !round.canarySize);
    await deps.queue.enqueue(messages);
    enqueued += messages.length;
    await deps.cursor.advance(round.projectId, round.roundId, g + group.length, batches.length);
  }
  return { batches: batches.length, enqueued };
};
