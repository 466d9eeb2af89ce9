import type { CitizenFacts } from '../../citizens/registries.js';
import { pseudonymsOfChild, routeWithFacts, type Route } from '../../citizens/minors.js';
import { effectiveMinorsPolicy } from '../../projects/minors-policy.js';
import { DUPLICATE_WINDOW_DAYS } from '../../rounds/preflight.js';
import { isReleased } from '../../rounds/round.js';
import type { ContactRecord } from '../../rounds/round.js';
import { childrenAwaiting } from '../../rounds/reminders.js';
import type { Attempt } from './attempt.js';

/** What one wave's decisions read, all of it now, for exactly the wave's recipients. */
export interface WaveFacts {
  readonly facts: ReadonlyMap<string, CitizenFacts>;
  readonly contacts: ReadonlyMap<string, readonly ContactRecord[]>;
  /**
   * Reminder rounds: who still has the form task open and unanswered — the recipient themselves,
   * or a child one of whose guardians has not answered their task about them.
   */
  readonly awaiting?: ReadonlySet<string>;
  readonly routes: ReadonlyMap<string, Route>;
  readonly now: Date;
}

const DAY_MS = 86_400_000;

/**
 * Reads every fact the decision needs for one wave: every registry once for the wave's recipients
 * (so a registry outage stops the batch within one wave, on facts read before it), the contact
 * ledger of the relevant rounds, the non-responders of a reminder, and guardians for children
 * under 16. Throws RegistryUnavailableError when a registry cannot be read (fail closed).
 */
export const gather = async (a: Attempt, nins: readonly string[]): Promise<WaveFacts> => {
  const { deps, round, project } = a;
  const now = deps.clock();
  const reminder = round.onlyNonResponders && round.formTaskId !== undefined;
  const [facts, contacts, awaiting] = await Promise.all([
    deps.citizens.factsOf(nins, project.projectId),
    relevantRounds(a, now).then((ids) => deps.ledger.contactsIn(nins, project.projectId, ids)),
    reminder ? deps.nonResponders(project.projectId, round.formTaskId, nins) : Promise.resolve(undefined),
  ]);
  const routes = await routeWithFacts(deps.citizens, { projectId: project.projectId, nins, facts, policy: effectiveMinorsPolicy(project), at: now, rules: { allowSynthetic: true } });
  const formTaskId = round.formTaskId;
  if (!awaiting || formTaskId === undefined) return { facts, contacts, routes, now };
  // A child's task is their guardians' (one each, about the child): only those who have not
  // answered about them are reminded (their routes narrowed to them).
  const reminded = await childrenAwaiting(
    routes,
    (nin) => pseudonymsOfChild(nin, deps.hashKeys()),
    (asked) => deps.guardiansAwaiting(project.projectId, formTaskId, asked),
  );
  return { facts, contacts, routes: reminded.routes, now, awaiting: new Set([...awaiting, ...reminded.children]) };
};

/**
 * The rounds whose ledger entries the send-time check reads: this round (a crashed attempt's
 * record), and every released, real round of the project that sent the same content or any
 * letter within the duplicate window (which also covers the frequency cap's 30 days).
 */
export const relevantRounds = async (a: Pick<Attempt, 'deps' | 'round' | 'releaseSeq'>, now: Date): Promise<string[]> => {
  const since = now.getTime() - DUPLICATE_WINDOW_DAYS * DAY_MS;
  const rounds = await a.deps.rounds.projectRounds(a.round.projectId, a.releaseSeq);
  const ids = rounds
    .filter((r) => r.roundId !== a.round.roundId && isReleased(r) && !r.test)
    .filter((r) => r.contentHash === a.round.contentHash || Date.parse(r.release!.releasedAt) >= since)
    .map((r) => r.roundId);
  return [a.round.roundId, ...ids];
};
