import { channelsAllowedAt } from '../citizens/minors.js';
import type { CitizenFacts } from '../citizens/registries.js';
import type { DistributionRule, Purpose } from '../projects/project.js';
import type { Channel } from '../shared/channel.js';

/**
 * The channel rule (INTEGRATIONS.md): the portal needs 16+, a digital mailbox 18+, and neither is
 * used for someone reserved against digital contact in KRR; paper needs a postal address that is
 * not protected. The project's rule picks among what is possible; nothing else is ever tried.
 */
export const chooseChannel = (rule: DistributionRule, f: CitizenFacts, age?: number): { channel: Channel } | { skip: 'no_channel' | 'address_protected' } => {
  const digital = !f.reservedAgainstDigital;
  const byAge = age === undefined ? undefined : channelsAllowedAt(age);
  const portal = digital && f.digitallyActive && (byAge?.has('helsenorge') ?? true);
  const mailbox = digital && f.digitalMailbox && (byAge?.has('digital-mailbox') ?? true);
  const paper = f.postalAddress !== undefined && !f.addressProtected && (byAge?.has('paper') ?? true);
  const noPaper = (): { skip: 'no_channel' | 'address_protected' } => ({ skip: f.addressProtected ? 'address_protected' : 'no_channel' });
  switch (rule) {
    case 'helsenorge-then-paper':
      return portal ? { channel: 'helsenorge' } : paper ? { channel: 'paper' } : noPaper();
    case 'helsenorge-only':
      return portal ? { channel: 'helsenorge' } : { skip: 'no_channel' };
    case 'digital-mailbox-then-paper':
      return mailbox ? { channel: 'digital-mailbox' } : paper ? { channel: 'paper' } : noPaper();
  }
};

/** Whether this stage can read the general reservation against research contact, for a project of this purpose. */
export interface ResearchReservation {
  readonly purpose: Purpose;
  readonly readable: boolean;
}

/**
 * Only the portal enforces the general reservation against research contact itself (INTEGRATIONS.md,
 * "the one rule"). Paper and digital mailbox may carry a research letter only where this stage reads
 * that reservation; elsewhere such a recipient is skipped (`reservation_unreadable`), never routed on.
 */
export const researchChannelAllowed = (channel: Channel, r: ResearchReservation): boolean => r.purpose !== 'research' || r.readable || channel === 'helsenorge';
