import { releaseLinkFindings } from '../letters/release-check.js';
import type { RoundDeps } from './ports.js';
import { otherRounds } from './release-round.js';
import { crossRoundVerdict, ReleaseRefusedError, sendingRefusal, verdictRefusal } from './release.js';
import { IN_DOUBT, type ReleasedRound } from './round.js';

/**
 * What release checks, again for a round a redrive would reopen, read now: the project and the
 * letter version approved, no pause or halt, the links working, and the cross-round rules
 * (another active round sending the same content to these recipients; a changed or near-identical
 * version they already got, unless a superuser overrode the hold). Nothing is changed here.
 */
const redriveRefusal = async (deps: RoundDeps, round: ReleasedRound): Promise<ReleaseRefusedError | undefined> => {
  const project = await deps.projects.getProject(round.projectId, { consistent: true });
  if (!project) return new ReleaseRefusedError('PROJECT_NOT_APPROVED', 'The project no longer exists');
  const version = await deps.letters.getVersion(project.projectId, round.letterId, round.letterVersion);
  const refused = sendingRefusal({
    halted: await deps.halted(),
    project,
    version,
    liveLinkFindings: version ? await releaseLinkFindings({ prober: deps.prober, formTasks: deps.formTasks }, project, version) : [],
    round,
  });
  if (refused || !version) return refused;
  const list = await deps.lists.getList(project.projectId, round.listId);
  if (!list) return new ReleaseRefusedError('ROUND_NOT_READY', 'The recipient list no longer exists');
  return verdictRefusal(crossRoundVerdict(await otherRounds(deps, project.projectId, round, version, { listId: round.listId, rows: list.accepted }), round.override !== undefined));
};

/**
 * Redrive reopens a round, one at a time, through the same checks as release: a round that fails
 * them is left as it is and the refusal says why. Its failed recipients (never those in doubt) go
 * back to pending and to work.
 */
export const reopenForRedrive = async (deps: RoundDeps, round: ReleasedRound): Promise<{ reopened: number } | { refused: ReleaseRefusedError }> => {
  // A round with nothing to redrive is neither checked nor reported.
  const { counts, failureReasons } = await deps.progress.progress(round.roundId, round.release.layout.total);
  if (counts.failed - (failureReasons?.[IN_DOUBT] ?? 0) <= 0) return { reopened: 0 };
  const refused = (await redriveRefusal(deps, round)) ?? (await heldForRebuild(deps, round));
  if (refused) return { refused };
  return { reopened: await reopenChecked(deps, round) };
};

/**
 * A round a failover moved is held until its contact ledger is rebuilt, and the rebuild ends by
 * recounting the round's counters from its batch items (dispatch/rebuild-ledger.ts): a redrive's
 * failed-to-pending change landing meanwhile would be overwritten. Read as stored now, just before
 * the change (the status listing may lag); the rebuild starts a whole lease after the failover's
 * confirmation, far longer than the reset that follows this read.
 */
const heldForRebuild = async (deps: Pick<RoundDeps, 'rounds'>, round: ReleasedRound): Promise<ReleaseRefusedError | undefined> => {
  const now = await deps.rounds.getRound(round.projectId, round.roundId, { consistent: true });
  return now?.ledgerRebuild ? new ReleaseRefusedError('ROUND_NOT_READY', 'The round is held until its contact ledger is rebuilt after a failover; redrive it once it goes on') : undefined;
};

const reopenChecked = async (deps: Pick<RoundDeps, 'rounds' | 'dispatch'>, round: ReleasedRound): Promise<number> => {
  const { recipients, batches } = await deps.dispatch.resetFailed(round);
  if (recipients === 0) return 0;
  // Reopened before the batches are queued, so no worker finds the round completed and parks them.
  if (round.status === 'completed') await deps.rounds.transitionRound(round.projectId, round.roundId, ['completed'], 'dispatching');
  await deps.dispatch.enqueueOnce(round, batches);
  return recipients;
};
