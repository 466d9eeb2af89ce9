import { z } from 'zod';
import { countsView, type Round } from '../domain/rounds/round.js';

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
export const roundView = (r: Round) => ({
  roundId: r.roundId,
  projectId: r.projectId,
  status: r.status,
  letterId: r.letterId,
  letterVersion: r.letterVersion,
  listId: r.listId,
  onlyNonResponders: r.onlyNonResponders,
  ...(r.canary ? { canary: r.canary } : {}),
  preflight: r.preflight,
  findings: r.findings,
  counts: countsView(r.counts),
  skipReasons: r.skipReasons,
  createdBy: r.createdBy,
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
  ...(r.override ? { override: r.override } : {}),
  ...(r.cancelledAt ? { cancelledBy: r.cancelledBy, cancelledAt: r.cancelledAt } : {}),
});
