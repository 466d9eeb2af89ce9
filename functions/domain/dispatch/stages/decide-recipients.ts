import { guardianDeliveryId } from '../../citizens/minors.js';
import type { CitizenFacts } from '../../citizens/registries.js';
import type { Language } from '../../letters/letter.js';
import { validateNin } from '../../shared/nin.js';
import type { Recipient } from '../../lists/recipient-list.js';
import { chooseChannel, researchChannelAllowed } from '../../rounds/channel-rule.js';
import type { SkipReason } from '../../rounds/round.js';
import type { Channel } from '../../shared/channel.js';
import { decide } from '../decide.js';
import { deliveryIdOf, type Attempt } from './attempt.js';
import type { WaveFacts } from './gather.js';

/** One person a letter about a recipient goes to: the recipient, or one of a child's guardians. */
export interface Addressee {
  readonly nin: string;
  readonly deliveryId: string;
  readonly channel: Channel;
  readonly facts: CitizenFacts;
  readonly language: Language;
}

export type Verdict =
  | { readonly kind: 'skip'; readonly reason: SkipReason }
  /** Already sent in this round by an attempt that died after recording it. */
  | { readonly kind: 'already_sent'; readonly channel: Channel }
  | { readonly kind: 'send'; readonly channel: Channel; readonly addressees: readonly Addressee[]; readonly guardians: boolean };

/** Reasons decided before the minors rule (the same order as the pre-flight). */
const BEFORE_MINORS: ReadonlySet<string> = new Set(['invalid', 'reserved', 'withdrawn', 'deceased', 'not_found']);

/**
 * The one gate per recipient, on facts read for this wave: the usual reasons first (invalid,
 * reserved, withdrawn, deceased, unknown), then the minors rule, then duplicates, reminders and
 * the cap — the order the pre-flight reports; then the channel, chosen once. A child under 16 with
 * policy `guardians` is addressed through each reachable guardian on a channel their own facts
 * allow, each under its own delivery id.
 */
export const decideRecipient = (a: Attempt, w: WaveFacts, index: number, recipient: Recipient): Verdict => {
  const { round, project } = a;
  const nin = recipient.nin;
  const own = w.contacts.get(nin) ?? [];
  const already = own.find((k) => k.roundId === round.roundId);
  if (already) return { kind: 'already_sent', channel: already.channel ?? 'helsenorge' };
  const f = w.facts.get(nin);
  const route = w.routes.get(nin);
  const decision = decide(
    {
      valid: validateNin(nin, { allowSynthetic: true }).ok,
      facts: f,
      contacts: own,
      ...(w.awaiting ? { awaitingAnswer: w.awaiting.has(nin) } : {}),
      ...(route?.kind === 'self' ? { age: route.recipient.age } : {}),
      ...(route?.kind === 'guardians' ? { channelChosenLater: true } : {}),
    },
    {
      contentHash: round.contentHash,
      frequencyCap: project.settings.frequencyCap,
      distributionRule: project.settings.distributionRule,
      onlyNonResponders: round.onlyNonResponders,
      now: w.now,
      test: round.test,
    },
  );
  const reason = !decision.send && BEFORE_MINORS.has(decision.reason) ? decision.reason : route?.kind === 'skip' ? route.reason : !decision.send ? decision.reason : undefined;
  if (reason) return { kind: 'skip', reason };
  const deliveryId = deliveryIdOf(a.ref.batchNo, index);
  // The general research reservation is enforced by the portal itself; any other channel may carry
  // a research letter only where this platform can read that reservation.
  const reservation = { purpose: project.purpose, readable: a.deps.citizens.researchReservationReadable() };
  const channelAllowed = (c: Channel) => researchChannelAllowed(c, reservation);
  if (route?.kind === 'guardians') {
    let blocked = 0;
    const addressees = route.guardians.flatMap((g): Addressee[] => {
      const choice = chooseChannel(project.settings.distributionRule, g.facts, g.age);
      if (!('channel' in choice)) return [];
      if (!channelAllowed(choice.channel)) {
        blocked++;
        return [];
      }
      return [{ nin: g.nin, deliveryId: guardianDeliveryId(deliveryId, g.nin, a.hashKey), channel: choice.channel, facts: g.facts, language: g.facts.language }];
    });
    if (addressees.length === 0) return { kind: 'skip', reason: blocked > 0 ? 'reservation_unreadable' : 'no_guardian' };
    return { kind: 'send', channel: addressees[0]!.channel, addressees, guardians: true };
  }
  if (!decision.send) return { kind: 'skip', reason: 'no_channel' };
  if (!channelAllowed(decision.channel)) return { kind: 'skip', reason: 'reservation_unreadable' };
  return { kind: 'send', channel: decision.channel, addressees: [{ nin, deliveryId, channel: decision.channel, facts: f!, language: recipient.language ?? f!.language }], guardians: false };
};
