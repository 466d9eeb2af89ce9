import { z } from 'zod';
import { failedChunkRanges } from '../domain/rounds/preparation-failure.js';
import type { RoundWithCounts } from '../domain/rounds/read.js';

const id = z.string().trim().min(1).max(100);

export const createRoundBody = z.strictObject({
  letterId: id,
  letterVersion: z.number().int().positive().optional(),
  listId: id,
  canary: z.strictObject({ size: z.number().int().positive().max(100_000) }).optional(),
  onlyNonResponders: z.boolean().optional(),
});

export const overrideRoundBody = z.strictObject({
  reason: z.string().trim().min(10, 'write why the hold is overridden (at least 10 characters)').max(2000),
});

/** The round as the API shows it: status, the nine counts that add up to planned, the pre-flight report. */
export const roundView = ({ round: r, status, counts, skipReasons, failureReasons }: RoundWithCounts) => ({
  roundId: r.roundId,
  projectId: r.projectId,
  status,
  letterId: r.letterId,
  letterVersion: r.letterVersion,
  listId: r.listId,
  onlyNonResponders: r.onlyNonResponders,
  ...(r.canary ? { canary: r.canary } : {}),
  preflight: r.preflight,
  findings: r.findings,
  counts,
  skipReasons,
  // Letters that may exist (ePROM gave no answer): never re-sent, settled with the service's operator.
  inDoubt: failureReasons?.in_doubt ?? 0,
  failureReasons: failureReasons ?? {},
  createdBy: r.createdBy,
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
  ...(r.override ? { override: r.override } : {}),
  ...(r.scheduledFor ? { scheduledFor: r.scheduledFor } : {}),
  ...(r.release
    ? { releasedBy: r.release.releasedBy, ...(r.release.releasedByName ? { releasedByName: r.release.releasedByName } : {}), releasedAt: r.release.releasedAt, batches: r.release.layout.totalBatches }
    : {}),
  ...(r.status === 'completed' && r.completedAt ? { completedAt: r.completedAt } : {}),
  ...(r.status === 'cancelled' ? { cancelledBy: r.cancelledBy, cancelledAt: r.cancelledAt } : {}),
  ...(r.status !== 'cancelled' && r.release && r.waiting ? { waitingFor: r.waiting } : {}),
  // A background pre-flight's progress (issue 22): rows checked so far of the list's total.
  // Chunks that failed for good show as row ranges (`failed`) until a redrive stores them.
  ...(r.preparation
    ? {
        preparation: {
          checked: r.preparation.checked,
          total: r.preparation.total,
          ...(r.status === 'preparing' && r.preparation.failedChunks?.length ? { failed: failedChunkRanges(r.preparation) } : {}),
        },
      }
    : {}),
  ...(r.status === 'preparing' && r.preparation?.waiting ? { waitingFor: r.preparation.waiting } : {}),
});

/** `?at=` of GET …/sent-since: an ISO date-time with its offset (as a pause's `pausedAt`). */
export const sentSinceQuery = z.object({ at: z.iso.datetime({ offset: true }) });
