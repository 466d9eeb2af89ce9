import { isReleased, type RecipientOutcome, type Round } from '../rounds/round.js';
import type { DispatchControl } from '../rounds/ports.js';
import { deltaOf, freshBatch, type BatchState } from './batch.js';
import { batchRange } from './layout.js';
import type { BatchStore, ContactLedger, LedgerEntry, LedgerRebuild, RecipientSource } from './ports.js';
import { entryFor, type EntryRound } from './stages/settle.js';

/**
 * A failover's second step, in the new home (issue 25, docs/georedundancy.md): every table is
 * replicated asynchronously, so the contact-ledger entries the old home wrote in its last seconds
 * may never arrive, while the batch items that record the same outcomes did. Before a moved round
 * sends again, each decided recipient of every one of its batches gets their entry back where it is
 * missing — what the next rounds' duplicate and frequency checks read. The round carries
 * `ledgerRebuild` from the failover's compare-and-set on; the gate parks its batches while it does,
 * and the last step clears it (at the epoch the failover set) and puts the round back to work.
 *
 * A rebuilt entry knows what the batch item knows: the outcome, its reason, the channel and the
 * time. Not the letter's language and fingerprint (as after a recovery: settle.ts `sent`), and not
 * the guardians a child was reached through: the item counts them, the register no longer says
 * which ones got a letter. The child's own entry (`viaGuardians`) is rebuilt, which is what a later
 * round checks for that child. An entry that exists is never overwritten.
 */
export interface RebuildDeps {
  readonly rounds: {
    getRound(projectId: string, roundId: string): Promise<Round | undefined>;
    /** Clears the round's `ledgerRebuild` if its epoch is still `epoch`; false when a later failover moved it again. */
    ledgerRebuilt(projectId: string, roundId: string, epoch: number): Promise<boolean>;
  };
  readonly batches: Pick<BatchStore, 'readAll' | 'recount'>;
  readonly recipients: RecipientSource;
  readonly ledger: Pick<ContactLedger, 'recordMissing'>;
  readonly control: Pick<DispatchControl, 'continue'>;
  /** The dispatch queue, where a job that ran out of time goes on from its cursor (and where a failover puts it). */
  readonly queue: { enqueue(jobs: readonly LedgerRebuild[], opts?: { delaySeconds?: number }): Promise<void> };
  readonly clock: () => Date;
}

/** The entries a batch item's decided outcomes stand for (none for pending or cancelled recipients). */
const entriesOf = (round: EntryRound, nins: readonly string[], outcomes: readonly RecipientOutcome[]): LedgerEntry[] =>
  outcomes.flatMap((o, i): LedgerEntry[] => {
    const nin = nins[i];
    if (nin === undefined) return [];
    const at = (s: number) => new Date(s * 1000);
    switch (o.kind) {
      case 'sent':
        return [entryFor({ round }, at(o.at), nin, { outcome: 'sent', channel: o.channel, ...(o.guardians !== undefined ? { viaGuardians: o.guardians } : {}) })];
      case 'skipped':
        return [entryFor({ round }, at(o.at), nin, { outcome: 'skipped', reason: o.reason })];
      case 'failed':
        return [entryFor({ round }, at(o.at), nin, { outcome: 'failed', reason: o.reason, ...(o.channel ? { channel: o.channel } : {}) })];
      default:
        return [];
    }
  });

/**
 * The job a failover puts on the new home's queue once its compare-and-sets moved the rounds'
 * fences (at `movedAt`, epoch ms). It starts a whole lease later: a worker of the old home that read
 * the fence before it moved may still be in its wave, which ends within half a lease of its claim,
 * and its commit within the lease (engine.ts). The new home cannot see that worker's lease (the batch
 * items replicate asynchronously), but it can wait it out: then every batch item the old home will
 * ever write is written, the rebuild reads what replicated, and only then does the round send again
 * (its hold keeps every batch parked until this job ends).
 */
export const rebuildAfterFailover = (rounds: LedgerRebuild['rounds'], movedAt: number, leaseMs: number): LedgerRebuild => ({
  kind: 'rebuild-ledger',
  rounds,
  at: { round: 0, batch: 0 },
  notBefore: movedAt + leaseMs,
});

/** How long a job not yet due should wait on the queue (SQS delays at most 15 minutes). */
export const delaySecondsOf = (job: LedgerRebuild, now: number): number => Math.min(900, Math.max(0, Math.ceil(((job.notBefore ?? 0) - now) / 1000)));

/**
 * The round's counters again from its batch items: a counter shard replicates apart from the batch
 * item it counts (both are written in one transaction, atomic only in the region that ran it), so
 * after a loss the round's counts may miss the old home's last commits, or count one whose batch
 * item was lost (that batch is then sent again). The batch items are the truth; the round is held,
 * so nothing commits meanwhile.
 */
const recount = async (deps: RebuildDeps, round: Round & { release: NonNullable<Round['release']> }, states: ReadonlyMap<number, BatchState>): Promise<void> => {
  const layout = round.release.layout;
  await deps.batches.recount(
    round,
    [...states].map(([batchNo, state]) => ({ batchNo, canary: batchRange(layout, batchNo).canary, delta: deltaOf(freshBatch(batchNo, state.outcomes.length).outcomes, state.outcomes) })),
  );
};

/**
 * Walks the job's rounds batch by batch from its cursor until `until` (epoch ms): returns where to
 * go on, or undefined when every round is rebuilt, released from its hold and back at work. Every
 * step is safe to repeat (a redelivered job walks its batches again and writes nothing twice). A job
 * not yet due (`notBefore`) does nothing and comes back as it is.
 */
export const rebuildLedger = async (deps: RebuildDeps, job: LedgerRebuild, until: number): Promise<LedgerRebuild | undefined> => {
  if (job.notBefore !== undefined && deps.clock().getTime() < job.notBefore) return job;
  for (let r = job.at.round; r < job.rounds.length; r++) {
    const { projectId, roundId } = job.rounds[r]!;
    const round = await deps.rounds.getRound(projectId, roundId);
    if (!round || !isReleased(round)) continue;
    const layout = round.release.layout;
    // Every batch item of the round in one read, for its ledger entries and its counters (the round
    // is held and its old home has stopped: nothing changes them meanwhile). A batch never started has none.
    const states = await deps.batches.readAll(roundId);
    for (let b = r === job.at.round ? job.at.batch : 0; b < layout.totalBatches; b++) {
      if (deps.clock().getTime() >= until) return { ...job, at: { round: r, batch: b } };
      const range = batchRange(layout, b);
      const state = states.get(b);
      if (!state?.outcomes.some((o) => o.kind !== 'pending' && o.kind !== 'cancelled')) continue;
      const recipients = await deps.recipients.slice(round.listId, range.start, range.end);
      const entries = entriesOf(
        round,
        recipients.map((x) => x.nin),
        state.outcomes,
      );
      if (entries.length > 0) await deps.ledger.recordMissing(entries);
    }
    await recount(deps, round, states);
  }
  // Every round's hold goes first, then each goes back to work: a crash between the two leaves a
  // redelivered job that finds nothing to write and does the rest.
  for (const { projectId, roundId, epoch } of job.rounds) {
    if (!(await deps.rounds.ledgerRebuilt(projectId, roundId, epoch))) continue;
    const round = await deps.rounds.getRound(projectId, roundId);
    if (round && isReleased(round) && (round.status === 'dispatching' || round.status === 'canary_hold')) await deps.control.continue(round);
  }
  return undefined;
};
