import type { Route } from '../citizens/minors.js';
import type { CitizenFacts } from '../citizens/registries.js';
import { chooseChannel, researchChannelAllowed, type ResearchReservation } from './channel-rule.js';
import type { Language, LetterContentByLanguage } from '../letters/letter.js';
import { readingLanguage } from '../letters/render.js';
import type { DistributionRule } from '../projects/project.js';
import { withMinorsRoute, type RecipientDecision } from './preflight.js';
import type { Reach } from './round.js';

export const tallyReach = (
  items: Iterable<{ readonly decision: RecipientDecision; readonly route?: Route; readonly facts?: CitizenFacts; readonly language: Language }>,
  rule: DistributionRule,
  content: LetterContentByLanguage,
  reservation: ResearchReservation,
): Reach => {
  const byChannel = { helsenorge: 0, 'digital-mailbox': 0, paper: 0, viaGuardians: 0, noChannel: 0 };
  const byLanguage: Record<Language, number> = { nb: 0, nn: 0, en: 0 };
  for (const item of items) {
    const d = withMinorsRoute(item.decision, item.route);
    if (d.outcome !== 'send') continue;
    if ('via' in d) {
      byChannel.viaGuardians++;
      continue;
    }
    const age = item.route?.kind === 'self' ? item.route.recipient.age : undefined;
    const choice = item.facts ? chooseChannel(rule, item.facts, age) : undefined;
    // A channel the research reservation cannot be checked for is skipped at send time: no channel.
    if (!choice || !('channel' in choice) || !researchChannelAllowed(choice.channel, reservation)) {
      byChannel.noChannel++;
      continue;
    }
    byChannel[choice.channel]++;
    byLanguage[readingLanguage({ content }, item.language)]++;
  }
  return { byChannel, byLanguage };
};
