import type { Principal } from '../../shared/principal.js';
import { auditScope, loadProject } from '../projects/use-cases.js';
import { auditEvent } from '../shared/audit.js';
import type { RoundDeps } from './ports.js';
import { loadRound } from './read.js';
import { RoundStateError, type ReleasedRound } from './round.js';

/** After the canary's letters went out and a person looked at them: send the rest. */
export const confirmCanary = async (deps: RoundDeps, principal: Principal, projectId: string, roundId: string) => {
  const project = await loadProject(deps, principal, projectId, principal.role === 'superuser' ? 'review' : 'edit');
  await loadRound(deps, projectId, roundId);
  if (!(await deps.rounds.transitionRound(projectId, roundId, ['canary_hold'], 'dispatching', { canaryConfirmed: true, canaryConfirmedBy: principal.sub }))) {
    throw new RoundStateError('ROUND_NOT_IN_CANARY_HOLD', 'The round is not waiting for a canary confirmation');
  }
  await deps.audit.append(auditScope(projectId), auditEvent(principal, 'round.canary_confirmed', { roundId }));
  const round = (await loadRound(deps, projectId, roundId)) as ReleasedRound;
  if (project.status !== 'paused' && !(await deps.halted())) await deps.dispatch.continue(round);
  return { roundId, status: 'dispatching' as const };
};
