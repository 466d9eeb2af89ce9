import { ConflictError } from '../../shared/errors.js';
import type { Principal } from '../../shared/principal.js';
import type { Finding, LetterVersion } from '../letters/letter.js';
import type { Project } from '../projects/project.js';
import { auditEvent, type AuditLog } from '../shared/audit.js';
import { auditScope } from '../projects/use-cases.js';
import type { DispatchRound } from './store.js';

export class ReleaseRefusedError extends ConflictError {}

/** The round fields release needs, plus how it moves the round on. */
export interface ReleasableRound extends DispatchRound {
  readonly createdBy?: string;
}

export interface RoundDispatchState {
  /** ready → dispatching, with `planned`, conditional on the round still being ready. False if not. */
  markDispatching(projectId: string, roundId: string, planned: number, by: string, at: string): Promise<boolean>;
  /** Moves the round from one of `from` to `to`; false when it was in none of them. */
  transition(projectId: string, roundId: string, from: readonly string[], to: string, extra?: Record<string, unknown>): Promise<boolean>;
}

export interface ReleaseDeps {
  readonly halted: () => Promise<boolean>;
  readonly version: (projectId: string, letterId: string, version: number) => Promise<LetterVersion | undefined>;
  /** The live link check of the released version (never cached). */
  readonly liveLinkFindings: (project: Project, version: LetterVersion) => Promise<Finding[]>;
  readonly plannedCount: (projectId: string, listId: string) => Promise<number>;
  readonly rounds: RoundDispatchState;
  readonly startPlanning: (projectId: string, roundId: string) => Promise<void>;
  readonly audit: AuditLog;
}

/**
 * Release re-checks everything at the last moment, in the documented order, and refuses with
 * the first failing gate's code. Approval is bound to content: the version must carry an approval
 * AND still hash to the content that was approved. Links are probed live: a link that broke after
 * approval stops the release.
 */
export const releaseRound = async (deps: ReleaseDeps, principal: Principal, project: Project, round: ReleasableRound): Promise<void> => {
  if (await deps.halted()) throw new ReleaseRefusedError('DISPATCH_HALTED', 'All dispatch is halted by operations');
  if (project.status === 'paused') throw new ReleaseRefusedError('PROJECT_PAUSED', 'The project is paused');
  if (project.status !== 'approved') throw new ReleaseRefusedError('PROJECT_NOT_APPROVED', 'The project has not been approved by a superuser');
  const version = await deps.version(project.projectId, round.letterId, round.letterVersion);
  // Versions are immutable and an approval is written conditional on the version's content hash,
  // so an approval on the version is an approval of exactly this content.
  if (!version?.approval) {
    throw new ReleaseRefusedError('LETTER_NOT_APPROVED', `Version ${round.letterVersion} of the letter has not been approved`);
  }
  const broken = (await deps.liveLinkFindings(project, version)).filter((f) => f.severity === 'error');
  if (broken.length > 0) throw new ReleaseRefusedError('BROKEN_LINK', 'A link in the letter does not work now', broken);
  if (round.status === 'held') {
    throw new ReleaseRefusedError('DUPLICATE_ROUND', 'The round repeats a letter to people who already got a version of it; a superuser must override it first');
  }
  if (round.status !== 'ready') throw new ReleaseRefusedError('ROUND_NOT_READY', `The round is ${round.status}`);
  const planned = await deps.plannedCount(project.projectId, round.listId);
  const at = new Date().toISOString();
  if (!(await deps.rounds.markDispatching(project.projectId, round.roundId, planned, principal.sub, at))) {
    throw new ReleaseRefusedError('ROUND_NOT_READY', 'The round changed meanwhile (released or cancelled by someone else)');
  }
  await deps.audit.append(
    auditScope(project.projectId),
    auditEvent(principal, 'round.released', { roundId: round.roundId, letterId: round.letterId, letterVersion: round.letterVersion, planned, canarySize: round.canarySize }),
  );
  await deps.startPlanning(project.projectId, round.roundId);
};
