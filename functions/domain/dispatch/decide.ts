import type { PopulationFacts } from '../citizens/ports.js';
import type { DistributionRule } from '../projects/project.js';
import { decideRecipient } from '../rounds/preflight.js';
import { counterForSkip, type SkipReason as RecipientSkipReason } from '../rounds/round.js';
import type { ContactRecord } from './ports.js';

/**
 * The send-time decision for one recipient. Whether they get the letter at all is the same rule
 * the pre-flight report uses (rounds/preflight.ts: reserved, withdrawn, deceased, not found,
 * duplicate, not awaiting an answer, frequency cap — in that order). Only when it says "send" is a
 * channel chosen: reservation and withdrawal are decided before any channel is considered. The
 * system this replaces enforced the reservation on the portal channel only and leaked it through
 * the fallbacks; here no channel is ever chosen for a reserved citizen.
 */
export type Channel = 'helsenorge' | 'digital-mailbox' | 'paper';

/** Why a recipient gets nothing: the pre-flight reasons, plus no channel under the project's rule. */
export type SkipReason = RecipientSkipReason | 'no_channel';

export type Decision = { readonly send: true; readonly channel: Channel } | { readonly send: false; readonly reason: SkipReason };

export interface RecipientFacts {
  readonly reserved: boolean;
  readonly withdrawn: boolean;
  readonly population: PopulationFacts;
  /** The citizen's earlier contacts by this project. */
  readonly contacts: readonly ContactRecord[];
  /** Reminder rounds only: the citizen still has the form task open and unanswered. */
  readonly awaitingAnswer?: boolean;
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

export const chooseChannel = (rule: DistributionRule, facts: PopulationFacts): Channel | undefined => {
  switch (rule) {
    case 'helsenorge-then-paper':
      return facts.digitallyActive ? 'helsenorge' : 'paper';
    case 'helsenorge-only':
      return facts.digitallyActive ? 'helsenorge' : undefined;
    case 'digital-mailbox-then-paper':
      return facts.digitallyActive ? 'digital-mailbox' : 'paper';
  }
};

export const decide = (facts: RecipientFacts, policy: SendPolicy): Decision => {
  const verdict = decideRecipient(
    { valid: true, ...facts, contacts: policy.test ? [] : facts.contacts },
    { contentHash: policy.contentHash, frequencyCap: policy.frequencyCap, onlyNonResponders: policy.onlyNonResponders, now: policy.now.toISOString() },
  );
  if (verdict.outcome === 'skip') return { send: false, reason: verdict.reason };
  const channel = chooseChannel(policy.distributionRule, facts.population);
  return channel ? { send: true, channel } : { send: false, reason: 'no_channel' };
};

/** Which of the round's nine documented counters a skip reason is counted in. */
export const counterOf = (reason: SkipReason): 'skippedReserved' | 'skippedWithdrawn' | 'skippedDuplicate' | 'skippedOther' =>
  reason === 'no_channel' ? 'skippedOther' : (counterForSkip(reason) as 'skippedReserved' | 'skippedWithdrawn' | 'skippedDuplicate' | 'skippedOther');
