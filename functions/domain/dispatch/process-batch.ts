import type { PopulationFacts, PopulationRegistry, ReservationRegistry } from '../citizens/ports.js';
import type { Language, LetterVersion } from '../letters/letter.js';
import { footerInfoFor, renderLetter, type RenderedLetter } from '../letters/render.js';
import type { Project } from '../projects/project.js';
import { newId } from '../shared/ids.js';
import { decide, type Channel } from './decide.js';
import { TERMINAL, type Delivery } from './delivery.js';
import type { ContactLedger, ContactRecord } from './ports.js';
import type { BatchRef, DispatchRound, DispatchStore, GateState, Outcome } from './store.js';

/** One letter handed to a channel; `deliveryId` is the channel's idempotency key. */
export interface Dispatchable {
  readonly deliveryId: string;
  readonly projectId: string;
  readonly roundId: string;
  readonly nin: string;
  readonly letter: RenderedLetter;
  readonly taskId?: string;
}

export type ChannelResult = { readonly ok: true } | { readonly ok: false; readonly transient: boolean; readonly reason: string };

/** Delivery channels behind one port: the portal inbox, the digital mailbox, paper. */
export interface ChannelGateway {
  /** Idempotent per deliveryId: delivering the same id twice leaves one letter. */
  deliver(channel: Channel, items: readonly Dispatchable[]): Promise<Map<string, ChannelResult>>;
}

/** Issues the citizen's task record for a form-task letter, returning its id and link (if external). */
export interface TaskIssuer {
  issue(
    items: readonly { nin: string; deliveryId: string; language: Language }[],
    ctx: { projectId: string; roundId: string; formTaskId: string; sentAt: string },
  ): Promise<Map<string, { taskId: string; link?: string }>>;
}

export interface DispatchDeps {
  readonly store: DispatchStore;
  readonly reservations: ReservationRegistry;
  readonly population: PopulationRegistry;
  readonly ledger: ContactLedger;
  readonly versions: { get(projectId: string, letterId: string, version: number): Promise<LetterVersion | undefined> };
  readonly channels: ChannelGateway;
  readonly tasks: TaskIssuer;
  /** Reminder rounds: those of `nins` who still have the form task open and unanswered. */
  readonly nonResponders: (projectId: string, formTaskId: string, nins: readonly string[]) => Promise<Set<string>>;
  readonly clock: () => Date;
  /** How long a claim holds; at least the worker's timeout, so an expired lease means a dead worker. */
  readonly leaseMs: number;
  /** Transient channel errors are retried this many times with backoff before `failed`. */
  readonly channelRetries: number;
  /**
   * A channel call that has not answered in this long counts as a transient failure and is
   * retried. It may still have delivered: the retry carries the same delivery ids as idempotency
   * keys, so the channel keeps one letter.
   */
  readonly channelTimeoutMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  /** Fault injection for resilience tests (local only); a no-op in production wiring. */
  readonly fault: (point: 'after-claim' | 'after-channel' | 'after-finalize') => void;
}

export type BatchResult =
  | { readonly kind: 'done'; readonly outcomes: number }
  | { readonly kind: 'parked'; readonly why: 'halted' | 'paused' | 'canary_hold' | 'not_dispatching' }
  | { readonly kind: 'nothing-to-do' }
  | { readonly kind: 'cancelled'; readonly count: number };

const DISPATCHING = new Set(['dispatching']);

/** Whether deliveries of this round may start now; the reason to park otherwise. */
export const blocker = (gate: GateState, canaryMessage: boolean): 'halted' | 'paused' | 'canary_hold' | 'not_dispatching' | undefined => {
  if (gate.halted) return 'halted';
  if (!gate.project || gate.project.status === 'paused') return 'paused';
  if (!gate.round) return 'not_dispatching';
  // Until a person confirms the canary, only the canary's own batches may send — whatever message arrives.
  if (!canaryMessage && gate.round.canarySize && !gate.round.canaryConfirmed) return 'canary_hold';
  if (gate.round.status === 'canary_hold' && !canaryMessage) return 'canary_hold';
  if (!DISPATCHING.has(gate.round.status) && !(canaryMessage && gate.round.status === 'canary_hold')) return 'not_dispatching';
  return undefined;
};

const claimable = (d: Delivery, now: number): boolean =>
  d.status === 'pending' || (d.status === 'claimed' && (d.leaseUntil ?? 0) < now);

/**
 * Sends one batch of a round with every gate checked at send time. The order is what makes pause
 * and halt hold by construction:
 *   1. read halt flag, project and round (strongly consistent) — park if blocked;
 *   2. claim the batch's pending deliveries with one conditional transaction that also registers
 *      a lease;
 *   3. read reservations, withdrawals, population facts and contacts NOW, decide per recipient
 *      (reservation and withdrawal before any channel);
 *   4. mark the lease as sending, then read halt flag, project and round AGAIN — a pause written
 *      before that read is seen, so we release the claims without sending; a pause written after
 *      it sees the mark and waits for it (pause waits only for marked leases: the shortest wait
 *      that keeps "nothing after the acknowledgment" true);
 *   5. call the channel with the delivery id as idempotency key;
 *   6. finalise deliveries, counters and contact ledger together, dropping the lease.
 */
export const processBatch = async (deps: DispatchDeps, ref: BatchRef, opts: { canary: boolean }): Promise<BatchResult> => {
  const before = await deps.store.gateState(ref.projectId, ref.roundId);
  if (before.round?.status === 'cancelled') return cancelBatch(deps, ref);
  const blocked = blocker(before, opts.canary);
  if (blocked) return { kind: 'parked', why: blocked };

  let deliveries = await deps.store.readBatch(ref);
  const leaseId = newId('lease');
  let claimed: Delivery[] = [];
  for (let attempt = 0; attempt < 4; attempt++) {
    const now = deps.clock().getTime();
    claimed = deliveries.filter((d) => claimable(d, now));
    if (claimed.length === 0) return { kind: 'nothing-to-do' };
    if (await deps.store.claim(ref, claimed.map((d) => d.deliveryId), leaseId, now + deps.leaseMs, now)) break;
    claimed = [];
    // Someone else moved one of them (a redelivered message, a redrive): look again.
    await deps.sleep(20 + Math.random() * 80 * (attempt + 1));
    deliveries = await deps.store.readBatch(ref);
  }
  if (claimed.length === 0) return { kind: 'nothing-to-do' };
  deps.fault('after-claim');

  // Decide with the facts as they are now (reservations, withdrawals, registry, contacts)...
  const plan = await decideAll(deps, before.project!, before.round!, claimed);
  // ...then mark the claim as sending and re-read the flags right before the first letter goes
  // out. A pause written before that read is seen here and we let go; a pause written after it
  // finds our mark (written before the read) and waits for us. Until the mark, a pause need not
  // wait for this batch at all — it is bound to see the pause here.
  await deps.store.markSending(ref, leaseId);
  const after = await deps.store.gateState(ref.projectId, ref.roundId);
  const blockedNow = after.round?.status === 'cancelled' ? 'not_dispatching' : blocker(after, opts.canary);
  if (blockedNow) {
    await deps.store.release(ref, claimed.map((d) => d.deliveryId), leaseId);
    if (after.round?.status === 'cancelled') return cancelBatch(deps, ref);
    return { kind: 'parked', why: blockedNow };
  }

  const outcomes = await send(deps, plan);
  deps.fault('after-channel');
  await deps.store.finalize(ref, outcomes, leaseId, deps.clock().toISOString());
  deps.fault('after-finalize');
  return { kind: 'done', outcomes: outcomes.length };
};

const cancelBatch = async (deps: DispatchDeps, ref: BatchRef): Promise<BatchResult> => {
  const pending = (await deps.store.readBatch(ref)).filter((d) => d.status === 'pending');
  if (pending.length > 0) await deps.store.cancelPending(ref, pending.map((d) => d.deliveryId), deps.clock().toISOString());
  return { kind: 'cancelled', count: pending.length };
};

interface SendPlan {
  readonly decided: Outcome[];
  readonly byChannel: Map<Channel, Dispatchable[]>;
  readonly contact: Omit<ContactRecord, 'sentAt'> & { sentAt: string };
}

const decideAll = async (deps: DispatchDeps, project: Project, round: DispatchRound, claimed: readonly Delivery[]): Promise<SendPlan> => {
  const nins = claimed.map((d) => d.nin);
  const reminder = round.onlyNonResponders === true && round.formTaskId !== undefined;
  const [reserved, withdrawn, facts, contacts, version, awaiting] = await Promise.all([
    deps.reservations.reservedAmong(nins),
    deps.reservations.withdrawnAmong(nins, project.projectId),
    deps.population.factsOf(nins),
    deps.ledger.contactsOf(nins, project.projectId),
    deps.versions.get(project.projectId, round.letterId, round.letterVersion),
    reminder ? deps.nonResponders(project.projectId, round.formTaskId!, nins) : Promise.resolve(undefined),
  ]);
  if (!version) {
    // The version a round was released with cannot disappear (versions are immutable); if it
    // does, nothing is sent and every delivery is counted failed, to be redriven once mended.
    return {
      decided: claimed.map((d) => ({ deliveryId: d.deliveryId, status: 'failed', reason: 'letter_version_missing' })),
      byChannel: new Map(),
      contact: { projectId: project.projectId, roundId: round.roundId, letterId: round.letterId, version: round.letterVersion, contentHash: '', sentAt: '' },
    };
  }
  const now = deps.clock();
  const sentAt = now.toISOString();
  const outcomes: Outcome[] = [];
  const toSend: { delivery: Delivery; channel: Channel; facts: PopulationFacts }[] = [];
  for (const d of claimed) {
    // The registry answers for every ID (an ID it never saw is alive, digital, nb).
    const population = facts.get(d.nin) ?? { deceased: false, digitallyActive: true, language: 'nb' as const, known: true };
    const decision = decide(
      {
        reserved: reserved.has(d.nin),
        withdrawn: withdrawn.has(d.nin),
        population,
        contacts: contacts.get(d.nin) ?? [],
        ...(awaiting ? { awaitingAnswer: awaiting.has(d.nin) } : {}),
      },
      {
        contentHash: version.contentHash,
        frequencyCap: project.settings.frequencyCap,
        distributionRule: project.settings.distributionRule,
        onlyNonResponders: reminder,
        now,
        test: round.test,
      },
    );
    if (decision.send) toSend.push({ delivery: d, channel: decision.channel, facts: population });
    else outcomes.push({ deliveryId: d.deliveryId, status: 'skipped', reason: decision.reason });
  }
  const contact = {
    projectId: project.projectId,
    roundId: round.roundId,
    letterId: version.letterId,
    version: version.version,
    contentHash: version.contentHash,
    sentAt,
    ...(round.test ? { test: true } : {}),
  };
  if (toSend.length === 0) return { decided: outcomes, byChannel: new Map(), contact };

  const languageOf = (d: Delivery, f: PopulationFacts): Language => d.language ?? f.language;
  const tasks =
    version.kind === 'form-task' && version.formTaskId
      ? await deps.tasks.issue(
          toSend.map(({ delivery, facts: f }) => ({ nin: delivery.nin, deliveryId: delivery.deliveryId, language: languageOf(delivery, f) })),
          { projectId: project.projectId, roundId: round.roundId, formTaskId: version.formTaskId, sentAt },
        )
      : new Map<string, { taskId: string; link?: string }>();
  const footer = footerInfoFor(project);
  const byChannel = new Map<Channel, Dispatchable[]>();
  for (const { delivery, channel, facts: f } of toSend) {
    let letter: RenderedLetter;
    try {
      const task = tasks.get(delivery.deliveryId);
      letter = renderLetter(version, languageOf(delivery, f), delivery.fields ?? {}, footer, { taskLink: task?.link });
    } catch {
      // A recipient without a value for a placeholder: never send a half-filled letter.
      outcomes.push({ deliveryId: delivery.deliveryId, status: 'skipped', reason: 'invalid' });
      continue;
    }
    const list = byChannel.get(channel) ?? [];
    list.push({ deliveryId: delivery.deliveryId, projectId: project.projectId, roundId: round.roundId, nin: delivery.nin, letter, taskId: tasks.get(delivery.deliveryId)?.taskId });
    byChannel.set(channel, list);
  }

  return { decided: outcomes, byChannel, contact };
};

/** Calls each channel with its letters; transient errors are retried with backoff, then `failed`. */
const send = async (deps: DispatchDeps, plan: SendPlan): Promise<Outcome[]> => {
  const outcomes = [...plan.decided];
  for (const [channel, items] of plan.byChannel) {
    let remaining = items;
    const results = new Map<string, ChannelResult>();
    const tries = new Map<string, number>();
    for (let attempt = 0; remaining.length > 0 && attempt <= deps.channelRetries; attempt++) {
      if (attempt > 0) await deps.sleep(Math.min(2000, 100 * 2 ** attempt) * (0.5 + Math.random()));
      for (const r of remaining) tries.set(r.deliveryId, attempt + 1);
      let batch: Map<string, ChannelResult>;
      try {
        batch = await withTimeout(deps.channels.deliver(channel, remaining), deps.channelTimeoutMs);
      } catch (error) {
        batch = new Map(remaining.map((r) => [r.deliveryId, { ok: false, transient: true, reason: errorReason(error) }]));
      }
      for (const [id, r] of batch) results.set(id, r);
      remaining = remaining.filter((r) => {
        const res = results.get(r.deliveryId);
        return res !== undefined && !res.ok && res.transient;
      });
    }
    for (const item of items) {
      const res = results.get(item.deliveryId) ?? { ok: false, transient: false, reason: 'no_result' };
      if (res.ok) {
        outcomes.push({
          deliveryId: item.deliveryId,
          status: 'sent',
          channel,
          nin: item.nin,
          contact: plan.contact,
          channelAttempts: tries.get(item.deliveryId),
        });
      } else {
        outcomes.push({ deliveryId: item.deliveryId, status: 'failed', reason: res.reason, channel, channelAttempts: tries.get(item.deliveryId) });
      }
    }
  }
  return outcomes;
};

const errorReason = (error: unknown): string => (error instanceof ChannelTimeout ? 'channel_timeout' : error instanceof Error ? error.name : 'channel_error');

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

export const isTerminal = (d: Delivery): boolean => TERMINAL.has(d.status);
