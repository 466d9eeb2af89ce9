import type { Principal } from '../../shared/principal.js';
import { auditScope, loadProject } from '../projects/use-cases.js';
import { auditEvent } from '../shared/audit.js';
import { nowIso } from '../shared/ids.js';
import type { RoundDeps } from './ports.js';
import { loadRound, stateChanged, withCounts, type RoundWithCounts } from './read.js';
import { overrideOf } from './round.js';

/** Superuser of the organisation, not the round's creator, with a written reason; audited. */
export const overrideRound = async (deps: RoundDeps, principal: Principal, projectId: string, roundId: string, reason: string): Promise<RoundWithCounts> => {
  const project = await loadProject(deps, principal, projectId, 'review');
  const round = await loadRound(deps, projectId, roundId);
  const override = overrideOf(round, principal.sub, reason, nowIso());
  if (!(await deps.rounds.transitionRound(projectId, roundId, ['held'], 'ready', { override }))) throw stateChanged();
  await deps.audit.append(auditScope(projectId), auditEvent(principal, 'round.overridden', { roundId, reason, findings: round.findings.filter((f) => f.code === 'DUPLICATE_ROUND') }));
  return withCounts(deps, await loadRound(deps, projectId, roundId), project);
};
