import type { CitizenFacts } from '../citizens/registries.js';
import type { DistributionRule } from '../projects/project.js';
import { decideRecipient } from '../rounds/preflight.js';
import type { SkipReason } from '../rounds/round.js';
import { chooseChannel } from '../rounds/channel-rule.js';
import type { ContactRecord } from '../rounds/round.js';
import type { Channel } from '../shared/channel.js';

/**
 * The send-time decision for one recipient. Whether they get the letter at all is the same rule
 * the pre-flight report uses (rounds/preflight.ts). Only when it says "send" is a channel chosen,
 * once, from registry facts: reservation and withdrawal are decided before any channel is
 * considered, and no refusal ever leads to another channel. The system this replaces enforced the
 * reservation on the portal channel only and leaked it through the fallbacks.
 */
export type Decision = { readonly send: true; readonly channel: Channel } | { readonly send: false; readonly reason: SkipReason };

export interface RecipientFacts {
  readonly valid: boolean;
  readonly facts: CitizenFacts | undefined;
  /** The citizen's earlier contacts by this project. */
  readonly contacts: readonly ContactRecord[];
  /** Reminder rounds only: the citizen still has the form task open and unanswered. */
  readonly awaitingAnswer?: boolean;
  /** Age in whole years at the moment of sending, when known (channel rules: portal 16+, mailbox 18+). */
  readonly age?: number;
  /** A child reached through guardians: each guardian's channel is chosen from their own facts. */
  readonly channelChosenLater?: boolean;
}

export interface SendPolicy {
  readonly contentHash: string;
  readonly frequencyCap: number;
  readonly distributionRule: DistributionRule;
  readonly onlyNonResponders: boolean;
  readonly now: Date;
  /** Test sends to synthetic persons ignore contact history (duplicates, frequency), never the reservation. */
  readonly test?: boolean;
}

export const decide = (r: RecipientFacts, policy: SendPolicy): Decision => {
  const f = r.facts;
  const verdict = decideRecipient(
    {
      valid: r.valid,
      reserved: f?.reservedResearch ?? false,
      withdrawn: f?.withdrawn ?? false,
      // A person no registry answered for is unknown: nothing is sent (fail closed).
      population: { deceased: f?.deceased ?? false, known: f?.known ?? false },
      contacts: policy.test ? [] : r.contacts,
      ...(r.awaitingAnswer !== undefined ? { awaitingAnswer: r.awaitingAnswer } : {}),
    },
    { contentHash: policy.contentHash, frequencyCap: policy.frequencyCap, onlyNonResponders: policy.onlyNonResponders, now: policy.now.toISOString() },
  );
  if (verdict.outcome === 'skip') return { send: false, reason: verdict.reason };
  if (r.channelChosenLater) return { send: true, channel: 'helsenorge' };
  const choice = chooseChannel(policy.distributionRule, f!, r.age);
  return 'channel' in choice ? { send: true, channel: choice.channel } : { send: false, reason: choice.skip };
};
