import { citizenFacts, RegistryUnavailableError, type CitizenFacts } from '../citizens/registries.js';
import type { Language, LetterVersion } from '../letters/letter.js';
import { footerInfoFor, renderLetter, type RenderedLetter } from '../letters/render.js';
import { validateNin } from '../lists/nin.js';
import type { Recipient } from '../lists/recipient-list.js';
import type { Project } from '../projects/project.js';
import { DUPLICATE_WINDOW_DAYS } from '../rounds/preflight.js';
import { isReleased, type ReleasedRound, type Round, type RoundLayout } from '../rounds/round.js';
import { newId } from '../shared/ids.js';
import { citizenKey } from '../shared/citizen-key.js';
import { statisticsForBatch } from '../statistics/statistics.js';
import { deltaOf, isDone, isTerminal, type BatchState, type RecipientOutcome } from './batch.js';
import type { Channel, ChannelResult, Dispatchable } from './channels.js';
import { chooseChannel, decide } from './decide.js';
import { childOutcome, guardianDeliveryId, guardianOutcomeOf, routeWithFacts, type Route } from '../citizens/minors.js';
import { effectiveMinorsPolicy } from '../projects/minors-policy.js';
import { checkRenderedLetter } from '../letters/send-check.js';
import { externalFormLink } from '../letters/check.js';
import { batchRange, successorOf } from './layout.js';
import { LeaseLostError, type BatchRef, type ContactRecord, type DispatchMessage, type EngineDeps, type Gate, type LedgerEntry } from './ports.js';

/**
 * The dispatch engine: one message = one batch of one released round. Nothing is written per
 * recipient but the contact ledger entry; the batch is one item, claimed with one conditional
 * write. The steps, and why in this order:
 *   1. read the halt flag, project and round (strongly consistent) — park if blocked;
 *   2. claim the batch (conditional on no live lease);
 *   3. read every registry once for the batch, the ledger and the letter; decide per recipient
 *      (reservation and withdrawal before any channel; the channel chosen once);
 *   4. mark the claim in flight, then read the flags AGAIN — a pause written before that read is
 *      seen and we let go; a pause written after it finds the marker and waits for us;
 *   5. one attempt per channel (the delivery id is the idempotency key);
 *   6. commit: ledger entries (batched), then the batch's outcomes with its counter shard, dropping
 *      the marker. Transient failures stay pending and the batch comes back later (outside the
 *      in-flight section), re-reading the flags first.
 */
export type BatchResult =
  | { readonly kind: 'committed'; readonly sent: number; readonly decided: number; readonly retryInMs?: number; readonly tally: BatchTally }
  | { readonly kind: 'parked'; readonly why: 'halted' | 'paused' | 'canary_hold' | 'not_dispatching' }
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

const tallyOf = (entries: readonly LedgerEntry[], sent: number): BatchTally => {
  const skippedByReason: Record<string, number> = {};
  const failedByChannel: Record<string, number> = {};
  for (const e of entries) {
    if (e.outcome === 'skipped') skippedByReason[e.reason ?? 'other'] = (skippedByReason[e.reason ?? 'other'] ?? 0) + 1;
    if (e.outcome === 'failed') failedByChannel[e.channel ?? 'none'] = (failedByChannel[e.channel ?? 'none'] ?? 0) + 1;
  }
  return { sent, skippedByReason, failedByChannel };
};

export type Blocker = 'halted' | 'paused' | 'canary_hold' | 'not_dispatching';

/** Whether a batch of this round may send now; the reason to park otherwise. */
export const blocker = (gate: Gate, canaryBatch: boolean): Blocker | undefined => {
  if (gate.halted) return 'halted';
  if (!gate.project || gate.project.status === 'paused') return 'paused';
  const round = gate.round;
  if (!round || !isReleased(round)) return 'not_dispatching';
  const confirmed = (round as ReleasedRound).canaryConfirmed === true;
  // Until a person confirms the canary, only the canary's own batches may send.
  if (!canaryBatch && round.release.layout.canaryBatches > 0 && !confirmed) return 'canary_hold';
  if (round.status === 'dispatching') return undefined;
  return 'not_dispatching';
};

/** Zero-padded so that ids sort by batch; the channel's idempotency key together with the round id. */
export const deliveryIdOf = (batchNo: number, index: number): string => `${String(batchNo).padStart(6, '0')}-${String(index).padStart(4, '0')}`;

const DAY_MS = 86_400_000;
/** Facts of someone a bound retry must send to although a registry no longer answers for them. */
const UNKNOWN: CitizenFacts = citizenFacts({ known: false });
const seconds = (d: Date) => Math.floor(d.getTime() / 1000);

/** How a guardian's ledger entry names the child it concerns: a keyed hash, never the ID. */
const pseudonymOfChild = (nin: string, hashKey: string): string => citizenKey(nin, hashKey).replace(/[^A-Za-z0-9]/g, '').slice(0, 24);

/** Backoff for a batch that must come back later: grows with its retries, never a hot loop. */
export const retryDelayMs = (retry: number, hintMs?: number): number => Math.max(hintMs ?? 0, Math.min(60_000, 1_000 * 2 ** Math.min(retry, 6)));

export const processBatch = async (deps: EngineDeps, message: DispatchMessage): Promise<BatchResult> => {
  const ref: BatchRef = { projectId: message.projectId, roundId: message.roundId, batchNo: message.batchNo };
  const gate = await deps.gate.read(ref.projectId, ref.roundId);
  const round = gate.round;
  if (!round || !isReleased(round) || ref.batchNo >= round.release.layout.totalBatches) return { kind: 'gone' };
  const layout = round.release.layout;
  const range = batchRange(layout, ref.batchNo);
  const size = range.end - range.start;
  if (round.status === 'cancelled') return cancelBatch(deps, ref, round, size, range.canary);
  const blocked = blocker(gate, range.canary);
  if (blocked) return { kind: 'parked', why: blocked };

  const leaseId = newId('lease');
  const claimedAt = deps.clock().getTime();
  const leaseUntil = claimedAt + deps.settings.leaseMs;
  const claim = await deps.batches.claim(ref, size, leaseId, leaseUntil, claimedAt);
  if (claim.kind === 'busy') return { kind: 'busy', retryInMs: busyRetry(claim.until, claimedAt) };
  if (claim.kind === 'done') {
    // A redelivered message of a batch that committed but crashed before handing on, or before
    // completing the round (or holding it for its canary): finish what that attempt left.
    if (!claim.state.chained && message.chain !== false) await handOn(deps, ref, round as ReleasedRound, layout);
    await afterDone(deps, round, range.canary);
    return { kind: 'nothing-to-do' };
  }
  const state = claim.state;
  try {
    return await sendClaimed(deps, { ref, message, gate, round: round as ReleasedRound, layout, range, state, leaseId, leaseUntil });
  } catch (error) {
    // Whatever went wrong, this worker sends nothing more: a pause need not wait for it. The lease
    // stays and expires like a dead worker's, and the message comes back.
    if (!(error instanceof LeaseLostError)) await deps.batches.abandon(ref, leaseId).catch(() => undefined);
    throw error;
  }
};

/** How long to wait before looking at a batch another worker holds: until its lease ends, within reason. */
const busyRetry = (until: number, now: number): number => Math.min(10_000, Math.max(1_000, until - now + 100));

interface Claimed {
  readonly ref: BatchRef;
  readonly message: DispatchMessage;
  readonly gate: Gate;
  readonly round: ReleasedRound;
  readonly layout: RoundLayout;
  readonly range: { start: number; end: number; canary: boolean };
  readonly state: BatchState;
  readonly leaseId: string;
  readonly leaseUntil: number;
}

interface Planned {
  readonly index: number;
  readonly recipient: Recipient;
  readonly channel: Channel;
  readonly language: Language;
  readonly facts: CitizenFacts;
  /** A child under 16 reached through these guardians (policy `guardians`). */
  readonly guardians?: readonly { readonly nin: string; readonly channel: Channel; readonly facts: CitizenFacts }[];
}

/** Reasons decided before the minors rule (the same order as the pre-flight). */
const BEFORE_MINORS: ReadonlySet<string> = new Set(['invalid', 'reserved', 'withdrawn', 'deceased', 'not_found']);

const sendClaimed = async (deps: EngineDeps, c: Claimed): Promise<BatchResult> => {
  const { ref, round, state } = c;
  const project = c.gate.project!;
  const pendingIdx = state.outcomes.flatMap((o, i) => (isTerminal(o) ? [] : [i]));
  const recipients = await deps.recipients.slice(round.listId, c.range.start, c.range.end);
  if (recipients.length !== state.outcomes.length) throw new Error('the recipient list does not match the round layout');
  const pending = pendingIdx.map((i) => ({ index: i, recipient: recipients[i]! }));
  const nins = pending.map((p) => p.recipient.nin);
  const now = deps.clock();

  // Everything the decision needs, read now: every registry once for the batch (fail closed).
  let facts: Map<string, CitizenFacts>;
  let contacts: Map<string, ContactRecord[]>;
  let version: LetterVersion | undefined;
  let awaiting: Set<string> | undefined;
  let routes: Map<string, Route>;
  const policy = effectiveMinorsPolicy(project);
  try {
    const reminder = round.onlyNonResponders && round.formTaskId !== undefined;
    [facts, contacts, version, awaiting] = await Promise.all([
      deps.citizens.factsOf(nins, project.projectId),
      relevantRounds(deps, round, c.gate.releaseSeq, now).then((ids) => deps.ledger.contactsIn(nins, project.projectId, ids)),
      deps.versions.get(project.projectId, round.letterId, round.letterVersion),
      reminder ? deps.nonResponders(project.projectId, round.formTaskId!, nins) : Promise.resolve(undefined),
    ]);
    // Age at this moment, and for a child under 16 the project's policy: guardians are read once
    // for the whole batch (fail closed like any registry read).
    routes = await routeWithFacts(deps.citizens, { projectId: project.projectId, nins, facts, policy, at: now, rules: { allowSynthetic: true } });
  } catch (error) {
    if (!(error instanceof RegistryUnavailableError)) throw error;
    // A plan left by a dead attempt still binds: keep it for the next one.
    await deps.batches.unclaim(ref, c.leaseId, { keepPlan: true });
    await deps.rounds.noteWaiting(ref.projectId, ref.roundId, { registry: error.registry, since: now.toISOString() });
    return { kind: 'waiting', registry: error.registry, retryInMs: retryDelayMs(c.message.retry ?? 0, error.retryAfterMs) };
  }
  if (round.waiting) await deps.rounds.noteWaiting(ref.projectId, ref.roundId, undefined);

  const at = seconds(now);
  const next: RecipientOutcome[] = [...state.outcomes];
  const entries: LedgerEntry[] = [];
  const base = { projectId: project.projectId, roundId: round.roundId, letterId: round.letterId, version: round.letterVersion, contentHash: round.contentHash, ...(round.test ? { test: true } : {}) };
  const entry = (nin: string, e: Pick<LedgerEntry, 'outcome' | 'reason' | 'channel'>): LedgerEntry => ({ ...base, nin, at: now.toISOString(), ...e });

  if (!version) {
    // Versions are immutable and cannot disappear; if one does, nothing is sent and the batch
    // is counted failed, to be redriven once mended.
    for (const p of pending) next[p.index] = { kind: 'failed', reason: 'letter_version_missing', at };
    return commit(deps, c, next, entries, 0);
  }

  const toSend: Planned[] = [];
  for (const p of pending) {
    const nin = p.recipient.nin;
    const own = contacts.get(nin) ?? [];
    // A previous attempt marked this letter in flight and died: it may have reached the channel,
    // so the decision then binds — the same letter, same channel, same key (the channel keeps one).
    const bound = state.sending?.get(p.index);
    if (bound && !own.some((k) => k.roundId === round.roundId)) {
      const f = facts.get(nin);
      toSend.push({ index: p.index, recipient: p.recipient, channel: bound, language: p.recipient.language ?? f?.language ?? 'nb', facts: f ?? UNKNOWN });
      continue;
    }
    // A previous attempt of this batch already sent it and recorded it, then died before committing.
    const already = own.find((k) => k.roundId === round.roundId);
    if (already) {
      next[p.index] = { kind: 'sent', channel: already.channel ?? 'helsenorge', at };
      continue;
    }
    const f = facts.get(nin);
    const route = routes.get(nin);
    const decision = decide(
      {
        valid: validateNin(nin, { allowSynthetic: true }).ok,
        facts: f,
        contacts: own,
        ...(awaiting ? { awaitingAnswer: awaiting.has(nin) } : {}),
        ...(route?.kind === 'self' ? { age: route.recipient.age } : {}),
        ...(route?.kind === 'guardians' ? { channelChosenLater: true } : {}),
      },
      {
        contentHash: round.contentHash,
        frequencyCap: project.settings.frequencyCap,
        distributionRule: project.settings.distributionRule,
        onlyNonResponders: round.onlyNonResponders,
        now,
        test: round.test,
      },
    );
    // The usual reasons first (invalid, reserved, withdrawn, deceased, unknown), then the minors
    // rule, then duplicates, reminders and the cap — the order the pre-flight reports.
    const skipReason = !decision.send && BEFORE_MINORS.has(decision.reason) ? decision.reason : route?.kind === 'skip' ? route.reason : !decision.send ? decision.reason : undefined;
    if (skipReason) {
      next[p.index] = { kind: 'skipped', reason: skipReason, at };
      entries.push(entry(nin, { outcome: 'skipped', reason: skipReason }));
      continue;
    }
    if (route?.kind === 'guardians') {
      // The letter goes to each reachable guardian instead, each on a channel their own facts allow.
      const letters = route.guardians.flatMap((g) => {
        const choice = chooseChannel(project.settings.distributionRule, g.facts, g.age);
        return 'channel' in choice ? [{ nin: g.nin, channel: choice.channel, facts: g.facts }] : [];
      });
      if (letters.length === 0) {
        next[p.index] = { kind: 'skipped', reason: 'no_guardian', at };
        entries.push(entry(nin, { outcome: 'skipped', reason: 'no_guardian' }));
        continue;
      }
      toSend.push({ index: p.index, recipient: p.recipient, channel: letters[0]!.channel, language: p.recipient.language ?? f!.language, facts: f!, guardians: letters });
      continue;
    }
    toSend.push({ index: p.index, recipient: p.recipient, channel: (decision as { channel: Channel }).channel, language: p.recipient.language ?? f!.language, facts: f! });
  }

  if (toSend.length === 0) return commit(deps, c, next, entries, 0);

  // The in-flight section: marker, the flags once more, one attempt per channel, commit.
  await deps.batches.markInFlight(ref, c.leaseId, new Map(toSend.map((t) => [t.index, t.channel])), c.leaseUntil);
  const again = await deps.gate.read(ref.projectId, ref.roundId);
  const blockedNow = again.round?.status === 'cancelled' ? 'not_dispatching' : blocker(again, c.range.canary);
  if (blockedNow) {
    await deps.batches.unclaim(ref, c.leaseId);
    return { kind: 'parked', why: blockedNow };
  }

  const sentAt = now.toISOString();
  const tasks =
    version.kind === 'form-task' && version.formTaskId
      ? await deps.tasks.issue(
          toSend.map((s) => ({ nin: s.recipient.nin, deliveryId: deliveryIdOf(ref.batchNo, s.index), language: s.language })),
          { projectId: project.projectId, roundId: round.roundId, formTaskId: version.formTaskId, sentAt },
        )
      : undefined;
  const footer = footerInfoFor(project);
  const formUrl = await externalFormLink(deps.formTasks ? { formTasks: deps.formTasks } : {}, version);
  const externalFormUrl = typeof formUrl === 'string' && formUrl !== 'missing' ? formUrl : undefined;
  const byChannel = new Map<Channel, Dispatchable[]>();
  /** The letters of each planned recipient, by the channel's idempotency key. */
  const lettersOf = new Map<number, { deliveryId: string; nin: string; channel: Channel }[]>();
  const invalid = (s: Planned, why: string) => {
    // Never send a letter that is not exactly the approved text: counted, audited by reason, not sent.
    next[s.index] = { kind: 'skipped', reason: 'invalid', at };
    entries.push(entry(s.recipient.nin, { outcome: 'skipped', reason: 'invalid' }));
    void why;
  };
  for (const s of toSend) {
    const deliveryId = deliveryIdOf(ref.batchNo, s.index);
    const task = tasks?.get(deliveryId);
    const addressees = s.guardians
      ? s.guardians.map((g) => ({ deliveryId: guardianDeliveryId(deliveryId, g.nin, deps.hashKey), nin: g.nin, channel: g.channel, facts: g.facts, language: g.facts.language }))
      : [{ deliveryId, nin: s.recipient.nin, channel: s.channel, facts: s.facts, language: s.language }];
    const planned: { deliveryId: string; nin: string; channel: Channel }[] = [];
    let refused: string | undefined;
    for (const to of addressees) {
      let letter: RenderedLetter;
      try {
        letter = renderLetter(version, to.language, s.recipient.fields ?? {}, footer, { taskLink: task?.link, ...(s.guardians ? { onBehalfOfMinor: true } : {}) });
      } catch {
        // A recipient without a value for a placeholder: never send a half-filled letter.
        refused = 'missing_field';
        break;
      }
      const check = checkRenderedLetter(letter, version, { footer, ...(externalFormUrl ? { externalFormUrl } : {}), testSend: round.test === true });
      if (!check.ok) {
        refused = check.reason;
        break;
      }
      const item: Dispatchable = {
        deliveryId: to.deliveryId,
        projectId: project.projectId,
        roundId: round.roundId,
        nin: to.nin,
        letter,
        ...(task && !s.guardians ? { taskId: task.taskId } : {}),
        ...(to.channel === 'paper' && to.facts.postalAddress ? { address: to.facts.postalAddress } : {}),
        ...(s.guardians ? { onBehalfOfMinor: true } : {}),
        sender: { organisationName: project.organization },
      };
      planned.push({ deliveryId: to.deliveryId, nin: to.nin, channel: to.channel });
      byChannel.set(to.channel, [...(byChannel.get(to.channel) ?? []), item]);
    }
    if (refused) {
      for (const pl of planned) byChannel.set(pl.channel, (byChannel.get(pl.channel) ?? []).filter((i) => i.deliveryId !== pl.deliveryId));
      invalid(s, refused);
      continue;
    }
    lettersOf.set(s.index, planned);
  }

  const { results, unsettled } = await sendOnce(deps, byChannel);
  // A letter whose call timed out may still be delivered by the service: keep the batch in flight
  // (a pause waits, or answers 202 with it) for one more timeout period before letting go.
  if ([...results.values()].some((r) => !r.ok && r.transient && r.reason === 'channel_timeout')) {
    unsettled.push(new Promise((r) => setTimeout(r, deps.settings.channelTimeoutMs)));
  }
  let sent = 0;
  for (const s of toSend) {
    const planned = lettersOf.get(s.index);
    if (!planned) continue;
    const prev = next[s.index]!;
    const tries = (prev.kind === 'pending' ? prev.tries : 0) + 1;
    const res = planned.map((pl) => results.get(pl.deliveryId) ?? ({ ok: false, transient: true, reason: 'no_result' } as ChannelResult));
    if (s.guardians) {
      const outcome = childOutcome(res.map(guardianOutcomeOf));
      const child = pseudonymOfChild(s.recipient.nin, deps.hashKey);
      planned.forEach((pl, i) => {
        if (res[i]!.ok) entries.push({ ...entry(pl.nin, { outcome: 'sent', channel: pl.channel }), aboutChild: child });
      });
      if (outcome === 'sent') {
        const reached = res.filter((r) => r.ok).length;
        next[s.index] = { kind: 'sent', channel: s.channel, at, guardians: reached };
        entries.push({ ...entry(s.recipient.nin, { outcome: 'sent', channel: s.channel }), viaGuardians: reached });
        sent++;
      } else if (outcome === 'no_guardian') {
        next[s.index] = { kind: 'skipped', reason: 'no_guardian', at };
        entries.push(entry(s.recipient.nin, { outcome: 'skipped', reason: 'no_guardian' }));
      } else if (outcome === 'retry' && tries < deps.settings.maxTries) {
        next[s.index] = { kind: 'pending', tries };
      } else {
        next[s.index] = { kind: 'failed', reason: 'guardian_letters_failed', channel: s.channel, at };
        entries.push(entry(s.recipient.nin, { outcome: 'failed', reason: 'guardian_letters_failed', channel: s.channel }));
      }
      continue;
    }
    const r = res[0]!;
    if (r.ok) {
      next[s.index] = { kind: 'sent', channel: s.channel, at };
      entries.push(entry(s.recipient.nin, { outcome: 'sent', channel: s.channel }));
      sent++;
    } else if (r.transient) {
      if (tries >= deps.settings.maxTries) {
        next[s.index] = { kind: 'failed', reason: r.reason, channel: s.channel, at };
        entries.push(entry(s.recipient.nin, { outcome: 'failed', reason: r.reason, channel: s.channel }));
      } else {
        next[s.index] = { kind: 'pending', tries };
      }
    } else if (r.refused) {
      // Final for this recipient in this round; never another channel.
      next[s.index] = { kind: 'skipped', reason: r.refused, at };
      entries.push(entry(s.recipient.nin, { outcome: 'skipped', reason: r.refused, channel: s.channel }));
    } else {
      next[s.index] = { kind: 'failed', reason: r.reason, channel: s.channel, at };
      entries.push(entry(s.recipient.nin, { outcome: 'failed', reason: r.reason, channel: s.channel }));
    }
  }
  return commit(deps, c, next, entries, sent, unsettled);
};

/**
 * One attempt per channel, in parallel; a call that does not answer in time is a transient
 * failure. Such a call may still deliver later: it is returned as `unsettled`, and the batch's
 * in-flight marker stays until it settles, so a pause never claims quiet while it might deliver.
 */
const sendOnce = async (deps: EngineDeps, byChannel: Map<Channel, Dispatchable[]>): Promise<{ results: Map<string, ChannelResult>; unsettled: Promise<unknown>[] }> => {
  const results = new Map<string, ChannelResult>();
  const unsettled: Promise<unknown>[] = [];
  await Promise.all(
    [...byChannel].map(async ([channel, items]) => {
      const call = deps.channels.deliver(channel, items);
      let res: Map<string, ChannelResult>;
      try {
        res = await withTimeout(call, deps.settings.channelTimeoutMs);
      } catch (error) {
        const timedOut = error instanceof ChannelTimeout;
        if (timedOut) unsettled.push(call.catch(() => undefined));
        res = new Map(items.map((i) => [i.deliveryId, { ok: false, transient: true, reason: timedOut ? 'channel_timeout' : 'channel_error' }]));
      }
      for (const [id, r] of res) results.set(id, r);
    }),
  );
  return { results, unsettled };
};

const commit = async (deps: EngineDeps, c: Claimed, next: RecipientOutcome[], entries: readonly LedgerEntry[], sent: number, unsettled: readonly Promise<unknown>[] = []): Promise<BatchResult> => {
  const { ref, round, layout, state } = c;
  // The ledger first: if we die after it, the retry finds "sent in this round" and sends nothing again.
  if (entries.length > 0) await deps.ledger.record(entries);
  // Hand on to the successor before committing (a duplicate message finds nothing to do; a lost one would stall the chain).
  let chained = state.chained;
  if (!chained && c.message.chain !== false) {
    await handOn(deps, ref, round, layout);
    chained = true;
  }
  const delta = deltaOf(state.outcomes, next);
  const keepMarker = unsettled.length > 0;
  await deps.batches.commit(ref, c.leaseId, { outcomes: next, chained }, delta, { canary: c.range.canary, keepMarker });
  // The marker of a call we gave up on goes when the call settles (or expires with the lease).
  if (keepMarker) void Promise.all(unsettled).then(() => deps.batches.abandon(ref, c.leaseId)).catch(() => undefined);
  if (deps.statistics) {
    // After the commit, without a key: a crash between the two can only undercount a batch, never count it twice.
    const decided = entries.filter((e) => !e.test).map((e) => ({ outcome: e.outcome, ...(e.channel && e.outcome !== 'skipped' ? { channel: e.channel } : {}) }));
    if (decided.length > 0) await deps.statistics.record(statisticsForBatch(c.gate.project!.organization, deps.clock(), decided));
  }
  const done = isDone({ outcomes: next });
  if (done) await afterDone(deps, round, c.range.canary);
  const decided = next.filter(isTerminal).length - state.outcomes.filter(isTerminal).length;
  return { kind: 'committed', sent, decided, tally: tallyOf(entries, sent), ...(done ? {} : { retryInMs: retryDelayMs(c.message.retry ?? 0) }) };
};

const handOn = async (deps: EngineDeps, ref: BatchRef, round: ReleasedRound, layout: RoundLayout): Promise<void> => {
  const next = successorOf(ref.batchNo, layout, round.canaryConfirmed === true, deps.settings.window);
  if (next !== undefined) await deps.queue.enqueue([{ projectId: ref.projectId, roundId: ref.roundId, batchNo: next }]);
};

/**
 * After a batch is done: the round is complete when every recipient is terminal (the counter
 * shards, O(1) in the round's size); a canary round waits in canary_hold once its canary is done.
 */
const afterDone = async (deps: EngineDeps, round: ReleasedRound | Round, canaryBatch: boolean): Promise<void> => {
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

/** A cancelled round's batch: every pending recipient becomes cancelled, and is counted. */
const cancelBatch = async (deps: EngineDeps, ref: BatchRef, round: Round, size: number, canary: boolean): Promise<BatchResult> => {
  const now = deps.clock();
  const leaseId = newId('lease');
  const claim = await deps.batches.claim(ref, size, leaseId, now.getTime() + deps.settings.leaseMs, now.getTime());
  if (claim.kind === 'busy') return { kind: 'busy', retryInMs: busyRetry(claim.until, now.getTime()) };
  if (claim.kind === 'done') return { kind: 'nothing-to-do' };
  const next = claim.state.outcomes.map((o): RecipientOutcome => (isTerminal(o) ? o : { kind: 'cancelled', at: seconds(now) }));
  await deps.batches.commit(ref, leaseId, { outcomes: next, chained: true }, deltaOf(claim.state.outcomes, next), { canary });
  return { kind: 'committed', sent: 0, decided: next.length - claim.state.outcomes.filter(isTerminal).length, tally: { sent: 0, skippedByReason: {}, failedByChannel: {} } };
};

/**
 * The rounds whose ledger entries the send-time check reads: this round (a crashed attempt's
 * record), and every released, real round of the project that sent the same content or any
 * letter within the duplicate window (which also covers the frequency cap's 30 days).
 */
const relevantRounds = async (deps: EngineDeps, round: Round, releaseSeq: number, now: Date): Promise<string[]> => {
  const since = now.getTime() - DUPLICATE_WINDOW_DAYS * DAY_MS;
  const rounds = await deps.rounds.projectRounds(round.projectId, releaseSeq);
  const ids = rounds
    .filter((r) => r.roundId !== round.roundId && isReleased(r) && !r.test)
    .filter((r) => r.contentHash === round.contentHash || Date.parse(r.release!.releasedAt) >= since)
    .map((r) => r.roundId);
  return [round.roundId, ...ids];
};

class ChannelTimeout extends Error {}

const withTimeout = async <T>(work: Promise<T>, ms: number): Promise<T> => {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ChannelTimeout(`no answer in ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
};
