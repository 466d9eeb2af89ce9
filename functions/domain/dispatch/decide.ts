import type { PopulationFacts } from '../citizens/ports.js';
import type { DistributionRule } from '../projects/project.js';
import type { ContactRecord } from './ports.js';

/**
 * The send-time gates for one recipient, as one pure function so that their order is a fact of
 * the code and not of a call sequence: reservation and withdrawal are decided FIRST, before any
 * channel is considered. The system this replaces enforced the reservation on the portal channel
 * only and leaked it through the fallbacks; here no channel is ever chosen for a reserved citizen.
 */
export type Channel = 'helsenorge' | 'digital-mailbox' | 'paper';

export type SkipReason =
  | 'reserved'
  | 'withdrawn'
  | 'duplicate'
  | 'deceased'
  | 'frequency_cap'
  | 'not_found'
  | 'no_channel'
  /** The letter could not be completed for this recipient (a placeholder without a value). */
  | 'invalid';

export type Decision = { readonly send: true; readonly channel: Channel } | { readonly send: false; readonly reason: SkipReason };

export interface RecipientFacts {
  readonly reserved: boolean;
  readonly withdrawn: boolean;
  readonly population: PopulationFacts;
  /** The citizen's earlier contacts by this project (test sends excluded by the caller or not). */
  readonly contacts: readonly ContactRecord[];
}

export interface SendPolicy {
  readonly contentHash: string;
  readonly frequencyCap: number;
  readonly distributionRule: DistributionRule;
  readonly now: Date;
  /** Test sends to synthetic persons skip the duplicate and frequency rules, never the reservation. */
  readonly test?: boolean;
}

export const FREQUENCY_WINDOW_DAYS = 30;

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

export const realContacts = (contacts: readonly ContactRecord[]): ContactRecord[] => contacts.filter((c) => !c.test);

export const contactsWithin = (contacts: readonly ContactRecord[], now: Date, days: number): ContactRecord[] => {
  const since = now.getTime() - days * 86_400_000;
  return realContacts(contacts).filter((c) => Date.parse(c.sentAt) >= since);
};

export const decide = (facts: RecipientFacts, policy: SendPolicy): Decision => {
  if (facts.reserved) return { send: false, reason: 'reserved' };
  if (facts.withdrawn) return { send: false, reason: 'withdrawn' };
  if (facts.population.deceased) return { send: false, reason: 'deceased' };
  if (!policy.test) {
    if (realContacts(facts.contacts).some((c) => c.contentHash === policy.contentHash)) return { send: false, reason: 'duplicate' };
    if (contactsWithin(facts.contacts, policy.now, FREQUENCY_WINDOW_DAYS).length >= policy.frequencyCap) {
      return { send: false, reason: 'frequency_cap' };
    }
  }
  const channel = chooseChannel(policy.distributionRule, facts.population);
  return channel ? { send: true, channel } : { send: false, reason: 'no_channel' };
};

/** Which of the round's nine documented counters a skip reason is counted in. */
export const counterOf = (reason: SkipReason): 'skippedReserved' | 'skippedWithdrawn' | 'skippedDuplicate' | 'skippedOther' => {
  switch (reason) {
    case 'reserved':
      return 'skippedReserved';
    case 'withdrawn':
      return 'skippedWithdrawn';
    case 'duplicate':
      return 'skippedDuplicate';
    default:
      return 'skippedOther';
  }
};
