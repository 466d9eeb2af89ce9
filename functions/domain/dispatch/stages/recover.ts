import { IN_DOUBT, type Plan } from '../batch.js';
import type { Channel, Fate } from '../channels.js';
import { guardianDeliveryId } from '../../citizens/minors.js';
import { deliveryIdOf, seconds, type Attempt } from './attempt.js';
import type { WaveFacts } from './gather.js';
import { emptySettled, entryFor, fail, type Settled } from './settle.js';

/** The channel side could not tell now whether a dead attempt's letters left (Digipost not answering): wait, decide nothing. */
export class FateUnknownNowError extends Error {
  constructor(readonly channel: Channel) {
    super(`the ${channel} channel cannot tell now whether a letter left`);
    this.name = 'FateUnknownNowError';
  }
}

/**
 * A wave marked by an attempt that died: its letters may have left. Before anything else is
 * decided, each planned recipient's fate is learned where it can be:
 *   - recorded as sent in this round's ledger (the attempt died after recording): sent;
 *   - a letter the channel side knows (a recorded hand-over, Digipost by message-id): sent
 *     (a child through the guardians whose letters are known);
 *   - a letter that may exist and cannot be asked for (ePROM, no sender key): `failed`, `in_doubt`,
 *     never re-sent;
 *   - letters that certainly did not leave: the recipient stays pending and is decided again, with
 *     every gate, on facts read now — a retry never re-sends what was marked on old facts.
 */
export const recover = async (a: Attempt, plan: Plan): Promise<Settled> => {
  const { deps, round } = a;
  const s = emptySettled();
  const now = deps.clock();
  const indices = [...plan.keys()].filter((i) => a.outcomes[i]?.kind === 'pending');
  if (indices.length === 0) return s;
  const nins = indices.map((i) => a.recipients[i]!.nin);
  const recorded = await deps.ledger.contactsIn(nins, round.projectId, [round.roundId]);
  const unknownYet = indices.filter((i) => !(recorded.get(a.recipients[i]!.nin) ?? []).some((k) => k.roundId === round.roundId));
  for (const i of indices) {
    if (unknownYet.includes(i)) continue;
    // Recorded before the attempt died: its ledger entries exist; only the outcome is missing.
    const k = recorded.get(a.recipients[i]!.nin)!.find((r) => r.roundId === round.roundId)!;
    s.outcomes.set(i, { kind: 'sent', channel: k.channel ?? 'helsenorge', at: seconds(now) });
  }
  const byChannel = new Map<Channel, string[]>();
  for (const i of unknownYet) for (const l of plan.get(i)!) byChannel.set(l.channel, [...(byChannel.get(l.channel) ?? []), l.deliveryId]);
  const signal = AbortSignal.timeout(Math.max(1, a.handOverUntil - now.getTime()));
  const fates = new Map<string, Fate>();
  await Promise.all(
    [...byChannel].map(async ([channel, ids]) => {
      let answer: Map<string, Fate>;
      try {
        answer = await deps.channels.fateOf(channel, round.roundId, ids, { signal });
      } catch {
        throw new FateUnknownNowError(channel);
      }
      for (const [id, f] of answer) fates.set(id, f);
    }),
  );
  for (const i of unknownYet) {
    const nin = a.recipients[i]!.nin;
    const letters = plan.get(i)!;
    const fateOf = (id: string): Fate => fates.get(id) ?? 'unknown';
    const left = letters.filter((l) => fateOf(l.deliveryId) === 'handed_over');
    const guardians = letters.some((l) => l.deliveryId.includes('-g'));
    if (left.length > 0) {
      // Guardians' own ledger entries need their IDs, which the plan never holds: the child's entry
      // records how many guardians were reached.
      const channel = left[0]!.channel;
      s.outcomes.set(i, { kind: 'sent', channel, at: seconds(now), ...(guardians ? { guardians: left.length } : {}) });
      s.entries.push(entryFor(a, now, nin, { outcome: 'sent', channel, ...(guardians ? { viaGuardians: left.length } : {}) }));
      s.sent++;
      continue;
    }
    const doubtful = letters.find((l) => fateOf(l.deliveryId) === 'unknown');
    if (doubtful) fail(a, s, now, i, nin, IN_DOUBT, doubtful.channel);
    // Otherwise nothing left: pending, decided again by this attempt's waves.
  }
  return s;
};

/**
 * Recipients a former attempt tried and got a transient failure for (a Digipost call that timed
 * out may still have delivered): before they are decided again on new facts, Digipost is asked by
 * message-id whether that letter (or a guardian's) left. One that left counts as sent and is never
 * decided again, so the record never says "skipped" about someone who got it. (A transient ePROM
 * failure is a refusal before anything was accepted; a call without an answer is in doubt.)
 */
export const learnEarlierTries = async (a: Attempt, w: WaveFacts, indices: readonly number[], s: Settled): Promise<Set<number>> => {
  const { deps, round } = a;
  const learned = new Set<number>();
  if (indices.length === 0) return learned;
  const idsOf = new Map<number, { self: string; guardians: string[] }>();
  for (const i of indices) {
    const self = deliveryIdOf(a.ref.batchNo, i);
    const route = w.routes.get(a.recipients[i]!.nin);
    idsOf.set(i, { self, guardians: route?.kind === 'guardians' ? route.guardians.map((g) => guardianDeliveryId(self, g.nin, deps.hashKey)) : [] });
  }
  const ids = [...idsOf.values()].flatMap((x) => [x.self, ...x.guardians]);
  const now = deps.clock();
  let fates: Map<string, Fate>;
  try {
    fates = await deps.channels.fateOf('digital-mailbox', round.roundId, ids, { signal: AbortSignal.timeout(Math.max(1, a.handOverUntil - now.getTime())) });
  } catch {
    throw new FateUnknownNowError('digital-mailbox');
  }
  for (const [i, { self, guardians }] of idsOf) {
    const nin = a.recipients[i]!.nin;
    const leftGuardians = guardians.filter((id) => fates.get(id) === 'handed_over').length;
    if (fates.get(self) !== 'handed_over' && leftGuardians === 0) continue;
    learned.add(i);
    s.outcomes.set(i, { kind: 'sent', channel: 'digital-mailbox', at: seconds(now), ...(leftGuardians ? { guardians: leftGuardians } : {}) });
    s.entries.push(entryFor(a, now, nin, { outcome: 'sent', channel: 'digital-mailbox', ...(leftGuardians ? { viaGuardians: leftGuardians } : {}) }));
    s.sent++;
  }
  return learned;
};
