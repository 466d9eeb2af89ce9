import { DomainError, NotFoundError } from '../../shared/errors.js';
import type { Principal } from '../../shared/principal.js';
import type { Recipient } from '../lists/recipient-list.js';
import { canaryFor } from '../projects/project.js';
import { auditScope, loadProject } from '../projects/use-cases.js';
import { auditEvent } from '../shared/audit.js';
import { newId, nowIso } from '../shared/ids.js';
import type { RoundDeps, RoundPolicy } from './ports.js';
import { emptyPreflight } from './preflight.js';
import { chunkCount, PREPARATION_CHUNK, PREPARE_INLINE_MAX } from './preparation.js';
import { evaluateChunk, otherRoundIds, preparedResult, type ChunkContext } from './prepare.js';
import { keepListFrom } from './retention.js';
import type { Round } from './round.js';

export interface NewRoundInput {
  readonly letterId: string;
  readonly letterVersion?: number;
  readonly listId: string;
  readonly canary?: { readonly size: number };
  readonly onlyNonResponders?: boolean;
}

/** Chunks of an inline pre-flight read at once. */
const PREFLIGHT_CONCURRENCY = 8;

const mapSlices = async <T, R>(items: readonly T[], size: number, concurrency: number, fn: (slice: readonly T[]) => Promise<R[]>): Promise<R[]> => {
  const slices: T[][] = [];
  for (let i = 0; i < items.length; i += size) slices.push(items.slice(i, i + size));
  const results = new Array<R[]>(slices.length);
  let next = 0;
  const worker = async () => {
    while (next < slices.length) {
      const i = next++;
      results[i] = await fn(slices[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, slices.length) }, worker));
  return results.flat();
};

export class NotAFormTaskError extends DomainError {
  constructor() {
    super('NOT_A_FORM_TASK', 400, 'onlyNonResponders needs a form-task letter');
  }
}

/**
 * Creates a round with its pre-flight report: every registry read once per slice of 1,000 (the
 * same facts and the same decideRecipient as at send time), so the report predicts the send; the
 * binding checks run again at release and at send.
 */
export const createRound = async (deps: RoundDeps, policy: RoundPolicy, principal: Principal, projectId: string, input: NewRoundInput): Promise<Round> => {
  const project = await loadProject(deps, principal, projectId, 'edit');
  const letter = await deps.letters.getLetter(projectId, input.letterId);
  if (!letter) throw new NotFoundError('Letter');
  const version = await deps.letters.getVersion(projectId, input.letterId, input.letterVersion ?? letter.latestVersion);
  if (!version) throw new NotFoundError('Letter version');
  const list = await deps.lists.getList(projectId, input.listId);
  if (!list) throw new NotFoundError('Recipient list');
  const onlyNonResponders = input.onlyNonResponders ?? false;
  if (onlyNonResponders && (version.kind !== 'form-task' || !version.formTaskId)) throw new NotAFormTaskError();

  const now = nowIso();
  const roundId = newId('rnd');
  const canary = canaryFor(project, input.canary, list.accepted);
  const base = {
    projectId,
    roundId,
    letterId: version.letterId,
    letterVersion: version.version,
    contentHash: version.contentHash,
    kind: version.kind,
    ...(version.formTaskId ? { formTaskId: version.formTaskId } : {}),
    listId: list.listId,
    onlyNonResponders,
    ...(canary ? { canary } : {}),
    createdBy: principal.sub,
    createdAt: now,
    updatedAt: now,
  };

  if (list.accepted > PREPARE_INLINE_MAX) {
    // A large list is prepared in the background, one queued message per chunk.
    const chunks = chunkCount(list.accepted);
    const round: Round = {
      ...base,
      status: 'preparing',
      preflight: { ...emptyPreflight(), total: list.accepted },
      preparation: { total: list.accepted, checked: 0, chunks, chunkSize: PREPARATION_CHUNK },
      findings: [],
    };
    await deps.rounds.createRound(round);
    await keepListFrom(deps, projectId, list.listId, now);
    await deps.audit.append(
      auditScope(projectId),
      auditEvent(principal, 'round.created', { roundId, letterId: round.letterId, letterVersion: round.letterVersion, listId: round.listId, status: round.status, rows: list.accepted }),
    );
    await deps.prepareQueue.enqueue(Array.from({ length: chunks }, (_, chunk) => ({ projectId, roundId, chunk })));
    return round;
  }

  const ctx: ChunkContext = { project, version, onlyNonResponders, now, policy };
  const contacts = await deps.contacts.sentByProject(projectId, await otherRoundIds(deps, projectId, roundId));
  const recipients = await deps.lists.readRecipients(list.listId);
  const slices: (readonly Recipient[])[] = [];
  for (let i = 0; i < recipients.length; i += PREPARATION_CHUNK) slices.push(recipients.slice(i, i + PREPARATION_CHUNK));
  const summaries = await mapSlices(
    slices.map((slice, chunk) => ({ slice, chunk })),
    1,
    PREFLIGHT_CONCURRENCY,
    async ([c]) => [await evaluateChunk(deps, ctx, contacts, c!.chunk, c!.slice)],
  );
  const { preflight, findings } = preparedResult(summaries, ctx, list.columns);
  const round: Round = {
    ...base,
    status: findings.some((f) => f.code === 'DUPLICATE_ROUND') ? 'held' : 'ready',
    preflight,
    findings,
  };
  await deps.rounds.createRound(round);
  await keepListFrom(deps, projectId, list.listId, now);
  await deps.audit.append(
    auditScope(projectId),
    auditEvent(principal, 'round.created', {
      roundId: round.roundId,
      letterId: round.letterId,
      letterVersion: round.letterVersion,
      listId: round.listId,
      status: round.status,
      preflight,
      findings: round.findings.map((f) => f.code),
    }),
  );
  return round;
};
