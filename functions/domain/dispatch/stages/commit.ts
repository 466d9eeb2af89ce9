import { isReleased, type ReleasedRound, type Round } from '../../rounds/round.js';
import { statisticsForBatch } from '../../statistics/statistics.js';
import { deltaOf } from '../batch.js';
import { type RecipientOutcome } from '../../rounds/round.js';
import { successorOf } from '../layout.js';
import type { BatchRef, EngineDeps, LedgerEntry } from '../ports.js';
import type { Attempt } from './attempt.js';
import { watchAfterCommit } from './brake.js';
import type { Settled } from './settle.js';

/**
 * Commits what a wave (or a recovery) decided: the ledger entries first (if we die after them, the
 * retry finds "sent in this round" and sends nothing again; guardians' entries before the child's),
 * the hand-on to the successor before the first commit (a duplicate message finds nothing to do;
 * a lost one would stall the chain), then the batch's outcomes with their counter shard, dropping the wave's plan and marker.
 * Then the automatic brake (brake.ts). Statistics after the commit, without a key: a crash between
 * the two can only undercount.
 */
export const commitSettled = async (a: Attempt, s: Settled, opts: { final: boolean }): Promise<void> => {
  const { deps, ref } = a;
  const next: RecipientOutcome[] = [...a.outcomes];
  for (const [i, o] of s.outcomes) next[i] = o;
  await recordLedger(deps, s.entries);
  let chained = a.chained;
  if (!chained && a.message.chain !== false) {
    await handOn(deps, ref, a.round);
    chained = true;
  }
  const delta = deltaOf(a.outcomes, next);
  await deps.batches.commit(ref, a.leaseId, { outcomes: next, chained, planSeq: a.planSeq }, delta, { canary: a.range.canary, keepLease: !opts.final });
  a.outcomes = next;
  a.chained = chained;
  await watchAfterCommit(a, s, opts);
  if (deps.statistics) {
    const decided = s.entries.filter((e) => !e.test).map((e) => ({ outcome: e.outcome, ...(e.channel && e.outcome !== 'skipped' ? { channel: e.channel } : {}) }));
    if (decided.length > 0) await deps.statistics.record(statisticsForBatch(a.project.organization, deps.clock(), decided));
  }
};

/**
 * A recipient's own entry is what a retry reads as "sent in this round" (recover.ts), and a write
 * of many entries can land in parts. So the guardians' entries about a child are written, whole,
 * before any recipient's own: a worker that dies between the two leaves the child unrecorded, and
 * the retry learns the letters' fate and writes both again (the ledger is idempotent per entry).
 */
const recordLedger = async (deps: EngineDeps, entries: readonly LedgerEntry[]): Promise<void> => {
  const aboutChildren = entries.filter((e) => e.aboutChild !== undefined);
  const own = entries.filter((e) => e.aboutChild === undefined);
  if (aboutChildren.length > 0) await deps.ledger.record(aboutChildren);
  if (own.length > 0) await deps.ledger.record(own);
};

export const handOn = async (deps: EngineDeps, ref: BatchRef, round: ReleasedRound): Promise<void> => {
  const next = successorOf(ref.batchNo, round.release.layout, round.canaryConfirmed === true, deps.settings.window);
  if (next !== undefined) await deps.queue.enqueue([{ projectId: ref.projectId, roundId: ref.roundId, batchNo: next }]);
};

/**
 * After a batch is done: the round is complete when every recipient is terminal (the counter
 * shards, O(1) in the round's size); a canary round waits in canary_hold once its canary is done.
 */
export const afterDone = async (deps: EngineDeps, round: ReleasedRound | Round, canaryBatch: boolean): Promise<void> => {
  if (!isReleased(round)) return;
  const layout = round.release.layout;
  const progress = await deps.batches.progress(round.roundId, layout.total);
  const at = deps.clock().toISOString();
  if (progress.counts.pending === 0) {
    if (round.status !== 'cancelled') await deps.rounds.complete(round.projectId, round.roundId, at);
    return;
  }
  if (canaryBatch && layout.canaryBatches > 0 && !(round as ReleasedRound).canaryConfirmed && progress.canaryTerminal >= layout.canaryRecipients) {
    await deps.rounds.holdForCanary(round.projectId, round.roundId, at);
  }
};
