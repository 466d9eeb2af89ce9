import { type Plan, type PlannedLetter } from '../batch.js';
import { IN_DOUBT } from '../../rounds/round.js';
import type { Fate, LetterFate } from '../channels.js';
import type { Channel } from '../../shared/channel.js';
import { guardianDeliveryId } from '../../citizens/minors.js';
import { deliveryIdOf, openGuardian, seconds, type Attempt } from './attempt.js';
import type { WaveFacts } from './gather.js';
import { emptySettled, fail, guardiansInDoubt, sent, type Settled } from './settle.js';

const isGuardianLetter = (deliveryId: string): boolean => deliveryId.includes('-g');

/** A child's guardians by the delivery id their letter about the child carries (minors.ts guardianDeliveryId). */
const guardiansOf = (childDeliveryId: string, guardians: readonly string[], hashKey: string): Map<string, string> =>
  new Map(guardians.map((g) => [guardianDeliveryId(childDeliveryId, g, hashKey), g]));

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
 *     (a child through the guardians whose letters are known), counted the way it went where the
 *     channel side says (a paper letter Digipost put in a mailbox counts as the mailbox);
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
  const fates = new Map<string, LetterFate>();
  await Promise.all(
    [...byChannel].map(async ([channel, ids]) => {
      let answer: Map<string, LetterFate>;
      try {
        answer = await deps.channels.fateOf(channel, round.roundId, ids, { signal });
      } catch {
        throw new FateUnknownNowError(channel);
      }
      for (const [id, f] of answer) fates.set(id, f);
    }),
  );
  const fateOf = (id: string): Fate => fates.get(id)?.fate ?? 'unknown';
  // The letters that left, each the way it went where the channel side says (else as planned).
  const leftOf = (i: number) =>
    plan
      .get(i)!
      .filter((l) => fateOf(l.deliveryId) === 'handed_over')
      .map((l) => ({ ...l, channel: fates.get(l.deliveryId)?.wentAs ?? l.channel }));
  // The plan names the guardian of each guardian's letter sealed (never the ID in the clear), so a
  // letter that left is recorded for whom it reached, even one the register no longer lists. A
  // plan marked before plans carried them (or one that does not open) has the guardians named again
  // from the register, by the keyed hash in the delivery id (raw, whatever their state now).
  // Each seal is opened once.
  const opened = new Map(
    unknownYet.flatMap((i) =>
      plan.get(i)!.flatMap((l) => {
        const g = l.sealedTo ? openGuardian(a, l.sealedTo, l.deliveryId) : undefined;
        return g ? [[l.deliveryId, g] as const] : [];
      }),
    ),
  );
  const sealedName = (l: PlannedLetter): string | undefined => opened.get(l.deliveryId);
  // A guardian's letter that may exist (ePROM, no record): never re-sent, its guardian in doubt about the child.
  const unknownOf = (i: number) => plan.get(i)!.filter((l) => fateOf(l.deliveryId) === 'unknown');
  const children = unknownYet.filter((i) => [...leftOf(i), ...unknownOf(i)].some((l) => isGuardianLetter(l.deliveryId) && sealedName(l) === undefined));
  const facts =
    children.length > 0
      ? await deps.citizens.factsOf(
          children.map((i) => a.recipients[i]!.nin),
          round.projectId,
        )
      : undefined;
  for (const i of unknownYet) {
    const nin = a.recipients[i]!.nin;
    const letters = plan.get(i)!;
    const left = leftOf(i);
    const unknown = unknownOf(i);
    const forGuardians = letters.some((l) => isGuardianLetter(l.deliveryId));
    const named = forGuardians ? guardiansOf(deliveryIdOf(a.ref.batchNo, i), facts?.get(nin)?.guardians ?? [], a.hashKey) : new Map<string, string>();
    const whom = (ls: readonly PlannedLetter[]) =>
      ls.flatMap((l) => {
        const g = sealedName(l) ?? named.get(l.deliveryId);
        return g ? [{ nin: g, channel: l.channel }] : [];
      });
    if (left.length > 0) {
      const channel = left[0]!.channel;
      if (forGuardians) {
        sent(a, s, now, i, nin, channel, whom(left), left.length);
        guardiansInDoubt(a, s, now, nin, whom(unknown));
      } else sent(a, s, now, i, nin, channel);
      continue;
    }
    const doubtful = unknown[0];
    if (doubtful) {
      fail(a, s, now, i, nin, IN_DOUBT, doubtful.channel);
      if (forGuardians) guardiansInDoubt(a, s, now, nin, whom(unknown));
    }
    // Otherwise nothing left: pending, decided again by this attempt's waves.
  }
  return s;
};

/**
 * Recipients a former attempt tried and got a transient failure for (a Digipost call that timed
 * out may still have delivered): before they are decided again on new facts, Digipost is asked by
 * message-id whether that letter (or a guardian's) left. One that left counts as sent and is never
 * decided again, so the record never says "skipped" about someone who got it. It is counted on the
 * channel Digipost says it went by (the mailbox or print: paper costs money, and the statistics and
 * the ledger say which). A child's guardians are those the register lists now and those the earlier
 * try's cut-off calls went to (sealed in the pending outcome): a letter that reached a guardian the
 * register no longer lists is recorded for them. (A transient ePROM failure is a refusal before
 * anything was accepted; a call without an answer is in doubt.)
 */
export const learnEarlierTries = async (a: Attempt, w: WaveFacts, indices: readonly number[], s: Settled): Promise<Set<number>> => {
  const { deps, round } = a;
  const learned = new Set<number>();
  if (indices.length === 0) return learned;
  // A child's guardians: those the register lists now, and those an earlier try's cut-off call
  // went to (sealed in the pending outcome), named by the seal first.
  const idsOf = new Map<number, { self: string; guardians: Map<string, string | undefined> }>();
  for (const i of indices) {
    const self = deliveryIdOf(a.ref.batchNo, i);
    const route = w.routes.get(a.recipients[i]!.nin);
    const o = a.outcomes[i];
    const guardians = new Map<string, string | undefined>(route?.kind === 'guardians' ? route.guardians.map((g) => [guardianDeliveryId(self, g.nin, a.hashKey), undefined]) : []);
    for (const sealed of o?.kind === 'pending' ? (o.tried ?? []) : []) {
      const g = openGuardian(a, sealed, self);
      if (g) guardians.set(guardianDeliveryId(self, g, a.hashKey), g);
    }
    idsOf.set(i, { self, guardians });
  }
  const ids = [...idsOf.values()].flatMap((x) => [x.self, ...x.guardians.keys()]);
  const now = deps.clock();
  let fates: Map<string, LetterFate>;
  try {
    fates = await deps.channels.fateOf('digital-mailbox', round.roundId, ids, { signal: AbortSignal.timeout(Math.max(1, a.handOverUntil - now.getTime())) });
  } catch {
    throw new FateUnknownNowError('digital-mailbox');
  }
  const left = (id: string) => fates.get(id)?.fate === 'handed_over';
  // Where Digipost does not say (a hand-over recorded before the way was kept), the mailbox.
  const wentAs = (id: string): Channel => fates.get(id)?.wentAs ?? 'digital-mailbox';
  for (const [i, { self, guardians }] of idsOf) {
    const nin = a.recipients[i]!.nin;
    const leftGuardians = [...guardians.keys()].filter(left);
    if (!left(self) && leftGuardians.length === 0) continue;
    learned.add(i);
    if (leftGuardians.length > 0) {
      const named = guardiansOf(self, w.facts.get(nin)?.guardians ?? [], a.hashKey);
      const reached = leftGuardians.flatMap((id) => {
        const g = guardians.get(id) ?? named.get(id);
        return g ? [{ nin: g, channel: wentAs(id) }] : [];
      });
      sent(a, s, now, i, nin, wentAs(leftGuardians[0]!), reached, leftGuardians.length);
    } else sent(a, s, now, i, nin, wentAs(self));
  }
  return learned;
};
