import { RegistryUnavailableError } from '../citizens/registries.js';
import { isReleased, type ReleasedRound } from '../rounds/round.js';
import { keyOfVersion } from '../shared/citizen-key.js';
import { newId } from '../shared/ids.js';
import { isDone, isTerminal, withFencedPlans } from './batch.js';
import { type RecipientOutcome } from '../rounds/round.js';
import { batchRange } from './layout.js';
import { LeaseLostError, type BatchRef, type DispatchMessage, type EngineDeps, type LedgerEntry } from './ports.js';
import { seconds, type Attempt } from './stages/attempt.js';
import { afterDone, commitSettled, handOn } from './stages/commit.js';
import { decideRecipient } from './stages/decide-recipients.js';
import type { ToSend } from './stages/compose.js';
import { gather } from './stages/gather.js';
import { blocker, readGate, type Blocker } from './stages/gate.js';
import { handOverWave, waveDeadline } from './stages/hand-over.js';
import { FateUnknownNowError, learnEarlierTries, recover } from './stages/recover.js';
import { emptySettled, fail, settleWave, skip, type Settled } from './stages/settle.js';

/**
 * The dispatch engine: one message = one batch of one released round, as short stages:
 *   claim → recover (a dead attempt's marked wave) → for each wave of the batch's pending
 *   recipients: gather facts → decide → hand over (mark, gate again, compose, channels with a
 *   deadline) → settle → commit, after which the automatic brake watches what was decided.
 * Nothing is written per recipient but the contact ledger entry; the batch is one item, claimed
 * with one conditional write and committed once per wave. In flight is one wave: a pause waits
 * for at most one wave's calls, whose deadline the marker carries.
 */
export type BatchResult =
  | { readonly kind: 'committed'; readonly sent: number; readonly decided: number; readonly retryInMs?: number; readonly tally: BatchTally }
  | { readonly kind: 'parked'; readonly why: Blocker }
  | { readonly kind: 'waiting'; readonly registry: string; readonly retryInMs: number }
  | { readonly kind: 'nothing-to-do' }
  /** Another worker holds the batch; look again after its lease (a dead worker's lease expires). */
  | { readonly kind: 'busy'; readonly retryInMs: number }
  | { readonly kind: 'gone' };

/** What a committed batch decided, for metrics (reasons and channels are codes, never IDs). */
export interface BatchTally {
  readonly sent: number;
  readonly skippedByReason: Readonly<Record<string, number>>;
  readonly failedByChannel: Readonly<Record<string, number>>;
}

const tallyOf = (entries: readonly LedgerEntry[], sentCount: number): BatchTally => {
  const skippedByReason: Record<string, number> = {};
  const failedByChannel: Record<string, number> = {};
  for (const e of entries) {
    if (e.aboutChild) continue;
    if (e.outcome === 'skipped') skippedByReason[e.reason ?? 'other'] = (skippedByReason[e.reason ?? 'other'] ?? 0) + 1;
    if (e.outcome === 'failed') failedByChannel[e.channel ?? 'none'] = (failedByChannel[e.channel ?? 'none'] ?? 0) + 1;
  }
  return { sent: sentCount, skippedByReason, failedByChannel };
};

/** Backoff for a batch that must come back later: grows with its retries, never a hot loop. */
export const retryDelayMs = (retry: number, hintMs?: number): number => Math.max(hintMs ?? 0, Math.min(60_000, 1_000 * 2 ** Math.min(retry, 6)));

/** How long to wait before looking at a batch another worker holds: until its lease ends, within reason. */
const busyRetry = (until: number, now: number): number => Math.min(10_000, Math.max(1_000, until - now + 100));

export interface ProcessOptions {
  /** Epoch ms by which the invocation must have returned (the Lambda's remaining time); every budget derives from it. */
  readonly deadline?: number;
}

export const processBatch = async (deps: EngineDeps, message: DispatchMessage, opts: ProcessOptions = {}): Promise<BatchResult> => {
  const ref: BatchRef = { projectId: message.projectId, roundId: message.roundId, batchNo: message.batchNo };
  const first = await readGate(deps, ref.projectId, ref.roundId);
  const round = first.round;
  if (!round || !isReleased(round) || ref.batchNo >= round.release.layout.totalBatches) return { kind: 'gone' };
  const layout = round.release.layout;
  const range = batchRange(layout, ref.batchNo);
  const size = range.end - range.start;
  const cancelled = round.status === 'cancelled';
  if (!cancelled) {
    const blocked = blocker(first, range.canary, deps.settings.region);
    // A pause whose pauser died before auditing it (the brake's worker, say) is audited by whoever meets it.
    if (blocked === 'paused' && first.project?.pauseAudit) await deps.rounds.finishPause(ref.projectId);
    if (blocked) return { kind: 'parked', why: blocked };
  }

  const leaseId = newId('lease');
  const claimedAt = deps.clock().getTime();
  const leaseUntil = claimedAt + deps.settings.leaseMs;
  const claim = await deps.batches.claim(ref, size, leaseId, leaseUntil, claimedAt);
  if (claim.kind === 'busy') return { kind: 'busy', retryInMs: busyRetry(claim.until, claimedAt) };
  if (claim.kind === 'done') {
    // A redelivered message of a batch that committed but crashed before handing on, or before
    // completing the round (or holding it for its canary): finish what that attempt left.
    if (!claim.state.chained && message.chain !== false && !cancelled) await handOn(deps, ref, round);
    await afterDone(deps, round, range.canary);
    return { kind: 'nothing-to-do' };
  }
  // Every channel call of this attempt ends before the invocation's deadline less the commit's budget,
  // and in the first half of the lease: the second half is the margin for a commit slowed by a
  // throttled write or a stalled process, so that an expired lease means a dead worker with nothing
  // in flight, not a slow one whose hand-overs another worker would then have to call in doubt.
  const deadline = Math.min(opts.deadline ?? Number.POSITIVE_INFINITY, claimedAt + deps.settings.leaseMs / 2);
  // The plans that may have been handed over: this replica's, and any the fence keeps that a lost region planned after its last write here.
  const bound = withFencedPlans(claim.state, claim.fenced ?? []);
  let a: Attempt | undefined;
  try {
    const [gate, recipients] = await Promise.all([
      readGate(deps, ref.projectId, ref.roundId, { letterId: round.letterId, version: round.letterVersion }),
      deps.recipients.slice(round.listId, range.start, range.end),
    ]);
    if (recipients.length !== claim.state.outcomes.length) throw new Error('the recipient list does not match the round layout');
    a = {
      deps,
      ref,
      message,
      round: round as ReleasedRound,
      layout,
      range,
      leaseId,
      handOverUntil: deadline - deps.settings.commitBudgetMs,
      recipients,
      releaseSeq: gate.releaseSeq,
      hashKey: keyOfVersion(deps.hashKeys(), (round as ReleasedRound).release.hashKeyVersion),
      project: gate.project ?? first.project!,
      version: gate.version!,
      outcomes: claim.state.outcomes,
      chained: claim.state.chained,
      planSeq: bound.planSeq,
    };
    const before = a.outcomes.filter(isTerminal).length;
    const tally = { entries: [] as LedgerEntry[], sent: 0 };
    const note = (s: Settled) => {
      tally.entries.push(...s.entries);
      tally.sent += s.sent;
    };
    const done = (extra: Partial<{ retryInMs: number }> = {}): BatchResult => ({
      kind: 'committed',
      sent: tally.sent,
      decided: a!.outcomes.filter(isTerminal).length - before,
      tally: tallyOf(tally.entries, tally.sent),
      ...extra,
    });

    if (bound.sending) {
      const s = await recover(a, bound.sending);
      note(s);
      await commitSettled(a, s, { final: false });
    }
    if (cancelled) return await cancelRest(a, done);
    if (!gate.version) {
      // Versions are immutable and cannot disappear; if one does, nothing is sent and the batch
      // is counted failed, to be redriven once mended.
      const s = emptySettled();
      a.outcomes.forEach((o, i) => o.kind === 'pending' && fail(a!, s, deps.clock(), i, a!.recipients[i]!.nin, 'letter_version_missing', undefined));
      note(s);
      await commitSettled(a, s, { final: true });
      await afterDone(deps, a.round, range.canary);
      return done();
    }
    const blocked = blocker(gate, range.canary, deps.settings.region);
    if (blocked) {
      await deps.batches.unclaim(ref, leaseId);
      return { kind: 'parked', why: blocked };
    }
    return await sendWaves(a, note, done);
  } catch (error) {
    if (error instanceof RegistryUnavailableError || error instanceof FateUnknownNowError) {
      // Nothing more is decided on partial facts; a dead attempt's plan still binds the next one.
      await deps.batches.unclaim(ref, leaseId, { keepPlan: true });
      const registry = error instanceof RegistryUnavailableError ? error.registry : `channel:${error.channel}`;
      await deps.rounds.noteWaiting(ref.projectId, ref.roundId, { registry, since: deps.clock().toISOString() });
      return { kind: 'waiting', registry, retryInMs: retryDelayMs(message.retry ?? 0, error instanceof RegistryUnavailableError ? error.retryAfterMs : undefined) };
    }
    // Whatever went wrong, this worker sends nothing more (no call of ours is in flight: a wave
    // returns only when its calls have ended): a pause need not wait for it. The lease stays and
    // expires like a dead worker's, the plan binds the retry, and the message comes back.
    if (!(error instanceof LeaseLostError)) await deps.batches.abandon(ref, leaseId).catch(() => undefined);
    throw error;
  }
};

/** The batch's pending recipients in waves of the channel's in-flight width, each committed before the next. */
const sendWaves = async (a: Attempt, note: (s: Settled) => void, done: (extra?: Partial<{ retryInMs: number }>) => BatchResult): Promise<BatchResult> => {
  const { deps, ref } = a;
  const pending = a.outcomes.flatMap((o, i) => (o.kind === 'pending' ? [i] : []));
  const width = Math.max(1, deps.settings.waveWidth);
  let clearedWaiting = false;
  for (let start = 0; start < pending.length; start += width) {
    const indices = pending.slice(start, start + width);
    const last = start + width >= pending.length;
    // Facts for exactly this wave, read now: a registry outage stops the batch within one wave.
    const facts = await gather(
      a,
      indices.map((i) => a.recipients[i]!.nin),
    );
    if (!clearedWaiting && a.round.waiting) await deps.rounds.noteWaiting(ref.projectId, ref.roundId, undefined);
    clearedWaiting = true;
    const now = facts.now;
    const s = emptySettled();
    const toSend: ToSend[] = [];
    const triedBefore = indices.filter((i) => {
      const o = a.outcomes[i];
      return o?.kind === 'pending' && o.tries > 0;
    });
    const learned = await learnEarlierTries(a, facts, triedBefore, s);
    for (const i of indices) {
      if (learned.has(i)) continue;
      const recipient = a.recipients[i]!;
      const v = decideRecipient(a, facts, i, recipient);
      if (v.kind === 'skip') skip(a, s, now, i, recipient.nin, v.reason);
      else if (v.kind === 'already_sent') s.outcomes.set(i, { kind: 'sent', channel: v.channel, at: seconds(now) });
      else toSend.push({ index: i, recipient, addressees: v.addressees, guardians: v.guardians });
    }
    if (toSend.length > 0) {
      const until = waveDeadline(a, deps.clock().getTime(), start === 0);
      if (until === undefined) {
        // Out of time for a whole wave: what is decided is kept (unless a stop came first), the rest comes back.
        const stopped = await keepDecisions(a, s, note, true);
        return stopped ? parkAttempt(a, stopped) : done({ retryInMs: 0 });
      }
      const sentAt = deps.clock().toISOString();
      const answer = await handOverWave(a, toSend, until, sentAt);
      // Nothing of this wave left: drop its decisions (they are made again on resume) and let go.
      if (answer.kind === 'blocked') return parkAttempt(a, answer.why);
      const handed = toSend.filter((t) => !answer.invalid.has(t.index));
      for (const t of toSend) {
        const why = answer.invalid.get(t.index);
        if (why) skip(a, s, now, t.index, t.recipient.nin, 'invalid', { detail: why });
      }
      settleWave(
        a,
        s,
        deps.clock(),
        handed,
        answer.results,
        (i) => {
          const o: RecipientOutcome | undefined = a.outcomes[i];
          return o?.kind === 'pending' ? o.tries : 0;
        },
        answer.letters,
      );
      note(s);
      await commitSettled(a, s, { final: last });
    } else {
      const stopped = await keepDecisions(a, s, note, last);
      if (stopped) return parkAttempt(a, stopped);
    }
  }
  const isComplete = isDone({ outcomes: a.outcomes });
  if (isComplete) await afterDone(deps, a.round, a.range.canary);
  return done(isComplete ? {} : { retryInMs: retryDelayMs(a.message.retry ?? 0) });
};

/** A stop seen by the attempt: what it decided and did not commit is dropped (made again on resume), and the batch let go. */
const parkAttempt = async (a: Attempt, why: Blocker): Promise<BatchResult> => {
  await a.deps.batches.unclaim(a.ref, a.leaseId);
  return { kind: 'parked', why };
};

/**
 * A wave that hands nothing over (every recipient decided without a letter, or no time left for
 * its letters) keeps its decisions under the protocol a wave's letters follow: marked in flight
 * (with its decisions, until the commit's budget), the gate read again, then committed (the commit
 * drops the marker). A stop written before the read is seen: nothing is kept, and the stop is
 * returned; one written after it waits for the marker. So nothing of a round changes once a pause
 * or halt is acknowledged — no letter, and no count either.
 */
const keepDecisions = async (a: Attempt, s: Settled, note: (s: Settled) => void, final: boolean): Promise<Blocker | undefined> => {
  const { deps, ref } = a;
  if (s.outcomes.size > 0) {
    await deps.batches.markWave(ref, a.leaseId, s.outcomes.size, deps.clock().getTime() + deps.settings.commitBudgetMs);
    const why = blocker(await readGate(deps, ref.projectId, ref.roundId), a.range.canary, deps.settings.region);
    if (why) return why;
  }
  note(s);
  await commitSettled(a, s, { final });
  return undefined;
};

/** A cancelled round's batch (after recovering a dead wave): every pending recipient becomes cancelled, and is counted. */
const cancelRest = async (a: Attempt, done: () => BatchResult): Promise<BatchResult> => {
  const at = seconds(a.deps.clock());
  const s = emptySettled();
  a.outcomes.forEach((o, i) => o.kind === 'pending' && s.outcomes.set(i, { kind: 'cancelled', at }));
  a.chained = true;
  await commitSettled(a, s, { final: true });
  return done();
};
