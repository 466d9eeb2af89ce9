import { DomainError, NotFoundError } from '../../shared/errors.js';
import type { Principal } from '../../shared/principal.js';
import type { PopulationRegistry, ReservationRegistry } from '../citizens/ports.js';
import type { ContactLedger, ContactRecord } from '../dispatch/ports.js';
import { placeholdersIn } from '../letters/content.js';
import type { CitizenTaskRepository, LetterRepository } from '../letters/ports.js';
import { nonResponders } from '../letters/form-tasks.js';
import type { LetterContentByLanguage } from '../letters/letter.js';
import type { RecipientListRepository } from '../lists/ports.js';
import { validateNin, type CheckDigitRule } from '../lists/nin.js';
import type { ProjectRepository } from '../projects/ports.js';
import type { Access } from '../projects/project.js';
import { auditScope, loadProject } from '../projects/use-cases.js';
import { auditEvent, type AuditLog } from '../shared/audit.js';
import { newId, nowIso } from '../shared/ids.js';
import type { ProjectContactsReader, ProjectWithdrawalsReader, RoundRepository } from './ports.js';
import {
  decideRecipient,
  detectDuplicateRounds,
  earlierVersionsReceived,
  tallyPreflight,
  versionKey,
  type RecipientDecision,
} from './preflight.js';
import { cancelledBeforeRelease, countsView, overridden, UNRELEASED, zeroCounters, type Round, type RoundFinding } from './round.js';

export interface RoundDeps {
  readonly projects: ProjectRepository;
  readonly audit: AuditLog;
  readonly rounds: RoundRepository;
  readonly letters: LetterRepository;
  readonly lists: RecipientListRepository;
  readonly reservations: ReservationRegistry & ProjectWithdrawalsReader;
  readonly population: PopulationRegistry;
  readonly contacts: ContactLedger & ProjectContactsReader;
  readonly citizenTasks: CitizenTaskRepository;
}

export interface RoundPolicy {
  readonly allowSynthetic: boolean;
  readonly checkDigits?: CheckDigitRule;
}

export interface NewRoundInput {
  readonly letterId: string;
  readonly letterVersion?: number;
  readonly listId: string;
  readonly canary?: { readonly size: number };
  readonly onlyNonResponders?: boolean;
}

/** Recipients per registry read (10 BatchGets per port) and slices read at once. */
const PREFLIGHT_SLICE = 500;
const PREFLIGHT_CONCURRENCY = 4;

/** Maps slices of `items` through `fn`, at most `concurrency` at a time, keeping the order. */
const mapSlices = async <T, R>(items: readonly T[], size: number, concurrency: number, fn: (slice: readonly T[]) => Promise<R[]>): Promise<R[]> => {
  const slices: T[][] = [];
  for (let i = 0; i < items.length; i += size) slices.push(items.slice(i, i + size));
  const results: R[][] = new Array(slices.length);
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

/** Letters whose placeholders the list cannot fill would fail at send time: say so now. */
const placeholderFindings = (content: LetterContentByLanguage, columns: readonly string[]): RoundFinding[] => {
  const used = new Set<string>();
  for (const c of Object.values(content)) {
    if (!c) continue;
    for (const p of [...placeholdersIn(c.subject), ...placeholdersIn(c.body)]) if (p.valid) used.add(p.name);
  }
  const missing = [...used].filter((n) => !columns.includes(n));
  return missing.length
    ? [{ code: 'MISSING_PLACEHOLDER_COLUMN', severity: 'warning', message: 'The letter uses placeholders the recipient list has no column for', placeholders: missing }]
    : [];
};

/**
 * Creates a round with its pre-flight report. Reads every fact the send-time decision uses (the
 * same decideRecipient), so the report predicts the send; the binding checks run again at send.
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

  const recipients = await deps.lists.readRecipients(list.listId);
  const now = nowIso();
  const rules = { contentHash: version.contentHash, frequencyCap: project.settings.frequencyCap, onlyNonResponders, now };
  // The project's withdrawals and contacts are read once, project-wide; the national registries
  // per recipient, in slices with bounded concurrency: a 100,000-recipient list is thousands of
  // batch reads, which must queue here rather than swamp the client's sockets.
  const [withdrawn, contacts] = await Promise.all([deps.reservations.withdrawnFromProject(projectId), deps.contacts.contactsOfProject(projectId)]);
  const decided = await mapSlices(recipients, PREFLIGHT_SLICE, PREFLIGHT_CONCURRENCY, async (slice) => {
    const nins = slice.map((r) => r.nin);
    const [reserved, facts, awaiting] = await Promise.all([
      deps.reservations.reservedAmong(nins),
      deps.population.factsOf(nins),
      onlyNonResponders ? nonResponders(deps, projectId, version.formTaskId!, nins, now) : Promise.resolve(undefined),
    ]);
    return slice.map((r) => {
      const own: readonly ContactRecord[] = contacts.get(r.nin) ?? [];
      const decision: RecipientDecision = decideRecipient(
        {
          valid: validateNin(r.nin, { allowSynthetic: policy.allowSynthetic, checkDigits: policy.checkDigits }).ok,
          reserved: reserved.has(r.nin),
          withdrawn: withdrawn.has(r.nin),
          population: facts.get(r.nin) ?? { deceased: false, digitallyActive: true, language: 'nb', known: true },
          contacts: own,
          ...(awaiting ? { awaitingAnswer: awaiting.has(r.nin) } : {}),
        },
        rules,
      );
      return { contacts: own, decision };
    });
  });

  const current = { letterId: version.letterId, version: version.version, contentHash: version.contentHash, content: version.content };
  const toLoad = earlierVersionsReceived(
    decided.map((d) => d.contacts),
    current,
    now,
  );
  const loaded = await Promise.all(toLoad.map((v) => deps.letters.getVersion(projectId, v.letterId, v.version)));
  const earlier = new Map(loaded.flatMap((v) => (v ? [[versionKey(v.letterId, v.version), v.content] as const] : [])));
  const duplicates = detectDuplicateRounds(decided, current, earlier, { now, onlyNonResponders });
  const preflight = tallyPreflight(decided.map((d) => d.decision));

  const round: Round = {
    projectId,
    roundId: newId('rnd'),
    letterId: version.letterId,
    letterVersion: version.version,
    contentHash: version.contentHash,
    kind: version.kind,
    ...(version.formTaskId ? { formTaskId: version.formTaskId } : {}),
    listId: list.listId,
    onlyNonResponders,
    ...(input.canary ? { canary: { size: input.canary.size } } : {}),
    status: duplicates.length > 0 ? 'held' : 'ready',
    preflight,
    findings: [...duplicates, ...placeholderFindings(version.content, list.columns)],
    counts: zeroCounters(preflight.total),
    skipReasons: {},
    createdBy: principal.sub,
    createdAt: now,
    updatedAt: now,
  };
  await deps.rounds.createRound(round);
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

const loadRound = async (deps: Pick<RoundDeps, 'rounds'>, projectId: string, roundId: string): Promise<Round> => {
  const round = await deps.rounds.getRound(projectId, roundId, { consistent: true });
  if (!round) throw new NotFoundError('Round');
  return round;
};

export const getRound = async (deps: RoundDeps, principal: Principal, projectId: string, roundId: string): Promise<Round> => {
  await loadProject(deps, principal, projectId, 'read');
  return loadRound(deps, projectId, roundId);
};

export const listRounds = async (deps: RoundDeps, principal: Principal, projectId: string): Promise<Round[]> => {
  await loadProject(deps, principal, projectId, 'read');
  return deps.rounds.listRounds(projectId);
};

/** Superuser of the organisation, not the round's creator, with a written reason; audited. */
export const overrideRound = async (deps: RoundDeps, principal: Principal, projectId: string, roundId: string, reason: string): Promise<Round> => {
  await loadProject(deps, principal, projectId, 'review');
  const round = await loadRound(deps, projectId, roundId);
  const next = overridden(round, principal.sub, reason, nowIso());
  await deps.rounds.transitionRound(projectId, roundId, ['held'], 'ready', { override: next.override });
  await deps.audit.append(
    auditScope(projectId),
    auditEvent(principal, 'round.overridden', {
      roundId,
      reason,
      findings: round.findings.filter((f) => f.code === 'DUPLICATE_ROUND'),
    }),
  );
  return next;
};

const cancelNeed = (principal: Principal): keyof Access =>
  principal.role === 'researcher' ? 'edit' : principal.role === 'superuser' ? 'review' : 'pause';

/**
 * Cancels a round that has not been released: every recipient becomes cancelled. (Released rounds
 * are cancelled by the dispatch side, which turns pending deliveries into cancelled ones.)
 */
export const cancelRound = async (deps: RoundDeps, principal: Principal, projectId: string, roundId: string): Promise<Round> => {
  await loadProject(deps, principal, projectId, cancelNeed(principal));
  const round = await loadRound(deps, projectId, roundId);
  const next = cancelledBeforeRelease(round, principal.sub, nowIso());
  await deps.rounds.transitionRound(projectId, roundId, UNRELEASED, 'cancelled', {
    cancelledBy: next.cancelledBy,
    cancelledAt: next.cancelledAt,
    addCounts: { cancelled: countsView(round.counts).pending },
  });
  await deps.audit.append(auditScope(projectId), auditEvent(principal, 'round.cancelled', { roundId, from: round.status }));
  return next;
};
