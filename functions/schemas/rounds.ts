import { z } from 'zod';
import type { RoundWithCounts } from '../domain/rounds/use-cases.js';

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
export const roundView = ({ round: r, status, counts, skipReasons }: RoundWithCounts) => ({
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
  createdBy: r.createdBy,
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
  ...(r.override ? { override: r.override } : {}),
  ...(r.scheduledFor ? { scheduledFor: r.scheduledFor } : {}),
  ...(r.release ? { releasedBy: r.release.releasedBy, releasedAt: r.release.releasedAt, batches: r.release.layout.totalBatches } : {}),
  ...(r.status === 'completed' && r.completedAt ? { completedAt: r.completedAt } : {}),
  ...(r.status === 'cancelled' ? { cancelledBy: r.cancelledBy, cancelledAt: r.cancelledAt } : {}),
  ...(r.status !== 'cancelled' && r.release && r.waiting ? { waitingFor: r.waiting } : {}),
});

/** `?at=` of GET …/sent-since: an ISO date-time with its offset (as a pause's `pausedAt`). */
export const sentSinceQuery = z.object({ at: z.iso.datetime({ offset: true }) });
