import type { Principal } from '../../shared/principal.js';
import type { Access } from '../projects/project.js';
import { auditScope, loadProject } from '../projects/use-cases.js';
import { auditEvent } from '../shared/audit.js';
import { nowIso } from '../shared/ids.js';
import type { RoundDeps } from './ports.js';
import { loadRound, stateChanged, withCounts, type RoundWithCounts } from './read.js';
import { roundKeptUntil } from './retention.js';
import { isReleased, RoundStateError } from './round.js';

const cancelNeed = (principal: Principal): keyof Access => (principal.role === 'researcher' ? 'edit' : principal.role === 'superuser' ? 'review' : 'pause');

/**
 * Cancels a round. Before release that is a status change (everyone counted cancelled); after
 * release no batch claims anything more (each reads the round's status), and every unfinished
 * batch goes on the queue once, so its pending recipients are marked cancelled and counted.
 */
export const cancelRound = async (deps: RoundDeps, principal: Principal, projectId: string, roundId: string): Promise<RoundWithCounts> => {
  const project = await loadProject(deps, principal, projectId, cancelNeed(principal));
  const round = await loadRound(deps, projectId, roundId);
  if (round.status === 'completed' || round.status === 'cancelled') {
    throw new RoundStateError('ROUND_NOT_CANCELLABLE', `A round that is ${round.status} cannot be cancelled`);
  }
  const at = nowIso();
  if (!(await deps.rounds.transitionRound(projectId, roundId, [round.status], 'cancelled', { cancelledBy: principal.sub, cancelledAt: at, expiresAt: roundKeptUntil(deps, at) }))) throw stateChanged();
  await deps.audit.append(auditScope(projectId), auditEvent(principal, 'round.cancelled', { roundId, from: round.status }));
  const after = await loadRound(deps, projectId, roundId);
  if (isReleased(after)) await deps.dispatch.cancelRemaining(after);
  return withCounts(deps, after, project);
};
