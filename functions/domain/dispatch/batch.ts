import { counterForSkip, IN_DOUBT, type Counter, type RecipientOutcome, type SkipReason } from '../rounds/round.js';
import type { Channel } from '../shared/channel.js';

export const PENDING: RecipientOutcome = { kind: 'pending', tries: 0 };

export const isTerminal = (o: RecipientOutcome): boolean => o.kind !== 'pending';

/** The state of one batch of a released round: one stored item holding the batch's lease and each recipient's outcome in compact form. */
export interface BatchState {
  readonly batchNo: number;
  readonly outcomes: readonly RecipientOutcome[];
  /** The claim: who holds the batch until when (epoch ms). */
  readonly leaseId?: string;
  readonly leaseUntil?: number;
  /** Times the batch was claimed. */
  readonly attempts: number;
  /** Whether the batch already handed on to its successor (first commit). */
  readonly chained: boolean;
  /**
   * The wave an attempt marked in flight: for each recipient index, every letter it was about to
   * hand over (the recipient's own, or one per guardian) under its delivery id and channel. If that
   * attempt died, these letters may have left: the next attempt learns their fate before anything
   * else (recover.ts) and never re-addresses them.
   */
  readonly sending?: Plan;
  /**
   * The number of the last wave plan whose commit this item records (georedundant stages, where
   * the plans are also kept in the fence table: fenced plans numbered above it may have been
   * handed over without this replica knowing). 0 or absent: none.
   */
  readonly planSeq?: number;
}

/** A wave's plan as the fence table keeps it (MRSC), numbered within its batch. */
export interface FencedPlan {
  readonly seq: number;
  readonly plan: Plan;
}

/**
 * What a claim must take as possibly handed over: the plan its own replica marked, and every plan
 * the fence keeps that is numbered above the last commit that replica records — a wave planned in
 * a region lost before its batch item's later writes replicated. Their letters merge by recipient
 * (one letter per delivery id and channel). `planSeq`: where this attempt's own plans number from.
 */
export const withFencedPlans = (state: Pick<BatchState, 'sending' | 'planSeq'>, fenced: readonly FencedPlan[]): { sending?: Plan; planSeq: number } => {
  const committed = state.planSeq ?? 0;
  const later = fenced.filter((f) => f.seq > committed);
  const planSeq = Math.max(committed, ...later.map((f) => f.seq));
  if (later.length === 0) return { ...(state.sending ? { sending: state.sending } : {}), planSeq };
  const merged = new Map<number, PlannedLetter[]>();
  for (const plan of [...(state.sending ? [state.sending] : []), ...later.map((f) => f.plan)])
    for (const [i, letters] of plan) {
      const have = merged.get(i) ?? [];
      merged.set(i, [...have, ...letters.filter((l) => !have.some((h) => h.deliveryId === l.deliveryId && h.channel === l.channel))]);
    }
  return { sending: merged, planSeq };
};

/** One letter of a marked wave: the channel's idempotency key and the channel. */
export interface PlannedLetter {
  readonly deliveryId: string;
  readonly channel: Channel;
  /**
   * A guardian's letter about a child: the guardian, sealed (shared/sealed-id.ts, bound to the
   * round and this delivery id), so that a recovery records whom the letter reached even when the
   * register no longer lists them as the child's guardian. Never the ID in the clear.
   */
  readonly sealedTo?: string;
}

export type Plan = ReadonlyMap<number, readonly PlannedLetter[]>;

/**
 * `index:<c><deliveryId>[~<sealedTo>]+…;…` with c the channel's letter; delivery ids hold no `:`,
 * `+`, `;` or `~`, and a sealed ID none either (base64url parts joined by `.`).
 */
export const encodePlan = (plan: Plan): string =>
  [...plan].map(([i, letters]) => `${i}:${letters.map((l) => `${CH[l.channel]}${l.deliveryId}${l.sealedTo ? `~${l.sealedTo}` : ''}`).join('+')}`).join(';');
export const decodePlan = (s: unknown): Map<number, PlannedLetter[]> | undefined => {
  if (typeof s !== 'string' || s === '') return undefined;
  return new Map(
    s.split(';').map((part) => {
      const at = part.indexOf(':');
      const letters = part
        .slice(at + 1)
        .split('+')
        .map((l): PlannedLetter => {
          const [id, sealedTo] = l.slice(1).split('~');
          return { channel: CH_BACK[l[0]!]!, deliveryId: id!, ...(sealedTo ? { sealedTo } : {}) };
        });
      return [Number(part.slice(0, at)), letters] as const;
    }),
  );
};

export const freshBatch = (batchNo: number, size: number): BatchState => ({
  batchNo,
  outcomes: Array.from({ length: size }, () => PENDING),
  attempts: 0,
  chained: false,
});

export const isDone = (b: Pick<BatchState, 'outcomes'>): boolean => b.outcomes.every(isTerminal);

const CH: Record<Channel, string> = { helsenorge: 'h', 'digital-mailbox': 'm', paper: 'p' };
const CH_BACK: Record<string, Channel> = { h: 'helsenorge', m: 'digital-mailbox', p: 'paper' };

/**
 * Compact form, a few bytes a recipient, so a batch of hundreds stays one small item (a pending
 * child's sealed guardians, `|`-joined, only after a Digipost call about them was cut off). No
 * part holds a `,` (the batch store's separator).
 */
export const encodeOutcome = (o: RecipientOutcome): string => {
  switch (o.kind) {
    case 'pending':
      return o.tries ? `p${o.tries}${(o.tried ?? []).map((t) => `|${t}`).join('')}` : '';
    case 'sent':
      return `s|${CH[o.channel]}|${o.at}${o.guardians ? `|${o.guardians}` : ''}`;
    case 'skipped':
      return `k|${o.reason}|${o.at}`;
    case 'failed':
      return `f|${o.reason}|${o.channel ? CH[o.channel] : ''}|${o.at}`;
    case 'cancelled':
      return `c|${o.at}`;
  }
};

export const decodeOutcome = (s: string): RecipientOutcome => {
  if (s === '') return PENDING;
  if (s[0] === 'p') {
    const [tries, ...tried] = s.slice(1).split('|');
    return { kind: 'pending', tries: Number(tries) || 0, ...(tried.length > 0 ? { tried } : {}) };
  }
  const parts = s.split('|');
  switch (parts[0]) {
    case 's':
      return { kind: 'sent', channel: CH_BACK[parts[1]!]!, at: Number(parts[2]), ...(parts[3] ? { guardians: Number(parts[3]) } : {}) };
    case 'k':
      return { kind: 'skipped', reason: parts[1] as SkipReason, at: Number(parts[2]) };
    case 'f':
      return { kind: 'failed', reason: parts[1]!, ...(parts[2] ? { channel: CH_BACK[parts[2]]! } : {}), at: Number(parts[3]) };
    case 'c':
      return { kind: 'cancelled', at: Number(parts[1]) };
    default:
      throw new Error('unreadable batch outcome');
  }
};

/** What a change of outcomes adds to the round's counters (and skip-reason breakdown). */
export interface CountDelta {
  readonly counters: Partial<Record<Counter, number>>;
  readonly reasons: Readonly<Record<string, number>>;
  /** Letters handed to each channel (statistics, metrics). */
  readonly channels: Readonly<Partial<Record<Channel, number>>>;
  /** Failed recipients by reason (`in_doubt` is shown on the round apart from other failures). */
  readonly failures: Readonly<Record<string, number>>;
}

const counterOf = (o: RecipientOutcome): { counter?: Counter; reason?: string; failure?: string } => {
  switch (o.kind) {
    case 'pending':
      return {};
    case 'sent':
      return { counter: 'sent' };
    case 'skipped': {
      const counter = counterForSkip(o.reason);
      return { counter, ...(counter === 'skippedOther' ? { reason: o.reason } : {}) };
    }
    case 'failed':
      return { counter: 'failed', failure: o.reason };
    case 'cancelled':
      return { counter: 'cancelled' };
  }
};

export const deltaOf = (before: readonly RecipientOutcome[], after: readonly RecipientOutcome[]): CountDelta => {
  const counters: Partial<Record<Counter, number>> = {};
  const reasons: Record<string, number> = {};
  const channels: Partial<Record<Channel, number>> = {};
  const failures: Record<string, number> = {};
  const add = (o: RecipientOutcome, n: number) => {
    const { counter, reason, failure } = counterOf(o);
    if (counter) counters[counter] = (counters[counter] ?? 0) + n;
    if (reason) reasons[reason] = (reasons[reason] ?? 0) + n;
    if (failure) failures[failure] = (failures[failure] ?? 0) + n;
    if (o.kind === 'sent') channels[o.channel] = (channels[o.channel] ?? 0) + n;
  };
  after.forEach((o, i) => {
    const b = before[i] ?? PENDING;
    if (encodeOutcome(b) === encodeOutcome(o)) return;
    add(b, -1);
    add(o, 1);
  });
  const nonZero = <K extends string>(m: Partial<Record<K, number>>) => Object.fromEntries(Object.entries(m).filter(([, n]) => n !== 0)) as Partial<Record<K, number>>;
  return { counters: nonZero(counters), reasons: nonZero(reasons) as Record<string, number>, channels: nonZero(channels), failures: nonZero(failures) as Record<string, number> };
};

/** Whether operations may send this recipient again (redrive): failed, and not in doubt. */
export const isRedrivable = (o: RecipientOutcome): boolean => o.kind === 'failed' && o.reason !== IN_DOUBT;
