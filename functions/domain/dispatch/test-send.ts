import { ValidationError, NotFoundError } from '../../shared/errors.js';
import type { Principal } from '../../shared/principal.js';
import type { LetterRepository } from '../letters/ports.js';
import { validateNin } from '../lists/nin.js';
import type { ProjectRepository } from '../projects/ports.js';
import { auditScope, loadProject } from '../projects/use-cases.js';
import { auditEvent, type AuditLog } from '../shared/audit.js';
import { citizenKey } from '../shared/citizen-key.js';
import { newId, nowIso } from '../shared/ids.js';
import { deliveryIdOf, type Delivery } from './delivery.js';
import type { DispatchMessage } from './plan-round.js';
import type { DispatchStore } from './store.js';

export interface TestSendDeps {
  readonly projects: ProjectRepository;
  readonly letters: LetterRepository;
  readonly audit: AuditLog;
  readonly store: DispatchStore;
  readonly enqueue: (messages: readonly DispatchMessage[]) => Promise<void>;
  /** Writes the test round's item so the worker's gates can read it like any round's. */
  readonly createTestRound: (round: TestRound) => Promise<void>;
  readonly hashKey: string;
}

export interface TestRound {
  readonly projectId: string;
  readonly roundId: string;
  readonly letterId: string;
  readonly letterVersion: number;
  readonly contentHash: string;
  readonly kind: string;
  readonly formTaskId?: string;
  readonly planned: number;
  readonly createdBy: string;
  readonly createdAt: string;
}

export const MAX_TEST_RECIPIENTS = 20;

/**
 * Sends a version to synthetic test persons (month + 80) only, whatever its approval, through the
 * same worker path as a real round — so what the tester sees is what citizens would see. The
 * round is marked `test`: its contacts never count as real ones (no duplicate or frequency effect),
 * and a real national ID is refused before anything is written.
 */
export const testSend = async (
  deps: TestSendDeps,
  principal: Principal,
  projectId: string,
  letterId: string,
  input: { nins: readonly string[]; version?: number },
) => {
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
  const createdAt = nowIso();
  await deps.createTestRound({
    projectId,
    roundId,
    letterId,
    letterVersion: version.version,
    contentHash: version.contentHash,
    kind: version.kind,
    ...(version.formTaskId ? { formTaskId: version.formTaskId } : {}),
    planned: nins.length,
    createdBy: principal.sub,
    createdAt,
  });
  const deliveries: Delivery[] = nins.map((nin, i) => ({
    roundId,
    deliveryId: deliveryIdOf(0, i),
    projectId,
    batchNo: 0,
    nin,
    citizenKey: citizenKey(nin, deps.hashKey),
    status: 'pending',
  }));
  await deps.store.writeBatch({ projectId, roundId, batchNo: 0 }, deliveries, { resume: false, canary: false });
  await deps.enqueue([{ projectId, roundId, batchNo: 0 }]);
  await deps.audit.append(auditScope(projectId), auditEvent(principal, 'letter.test_sent', { letterId, version: version.version, roundId, recipients: nins.length }));
  return { roundId, letterId, version: version.version, recipients: nins.length, status: 'dispatching' as const };
};
