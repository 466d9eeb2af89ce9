import { DEFAULT_RETENTION, retentionFor } from '../shared/retention.js';
import type { RoundDeps } from './ports.js';

/**
 * A list lives while a round uses it: each step of a round that will read it (creation, release
 * now or at a time, completion) keeps it at least the retention period from that step, rows and
 * record together, never shortening it.
 */
export const keepListFrom = (deps: Pick<RoundDeps, 'lists' | 'retention'>, projectId: string, listId: string, from: string | Date) =>
  deps.lists.extendRetention(projectId, listId, retentionFor('listRows', from, deps.retention ?? DEFAULT_RETENTION));

/** A round's record (and the board's report of it) is kept the long period from its end. */
export const roundKeptUntil = (deps: Pick<RoundDeps, 'retention'>, endedAt: string) => retentionFor('roundReport', endedAt, deps.retention ?? DEFAULT_RETENTION);
