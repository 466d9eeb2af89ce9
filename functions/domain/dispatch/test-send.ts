import { ValidationError, NotFoundError } from '../../shared/errors.js';
import type { Principal } from '../../shared/principal.js';
import type { LetterRepository } from '../letters/ports.js';
import { validateNin } from '../shared/nin.js';
import type { Recipient } from '../lists/recipient-list.js';
import type { ProjectRepository } from '../projects/ports.js';
import { auditScope, loadProject } from '../projects/use-cases.js';
import type { RoundRepository } from '../rounds/ports.js';
import type { ReleasedRound } from '../rounds/round.js';
import { auditEvent, type AuditLog } from '../shared/audit.js';
import { newId, nowIso } from '../shared/ids.js';
import { layoutOf } from './layout.js';
import type { DispatchQueue } from './ports.js';

export interface TestSendDeps {
  readonly projects: ProjectRepository;
  readonly letters: LetterRepository;
  readonly audit: AuditLog;
  readonly rounds: Pick<RoundRepository, 'createRound'>;
  /** Stores the synthetic recipients where the engine reads a round's list. */
  readonly storeRecipients: (listId: string, recipients: readonly Recipient[]) => Promise<void>;
  readonly queue: DispatchQueue;
}

export const MAX_TEST_RECIPIENTS = 20;

/**
 * Sends a version to synthetic test persons (month + 80) only, whatever its approval, through the
 * same engine as a real round — so what the tester sees is what citizens would see. The round is
 * marked `test`: its contacts never count as real ones (no duplicate or frequency effect), and a
 * real national ID is refused before anything is written.
 */
export const testSend = async (deps: TestSendDeps, principal: Principal, projectId: string, letterId: string, input: { nins: readonly string[]; version?: number }) => {
  await loadProject(deps, principal, projectId, 'edit');
  const letter = await deps.letters.getLetter(projectId, letterId);
  if (!letter) throw new NotFoundError('Letter');
  const version = await deps.letters.getVersion(projectId, letterId, input.version ?? letter.latestVersion);
  if (!version) throw new NotFoundError('Letter version');
  const nins = [...new Set(input.nins)];
  const problems = nins.flatMap((nin, i) => {
    const v = validateNin(nin, { allowSynthetic: true });
    if (!v.ok) return [{ field: `nins.${i}`, code: v.code, message: v.message }];
    if (!v.synthetic) return [{ field: `nins.${i}`, code: 'NOT_A_TEST_PERSON', message: 'test sends go to synthetic test persons (month + 80) only' }];
    return [];
  });
  if (problems.length > 0) throw new ValidationError('Test sends go to valid synthetic test persons only', problems);

  const roundId = newId('tst');
  const now = nowIso();
  const listId = `test-${roundId}`;
  await deps.storeRecipients(
    listId,
    nins.map((nin) => ({ nin })),
  );
  const round: ReleasedRound = {
    projectId,
    roundId,
    letterId,
    letterVersion: version.version,
    contentHash: version.contentHash,
    kind: version.kind,
    ...(version.formTaskId ? { formTaskId: version.formTaskId } : {}),
    listId,
    onlyNonResponders: false,
    status: 'dispatching',
    test: true,
    preflight: { total: nins.length, eligible: nins.length, reserved: 0, withdrawn: 0, alreadySent: 0, invalid: 0, deceased: 0, notFound: 0, frequencyCapped: 0, notAwaitingAnswer: 0 },
    findings: [],
    release: { releasedBy: principal.sub, releasedAt: now, layout: layoutOf(nins.length, MAX_TEST_RECIPIENTS) },
    createdBy: principal.sub,
    createdAt: now,
    updatedAt: now,
  };
  await deps.rounds.createRound(round);
  await deps.queue.enqueue([{ projectId, roundId, batchNo: 0 }]);
  await deps.audit.append(auditScope(projectId), auditEvent(principal, 'letter.test_sent', { letterId, version: version.version, roundId, recipients: nins.length }));
  return { roundId, letterId, version: version.version, recipients: nins.length, status: 'dispatching' as const };
};
