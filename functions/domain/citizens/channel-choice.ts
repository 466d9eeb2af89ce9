import type { Channel } from '../dispatch/channels.js';
import type { CitizenFacts } from './registries.js';

/**
 * The channel rule of INTEGRATIONS.md, as one pure function: the platform chooses the channel
 * itself, once, from registry facts, after the reservation and withdrawal checks have passed; a
 * message service is then called with that one channel only, so it never falls back on its own.
 *
 * - the portal inbox (helsenorge) needs a portal user aged 16 or more;
 * - a digital mailbox needs age 18 or more;
 * - neither digital channel is used for someone reserved against digital contact in KRR;
 * - paper needs a postal address that is not protected (`fortrolig`/`strengtFortrolig`: never
 *   print it, skip with `address_protected`).
 */
export type ChannelSkipReason = 'not_found' | 'deceased' | 'reserved' | 'withdrawn' | 'address_protected' | 'no_channel';

export type ChannelChoice = { readonly channel: Channel } | { readonly skip: ChannelSkipReason };

export interface ChannelRule {
  /**
   * Channels the letter may use, in order of preference. A form task answered in the portal may
   * allow only `helsenorge`; a plain letter allows all three.
   */
  readonly allowed: readonly Channel[];
}

export const DEFAULT_CHANNEL_RULE: ChannelRule = { allowed: ['helsenorge', 'digital-mailbox', 'paper'] };

export const PORTAL_MIN_AGE = 16;
export const MAILBOX_MIN_AGE = 18;

/** `age` is the age in whole years of the addressee (the guardian, for a letter about a minor). */
export const chooseChannel = (facts: CitizenFacts | undefined, rule: ChannelRule, age: number): ChannelChoice => {
  if (!facts || !facts.known) return { skip: 'not_found' };
  if (facts.deceased) return { skip: 'deceased' };
  if (facts.reservedResearch) return { skip: 'reserved' };
  if (facts.withdrawn) return { skip: 'withdrawn' };
  const digitalAllowed = !facts.reservedAgainstDigital;
  let paperBlockedByProtection = false;
  for (const channel of rule.allowed) {
    if (channel === 'helsenorge' && digitalAllowed && facts.digitallyActive && age >= PORTAL_MIN_AGE) return { channel };
    if (channel === 'digital-mailbox' && digitalAllowed && facts.digitalMailbox && age >= MAILBOX_MIN_AGE) return { channel };
    if (channel === 'paper' && facts.postalAddress) {
      if (facts.addressProtected) paperBlockedByProtection = true;
      else return { channel };
    }
  }
  return { skip: paperBlockedByProtection ? 'address_protected' : 'no_channel' };
};

/** Whole years between a birth date (YYYY-MM-DD) and `at`. */
export const ageAt = (birthDate: string, at: Date): number => {
  const [y, m, d] = birthDate.split('-').map(Number) as [number, number, number];
  let age = at.getUTCFullYear() - y;
  const month = at.getUTCMonth() + 1;
  if (month < m || (month === m && at.getUTCDate() < d)) age--;
  return age;
};
