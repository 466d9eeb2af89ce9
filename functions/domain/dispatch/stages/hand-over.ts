import type { PlannedLetter } from '../batch.js';
import type { ChannelResult, Dispatchable } from '../channels.js';
import type { Language } from '../../letters/letter.js';
import type { Channel } from '../../shared/channel.js';
import { sealGuardian, type Attempt } from './attempt.js';
import { compose, type ToSend } from './compose.js';
import { blocker, readGate, type Blocker } from './gate.js';

/** Below this, a wave is not worth starting: its calls would be cut off before the channel answers. */
export const MIN_WAVE_MS = 1_000;

/** The deadline of a wave starting now, or undefined when there is no time left for one. */
export const waveDeadline = (a: Attempt, now: number, first: boolean): number | undefined => {
  const full = now + a.deps.settings.channelTimeoutMs;
  if (full <= a.handOverUntil) return full;
  // Only an attempt's first wave may be shorter than a full channel timeout (else nothing would
  // ever move under a short invocation); a later one waits for the next invocation.
  return first && a.handOverUntil - now >= MIN_WAVE_MS ? a.handOverUntil : undefined;
};

/** A letter handed to a channel, by delivery id: its language and fingerprint, for the ledger. */
export interface HandedLetter {
  readonly language: Language;
  readonly letterHash: string;
}

export type WaveAnswer =
  | { readonly kind: 'handed'; readonly results: ReadonlyMap<string, ChannelResult>; readonly invalid: ReadonlyMap<number, string>; readonly letters: ReadonlyMap<string, HandedLetter> }
  | { readonly kind: 'blocked'; readonly why: Blocker };

/**
 * The in-flight section of one wave:
 *   1. mark the wave in flight (until the wave's deadline, what a pause waits for);
 *   2. read the gate again — halt, pause, project and letter-version approval, round status: a stop
 *      written before this read is seen and we let go; one written after it finds the marker and
 *      waits (at most until the wave's deadline);
 *   3. compose the letters against the project and version just read (compose.ts: may only drop);
 *   4. bind the plan (every letter that may leave, by delivery id and channel) under our lease;
 *   5. hand them to their channels with one abort signal at the wave's deadline; we return only
 *      when every call has ended, so nothing of ours is in flight once the marker goes.
 */
export const handOverWave = async (a: Attempt, toSend: readonly ToSend[], until: number, sentAt: string): Promise<WaveAnswer> => {
  const { deps, ref } = a;
  await deps.batches.markWave(
    ref,
    a.leaseId,
    toSend.reduce((n, s) => n + s.addressees.length, 0),
    until,
  );
  const gate = await readGate(deps, ref.projectId, ref.roundId, { letterId: a.round.letterId, version: a.round.letterVersion });
  const why = blocker(gate, a.range.canary, deps.settings.region) ?? (gate.version && gate.project ? undefined : 'not_approved');
  if (why) return { kind: 'blocked', why };
  a.project = gate.project!;
  a.version = gate.version!;
  const composed = await compose(a, toSend, sentAt);
  const invalid = new Map<number, string>();
  const byChannel = new Map<Channel, Dispatchable[]>();
  const plan = new Map<number, PlannedLetter[]>();
  const letters = new Map<string, HandedLetter>();
  for (const c of composed) {
    if ('invalid' in c) invalid.set(c.index, c.invalid);
    else
      for (const l of c.letters) {
        byChannel.set(l.channel, [...(byChannel.get(l.channel) ?? []), l.item]);
        const { deliveryId } = l.item;
        plan.set(c.index, [...(plan.get(c.index) ?? []), { deliveryId, channel: l.channel, ...(l.item.onBehalfOfMinor ? { sealedTo: sealGuardian(a, l.item.nin, deliveryId) } : {}) }]);
        letters.set(l.item.deliveryId, { language: l.item.letter.language, letterHash: l.fingerprint });
      }
  }
  if (plan.size === 0) return { kind: 'handed', results: new Map(), invalid, letters };
  a.planSeq += 1;
  await deps.batches.bindPlan(ref, a.leaseId, plan, a.planSeq);
  const signal = AbortSignal.timeout(Math.max(1, until - deps.clock().getTime()));
  const calls = await Promise.allSettled([...byChannel].map(([channel, items]) => deps.channels.handOver(channel, items, { signal })));
  const results = new Map<string, ChannelResult>();
  for (const c of calls) if (c.status === 'fulfilled') for (const [id, r] of c.value) results.set(id, r);
  // A call that threw (its hand-overs could not be recorded) fails the attempt: the batch comes
  // back and recovers this wave from its plan; the other calls of the wave have ended by now.
  const failed = calls.find((c): c is PromiseRejectedResult => c.status === 'rejected');
  if (failed) throw failed.reason;
  return { kind: 'handed', results, invalid, letters };
};
