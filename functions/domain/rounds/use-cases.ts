import { DEFAULT_RETENTION, retentionFor, type RetentionPolicy } from '../shared/retention.js';
import { DomainError, NotFoundError } from '../../shared/errors.js';
import type { Principal } from '../../shared/principal.js';
import { RegistryUnavailableError, type CitizenFactsReader } from '../citizens/registries.js';
import { IN_DOUBT } from '../dispatch/batch.js';
import type { ContactRecord } from '../dispatch/ports.js';
import { releaseLinkFindings } from '../letters/release-check.js';
import { placeholdersIn } from '../letters/content.js';
import { nonResponders } from '../letters/form-tasks.js';
import type { Language, LetterContentByLanguage, LetterVersion } from '../letters/letter.js';
import type { CitizenTaskRepository, FormTaskRepository, LetterRepository, LinkProber } from '../letters/ports.js';
import type { RecipientListRepository } from '../lists/ports.js';
import type { Recipient } from '../lists/recipient-list.js';
import { validateNin, type CheckDigitRule } from '../shared/nin.js';
import type { ProjectRepository } from '../projects/ports.js';
import type { Access, Project } from '../projects/project.js';
import { auditScope, loadProject } from '../projects/use-cases.js';
import { auditEvent, sealAuditHead, type AuditLog, type AuditSeal } from '../shared/audit.js';
import { newId, nowIso } from '../shared/ids.js';
import type { RoundContacts, RoundProgressReader, RoundRepository } from './ports.js';
import { tallyReach } from './reach.js';
import { decideRecipient, detectDuplicateRounds, earlierVersionsReceived, emptyPreflight, languageFindings, tallyPreflightWithMinors, versionKey, wantedLanguage, withMinorsRoute, type RecipientDecision } from './preflight.js';
import { chunkCount, chunkRange, mergeChunks, PREPARATION_CHUNK, PREPARE_INLINE_MAX, wantedLanguages, type ChunkSummary } from './preparation.js';
import { routeWithFacts } from '../citizens/minors.js';
import { effectiveMinorsPolicy } from '../projects/minors-policy.js';
import {
  comparableRounds,
  crossRoundVerdict,
  gateRefusal,
  MAX_SCHEDULE_MS,
  sendingRefusal,
  relationOf,
  ReleaseRefusedError,
  ScheduleOutOfRangeError,
  type OtherRound,
} from './release.js';
import {
  ACTIVE,
  isReleased,
  overrideOf,
  RoundStateError,
  unreleasedCounts,
  type Counts,
  type ReleasedRound,
  type Round,
  type RoundFinding,
  type RoundLayout,
  type RoundViewStatus,
  type Waiting,
} from './round.js';

/** What the rounds module asks of the dispatch engine: put a released round's batches to work. */
export interface DispatchControl {
  layout(total: number, canarySize?: number): RoundLayout;
  /** The first window of batches on the queue (release, schedule fire). */
  start(round: ReleasedRound): Promise<void>;
  /** Unfinished batches back to work (resume, confirm canary, recovery); returns messages enqueued. */
  continue(round: ReleasedRound): Promise<number>;
  /** Every unfinished batch once, so its pending recipients are counted cancelled. */
  cancelRemaining(round: Round): Promise<void>;
  /** failed → pending in every batch of the round; returns the recipients moved and their batches. */
  resetFailed(round: ReleasedRound): Promise<{ recipients: number; batches: number[] }>;
  /** These batches on the queue once each (no chaining). */
  enqueueOnce(round: ReleasedRound, batches: readonly number[]): Promise<void>;
}

export interface RoundDeps {
  readonly projects: ProjectRepository;
  readonly audit: AuditLog;
  readonly rounds: RoundRepository;
  readonly letters: LetterRepository;
  readonly lists: RecipientListRepository;
  readonly citizens: CitizenFactsReader;
  readonly contacts: RoundContacts;
  readonly formTasks: FormTaskRepository;
  readonly citizenTasks: CitizenTaskRepository;
  readonly progress: RoundProgressReader;
  readonly prober: LinkProber;
  readonly dispatch: DispatchControl;
  /** Chunks of background pre-flights (lists above PREPARE_INLINE_MAX rows). */
  readonly prepareQueue: PrepareQueue;
  readonly halted: () => Promise<boolean>;
  /** How long lists and rounds are kept (RETENTION_DAYS, RETENTION_LONG_DAYS); the defaults when absent. */
  readonly retention?: RetentionPolicy;
}

/**
 * A list lives while a round uses it: each step of a round that will read it (creation, release
 * now or at a time, completion) keeps it at least the retention period from that step, rows and
 * record together, never shortening it.
 */
const keepListFrom = (deps: Pick<RoundDeps, 'lists' | 'retention'>, projectId: string, listId: string, from: string | Date) =>
  deps.lists.extendRetention(projectId, listId, retentionFor('listRows', from, deps.retention ?? DEFAULT_RETENTION));

/** A round's record (and the board's report of it) is kept the long period from its end. */
const roundKeptUntil = (deps: Pick<RoundDeps, 'retention'>, endedAt: string) => retentionFor('roundReport', endedAt, deps.retention ?? DEFAULT_RETENTION);

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
    ...(input.canary ? { canary: { size: input.canary.size } } : {}),
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

/** What every chunk of one round's pre-flight is decided against. */
interface ChunkContext {
  readonly project: Project;
  readonly version: LetterVersion;
  readonly onlyNonResponders: boolean;
  /** The round's creation time: every chunk decides as of then, whenever it runs. */
  readonly now: string;
  readonly policy: RoundPolicy;
}

/** The project's other (real) rounds: whose letters count as contacts. */
const otherRoundIds = async (deps: Pick<RoundDeps, 'rounds'>, projectId: string, self: string) =>
  (await deps.rounds.listRounds(projectId)).filter((r) => !r.test && r.roundId !== self).map((r) => r.roundId);

/** One chunk of the pre-flight: one bulk read per registry for its recipients, decided and counted. */
const evaluateChunk = async (
  deps: RoundDeps,
  ctx: ChunkContext,
  contacts: ReadonlyMap<string, ContactRecord[]>,
  chunk: number,
  slice: readonly Recipient[],
): Promise<ChunkSummary> => {
  const { project, version, onlyNonResponders, now, policy } = ctx;
  const projectId = project.projectId;
  const minors = effectiveMinorsPolicy(project);
  const rules = { contentHash: version.contentHash, frequencyCap: project.settings.frequencyCap, onlyNonResponders, now };
  const nins = slice.map((r) => r.nin);
  const [facts, awaiting] = await Promise.all([
    deps.citizens.factsOf(nins, projectId),
    onlyNonResponders ? nonResponders(deps, projectId, version.formTaskId!, nins, now) : Promise.resolve(undefined),
  ]);
  // The minors rule as it will apply at send time (guardians read once per chunk).
  const routes = await routeWithFacts(deps.citizens, { projectId, nins, facts, policy: minors, at: new Date(now), rules: { allowSynthetic: policy.allowSynthetic, checkDigits: policy.checkDigits } });
  const decided = slice.map((r) => {
    const own: readonly ContactRecord[] = contacts.get(r.nin) ?? [];
    const f = facts.get(r.nin);
    const decision: RecipientDecision = decideRecipient(
      {
        valid: validateNin(r.nin, { allowSynthetic: policy.allowSynthetic, checkDigits: policy.checkDigits }).ok,
        reserved: f?.reservedResearch ?? false,
        withdrawn: f?.withdrawn ?? false,
        population: { deceased: f?.deceased ?? false, known: f?.known ?? false },
        contacts: own,
        ...(awaiting ? { awaitingAnswer: awaiting.has(r.nin) } : {}),
      },
      rules,
    );
    return { contacts: own, decision, route: routes.get(r.nin), facts: f, language: wantedLanguage(r.language, f?.language) };
  });

  const current = { letterId: version.letterId, version: version.version, contentHash: version.contentHash, content: version.content };
  const toLoad = earlierVersionsReceived(
    decided.map((d) => d.contacts),
    current,
    now,
  );
  const loaded = await Promise.all(toLoad.map((v) => deps.letters.getVersion(projectId, v.letterId, v.version)));
  const earlier = new Map(loaded.flatMap((v) => (v ? [[versionKey(v.letterId, v.version), v.content] as const] : [])));
  const wanted: Record<Language, number> = { nb: 0, nn: 0, en: 0 };
  for (const d of decided) if (withMinorsRoute(d.decision, d.route).outcome === 'send') wanted[d.language]++;
  return {
    chunk,
    rows: slice.length,
    preflight: { ...tallyPreflightWithMinors(decided, minors), reach: tallyReach(decided, project.settings.distributionRule, version.content) },
    wanted,
    duplicates: detectDuplicateRounds(decided, current, earlier, { now, onlyNonResponders }),
  };
};

/** The round's pre-flight and findings from its chunks' summaries (one per chunk). */
const preparedResult = (summaries: readonly ChunkSummary[], ctx: ChunkContext, columns: readonly string[]) => {
  const merged = mergeChunks(summaries, effectiveMinorsPolicy(ctx.project));
  const findings: RoundFinding[] = [...merged.duplicates, ...placeholderFindings(ctx.version.content, columns), ...languageFindings(wantedLanguages(merged.wanted), ctx.version.content)];
  return { preflight: merged.preflight, findings };
};

/** A queued chunk of a background pre-flight. */
export interface PrepareMessage {
  readonly projectId: string;
  readonly roundId: string;
  readonly chunk: number;
}

export interface PrepareQueue {
  enqueue(messages: readonly PrepareMessage[], opts?: { delaySeconds?: number }): Promise<void>;
}

export type PrepareOutcome =
  | { readonly kind: 'dropped'; readonly why: string }
  | { readonly kind: 'stored' | 'already_stored' }
  | { readonly kind: 'finished'; readonly status: 'ready' | 'held' }
  | { readonly kind: 'waiting'; readonly registry: string; readonly retryInMs: number };

/** How long a chunk waits for a registry that could not be read before it tries again. */
const REGISTRY_RETRY_MS = 5_000;

/**
 * One chunk of a background pre-flight (the prepare queue's consumer). Its result is stored once
 * (a redelivered or retried chunk finds it stored and adds nothing); whichever chunk finds all of
 * them stored sums them and moves the round preparing → ready|held by one conditional transition,
 * so a crash anywhere in between is finished by the next delivery. A registry that cannot be read
 * leaves the chunk unstored: the round shows `waitingFor` and the chunk comes back later.
 */
export const prepareChunk = async (deps: RoundDeps, policy: RoundPolicy, m: PrepareMessage): Promise<PrepareOutcome> => {
  const round = await deps.rounds.getRound(m.projectId, m.roundId, { consistent: true });
  if (!round || round.status !== 'preparing' || !round.preparation) return { kind: 'dropped', why: round ? round.status : 'gone' };
  const prep = round.preparation;
  if (m.chunk < 0 || m.chunk >= prep.chunks) return { kind: 'dropped', why: 'no such chunk' };
  const project = await deps.projects.getProject(m.projectId, { consistent: true });
  const version = await deps.letters.getVersion(m.projectId, round.letterId, round.letterVersion);
  const list = await deps.lists.getList(m.projectId, round.listId);
  if (!project || !version || !list) throw new NotFoundError('Round preparation input');
  const ctx: ChunkContext = { project, version, onlyNonResponders: round.onlyNonResponders, now: round.createdAt, policy };
  const { start, end } = chunkRange(m.chunk, prep.total);
  let summary: ChunkSummary;
  try {
    // Only this chunk's citizens' contacts: never the project's whole ledger once per chunk.
    const [slice, roundIds] = await Promise.all([deps.lists.slice(round.listId, start, end), otherRoundIds(deps, m.projectId, m.roundId)]);
    const contacts = await deps.contacts.contactsIn(
      slice.map((r) => r.nin),
      m.projectId,
      roundIds,
    );
    summary = await evaluateChunk(deps, ctx, contacts, m.chunk, slice);
  } catch (e) {
    if (!(e instanceof RegistryUnavailableError)) throw e;
    if (prep.waiting?.registry !== e.registry) await deps.rounds.setPreparationWaiting(m.projectId, m.roundId, { registry: e.registry, since: nowIso() });
    return { kind: 'waiting', registry: e.registry, retryInMs: e.retryAfterMs ?? REGISTRY_RETRY_MS };
  }
  if (prep.waiting) await deps.rounds.setPreparationWaiting(m.projectId, m.roundId, undefined);
  const stored = await deps.rounds.recordPreparedChunk(m.projectId, m.roundId, m.chunk, summary);
  const finished = await finishPreparation(deps, round, ctx, list.columns);
  return finished ?? { kind: stored ? 'stored' : 'already_stored' };
};

const preparer = { sub: 'preparation', role: 'operations' as const, name: 'Background pre-flight' };

const finishPreparation = async (deps: RoundDeps, round: Round, ctx: ChunkContext, columns: readonly string[]): Promise<PrepareOutcome | undefined> => {
  const prep = round.preparation!;
  // The round's own progress (one item) says whether every chunk is in: the stored results are read
  // once, by the chunk that completes the count, never after every chunk (quadratic in chunks).
  const now = await deps.rounds.getRound(round.projectId, round.roundId, { consistent: true });
  if (!now || now.status !== 'preparing' || (now.preparation?.checked ?? 0) < prep.total) return undefined;
  const byChunk = new Map((await deps.rounds.preparedChunks(round.projectId, round.roundId)).map((s) => [s.chunk, s]));
  if (byChunk.size < prep.chunks) return undefined;
  const { preflight, findings } = preparedResult([...byChunk.values()], ctx, columns);
  const status = findings.some((f) => f.code === 'DUPLICATE_ROUND') ? 'held' : 'ready';
  const done = { total: prep.total, checked: prep.total, chunks: prep.chunks, chunkSize: prep.chunkSize };
  if (!(await deps.rounds.transitionRound(round.projectId, round.roundId, ['preparing'], status, { preflight, findings, preparation: done }))) return undefined;
  await deps.audit.append(auditScope(round.projectId), auditEvent(preparer, 'round.prepared', { roundId: round.roundId, status, preflight, findings: findings.map((f) => f.code) }));
  return { kind: 'finished', status };
};

const loadRound = async (deps: Pick<RoundDeps, 'rounds'>, projectId: string, roundId: string): Promise<Round> => {
  const round = await deps.rounds.getRound(projectId, roundId, { consistent: true });
  if (!round) throw new NotFoundError('Round');
  return round;
};

/** A round as the API shows it: live counts (exact whenever read) and `paused` for a paused project's active round. */
export interface RoundWithCounts {
  readonly round: Round;
  readonly status: RoundViewStatus;
  readonly counts: Counts;
  readonly skipReasons: Readonly<Record<string, number>>;
  /** Failed recipients by reason; `in_doubt`: a letter that may exist and is never re-sent. */
  readonly failureReasons?: Readonly<Record<string, number>>;
}

export const withCounts = async (deps: Pick<RoundDeps, 'progress'>, round: Round, project: Pick<Project, 'status'>): Promise<RoundWithCounts> => {
  if (!isReleased(round)) return { round, status: round.status, counts: unreleasedCounts(round), skipReasons: {} };
  // A completed round's counts are kept on it: they outlive the counter shards.
  if (round.status === 'completed' && round.finalCounts) return { round, status: round.status, ...round.finalCounts };
  const { counts, skipReasons, failureReasons } = await deps.progress.progress(round.roundId, round.release.layout.total);
  const status: RoundViewStatus = project.status === 'paused' && ACTIVE.includes(round.status) && counts.pending > 0 ? 'paused' : round.status;
  return { round, status, counts, skipReasons, ...(failureReasons ? { failureReasons } : {}) };
};

export const getRound = async (deps: RoundDeps, principal: Principal, projectId: string, roundId: string): Promise<RoundWithCounts> => {
  const project = await loadProject(deps, principal, projectId, 'read');
  return withCounts(deps, await loadRound(deps, projectId, roundId), project);
};

export const listRounds = async (deps: RoundDeps, principal: Principal, projectId: string): Promise<RoundWithCounts[]> => {
  const project = await loadProject(deps, principal, projectId, 'read');
  const rounds = (await deps.rounds.listRounds(projectId)).filter((r) => !r.test);
  return Promise.all(rounds.map((r) => withCounts(deps, r, project)));
};

/** Superuser of the organisation, not the round's creator, with a written reason; audited. */
export const overrideRound = async (deps: RoundDeps, principal: Principal, projectId: string, roundId: string, reason: string): Promise<RoundWithCounts> => {
  const project = await loadProject(deps, principal, projectId, 'review');
  const round = await loadRound(deps, projectId, roundId);
  const override = overrideOf(round, principal.sub, reason, nowIso());
  if (!(await deps.rounds.transitionRound(projectId, roundId, ['held'], 'ready', { override }))) throw stateChanged();
  await deps.audit.append(
    auditScope(projectId),
    auditEvent(principal, 'round.overridden', { roundId, reason, findings: round.findings.filter((f) => f.code === 'DUPLICATE_ROUND') }),
  );
  return withCounts(deps, await loadRound(deps, projectId, roundId), project);
};

const stateChanged = () => new RoundStateError('ROUND_STATE_CHANGED', 'The round changed status in the meantime; reload it and try again');

const cancelNeed = (principal: Principal): keyof Access =>
  principal.role === 'researcher' ? 'edit' : principal.role === 'superuser' ? 'review' : 'pause';

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


/**
 * Release, now or at a time. Every gate is checked here, and again when a schedule fires; the
 * cross-round rules are checked and the transition made under the project's release sequence, so
 * two releases at the same moment cannot both pass.
 */
export const releaseRound = async (
  deps: RoundDeps,
  principal: Principal,
  projectId: string,
  roundId: string,
  opts: { at?: string } = {},
): Promise<{ roundId: string; status: 'dispatching' | 'scheduled'; scheduledFor?: string }> => {
  const project = await loadProject(deps, principal, projectId, 'edit');
  const round = await loadRound(deps, projectId, roundId);
  if (opts.at !== undefined) {
    const when = Date.parse(opts.at);
    const now = Date.now();
    if (!Number.isFinite(when) || when <= now) throw new ScheduleOutOfRangeError('A scheduled release must lie in the future');
    if (when - now > MAX_SCHEDULE_MS) throw new ScheduleOutOfRangeError('A release can be scheduled at most one year ahead');
    await checkGates(deps, project, round);
    const scheduledFor = new Date(when).toISOString();
    if (!(await deps.rounds.transitionRound(projectId, roundId, ['ready', 'scheduled'], 'scheduled', { scheduledFor, scheduledBy: principal.sub }))) throw stateChanged();
    await keepListFrom(deps, projectId, round.listId, scheduledFor);
    await deps.audit.append(auditScope(projectId), auditEvent(principal, 'round.scheduled', { roundId, scheduledFor }));
    return { roundId, status: 'scheduled', scheduledFor };
  }
  await startRelease(deps, principal.sub, project, round);
  await deps.audit.append(auditScope(projectId), auditEvent(principal, 'round.released', { roundId, letterId: round.letterId, letterVersion: round.letterVersion }));
  return { roundId, status: 'dispatching' };
};

const checkGates = async (deps: RoundDeps, project: Project, round: Round): Promise<void> => {
  const version = await deps.letters.getVersion(project.projectId, round.letterId, round.letterVersion);
  const refusal = gateRefusal({
    halted: await deps.halted(),
    project,
    version,
    // Approval and release always probe live, never from the check's cache.
    // The letter's links and an external form's URL, probed live.
    liveLinkFindings: version ? await releaseLinkFindings({ prober: deps.prober, formTasks: deps.formTasks }, project, version) : [],
    round,
  });
  if (refusal) throw refusal;
};

/** The cross-round rules and the transition, retried when another release of the project raced us. */
const startRelease = async (deps: RoundDeps, by: string, project: Project, round: Round): Promise<ReleasedRound> => {
  await checkGates(deps, project, round);
  const version = (await deps.letters.getVersion(project.projectId, round.letterId, round.letterVersion))!;
  const list = await deps.lists.getList(project.projectId, round.listId);
  if (!list) throw new NotFoundError('Recipient list');
  const recipients = { listId: round.listId, rows: list.accepted };
  for (let attempt = 0; attempt < 8; attempt++) {
    const seq = await deps.rounds.releaseSeq(project.projectId);
    const others = await otherRounds(deps, project.projectId, round, version, recipients);
    const verdict = crossRoundVerdict(others, round.override !== undefined);
    if (verdict.kind === 'overlapping') {
      throw new ReleaseRefusedError('OVERLAPPING_ROUND_ACTIVE', `Round ${verdict.roundId} is still sending the same or near-identical letter to ${verdict.overlap} of these recipients; release when it is done`, {
        roundId: verdict.roundId,
        overlap: verdict.overlap,
      });
    }
    if (verdict.kind === 'duplicate') {
      await deps.rounds.transitionRound(project.projectId, round.roundId, ['ready', 'scheduled'], 'held', { findings: [...verdict.findings, ...round.findings.filter((f) => f.code !== 'DUPLICATE_ROUND')], scheduledFor: null });
      throw new ReleaseRefusedError('DUPLICATE_ROUND', 'Recipients already got, or are being sent, an earlier or near-identical version of this letter; a superuser must override the hold', verdict.findings);
    }
    const release = { releasedBy: by, releasedAt: nowIso(), layout: deps.dispatch.layout(list.accepted, round.canary?.size) };
    const result = await deps.rounds.releaseRound(project.projectId, round.roundId, ['ready', 'scheduled'], release, seq);
    if (result === 'round_changed') throw new ReleaseRefusedError('ROUND_NOT_READY', 'The round changed meanwhile (released or cancelled by someone else)');
    if (result === 'raced') continue;
    const released = (await loadRound(deps, project.projectId, round.roundId)) as ReleasedRound;
    await keepListFrom(deps, project.projectId, round.listId, release.releasedAt);
    await deps.dispatch.start(released);
    return released;
  }
  throw new ReleaseRefusedError('ROUND_NOT_READY', 'Other releases of the project kept changing; try again');
};

/** A round's list as release reads it: by slices, never whole. */
interface ListRef {
  readonly listId: string;
  readonly rows: number;
}

/** Calls `fn` with the list's IDs one slice (PREPARATION_CHUNK rows) at a time. */
const forEachSlice = async (deps: Pick<RoundDeps, 'lists'>, list: ListRef, fn: (nins: readonly string[]) => void): Promise<void> => {
  for (let start = 0; start < list.rows; start += PREPARATION_CHUNK) {
    fn((await deps.lists.slice(list.listId, start, Math.min(list.rows, start + PREPARATION_CHUNK))).map((r) => r.nin));
  }
};

/**
 * The project's other rounds this release must be weighed against. The list is read only when a
 * related round exists (same or near-identical content), and then slice by slice: release never
 * holds a national list in memory (issue 22, item 3), except the IDs of another round's list while
 * that round is still sending to a different list.
 */
const otherRounds = async (deps: RoundDeps, projectId: string, self: Round, version: LetterVersion, recipients: ListRef): Promise<OtherRound[]> => {
  const candidates = comparableRounds(await deps.rounds.listRounds(projectId), self);
  const out: OtherRound[] = [];
  const related: { round: Round; relation: OtherRound['relation']; similarity: number }[] = [];
  for (const r of candidates) {
    const v = await deps.letters.getVersion(projectId, r.letterId, r.letterVersion);
    if (!v) continue;
    const { relation, similarity } = relationOf(version, v);
    if (relation !== 'unrelated') related.push({ round: r, relation, similarity });
  }
  if (related.length === 0) return out;
  const sent = await deps.contacts.sentByProject(projectId, related.map((r) => r.round.roundId));
  const sentIn = new Map<string, number>();
  await forEachSlice(deps, recipients, (nins) => {
    for (const nin of nins) for (const rec of sent.get(nin) ?? []) sentIn.set(rec.roundId, (sentIn.get(rec.roundId) ?? 0) + 1);
  });
  for (const { round, relation, similarity } of related) {
    const progress = isReleased(round) ? await deps.progress.progress(round.roundId, round.release.layout.total) : undefined;
    const active = (round.status === 'dispatching' || round.status === 'canary_hold') && (progress?.counts.pending ?? 0) > 0;
    let listOverlap = 0;
    if (active) {
      if (round.listId === self.listId) listOverlap = recipients.rows;
      else {
        const theirs = new Set<string>();
        const their = await deps.lists.getList(projectId, round.listId);
        await forEachSlice(deps, { listId: round.listId, rows: their?.accepted ?? 0 }, (nins) => nins.forEach((n) => theirs.add(n)));
        await forEachSlice(deps, recipients, (nins) => {
          for (const n of nins) if (theirs.has(n)) listOverlap++;
        });
      }
    }
    out.push({ round, relation, similarity, active, listOverlap, sentOverlap: sentIn.get(round.roundId) ?? 0 });
  }
  return out;
};

/**
 * A schedule fires: every gate is checked again. A refusal puts the round back to `ready` (or
 * `held`) with the reason as a finding, and is audited; nothing is sent.
 */
export const fireScheduled = async (deps: RoundDeps, round: Round, now = Date.now()): Promise<'released' | 'refused' | 'not_due'> => {
  if (round.status !== 'scheduled' || !round.scheduledFor || Date.parse(round.scheduledFor) > now) return 'not_due';
  const project = await deps.projects.getProject(round.projectId, { consistent: true });
  if (!project) return 'refused';
  const scheduler = { sub: 'scheduler', role: 'operations' as const, name: 'Scheduled release' };
  try {
    await startRelease(deps, round.scheduledBy ?? 'scheduler', project, round);
    await deps.audit.append(auditScope(round.projectId), auditEvent(scheduler, 'round.released', { roundId: round.roundId, scheduledFor: round.scheduledFor, scheduledBy: round.scheduledBy }));
    return 'released';
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    const finding: RoundFinding = { code: 'SCHEDULED_RELEASE_REFUSED', severity: 'error', message: error.message, refusal: error.code, at: new Date(now).toISOString() };
    const current = await loadRound(deps, round.projectId, round.roundId);
    if (current.status === 'scheduled') {
      await deps.rounds.transitionRound(round.projectId, round.roundId, ['scheduled'], 'ready', { findings: [...current.findings, finding], scheduledFor: null });
    }
    await deps.audit.append(auditScope(round.projectId), auditEvent(scheduler, 'round.schedule_refused', { roundId: round.roundId, code: error.code }));
    return 'refused';
  }
};

/** Fires every due schedule (EventBridge Scheduler's tick when deployed, a timer locally). */
export const fireDueSchedules = async (deps: RoundDeps, now = Date.now()): Promise<{ released: number; refused: number }> => {
  let released = 0;
  let refused = 0;
  for (const round of await deps.rounds.listRoundsByStatus('scheduled')) {
    const r = await fireScheduled(deps, round, now);
    if (r === 'released') released++;
    if (r === 'refused') refused++;
  }
  return { released, refused };
};

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

/** The rounds module's side of the engine: it owns these status changes. */
export const roundLifecycle = (deps: Pick<RoundDeps, 'rounds' | 'audit' | 'lists' | 'progress' | 'retention'> & { readonly auditSeal: AuditSeal }) => ({
  /**
   * dispatching → completed, once, with its final counts and the long retention of its record;
   * its list is kept the retention period from now. Then the project's audit head — now including
   * the completion — is sealed in the write-once store, and kept on the round for its report.
   * Sealing the same head again is harmless, so a retry after a failed seal is safe.
   */
  async complete(projectId: string, roundId: string, at: string): Promise<boolean> {
    const round = await deps.rounds.getRound(projectId, roundId, { consistent: true });
    if (!round || !isReleased(round)) return false;
    const finalCounts = await deps.progress.progress(roundId, round.release.layout.total);
    const moved = await deps.rounds.transitionRound(projectId, roundId, ['dispatching'], 'completed', {
      completedAt: at,
      expiresAt: roundKeptUntil(deps, at),
      finalCounts: { counts: finalCounts.counts, skipReasons: finalCounts.skipReasons, ...(finalCounts.failureReasons ? { failureReasons: finalCounts.failureReasons } : {}) },
    });
    if (!moved) return false;
    await keepListFrom(deps, projectId, round.listId, at);
    await deps.audit.append(auditScope(projectId), { at, actor: 'dispatch', role: 'system', action: 'round.completed', details: { roundId } });
    const sealed = await sealAuditHead(deps, projectId, `round ${roundId} completed`, at);
    await deps.rounds.setAuditHead(projectId, roundId, sealed.head);
    return true;
  },
  async holdForCanary(projectId: string, roundId: string, at: string): Promise<boolean> {
    const moved = await deps.rounds.transitionRound(projectId, roundId, ['dispatching'], 'canary_hold');
    if (moved) await deps.audit.append(auditScope(projectId), { at, actor: 'dispatch', role: 'system', action: 'round.canary_done', details: { roundId } });
    return moved;
  },
  noteWaiting: (projectId: string, roundId: string, waiting: Waiting | undefined) => deps.rounds.setWaiting(projectId, roundId, waiting),
  projectRounds: async (projectId: string, releaseSeq: number) => {
    const key = `${projectId}#${releaseSeq}`;
    const kept = releasedRoundsBySeq.get(key);
    if (kept) return kept;
    const released = (await deps.rounds.listRounds(projectId)).filter(isReleased);
    if (releasedRoundsBySeq.size >= RELEASED_ROUNDS_KEPT) releasedRoundsBySeq.delete(releasedRoundsBySeq.keys().next().value!);
    releasedRoundsBySeq.set(key, released);
    return released;
  },
});

/**
 * Per container: the released rounds of a project by its release sequence (every batch of a
 * round needs them; they change only when the sequence moves). Bounded, oldest first out.
 */
const releasedRoundsBySeq = new Map<string, Round[]>();
const RELEASED_ROUNDS_KEPT = 200;

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
  const verdict = crossRoundVerdict(await otherRounds(deps, project.projectId, round, version, { listId: round.listId, rows: list.accepted }), round.override !== undefined);
  if (verdict.kind === 'overlapping') {
    return new ReleaseRefusedError('OVERLAPPING_ROUND_ACTIVE', `Round ${verdict.roundId} is still sending the same or near-identical letter to ${verdict.overlap} of these recipients`, { roundId: verdict.roundId, overlap: verdict.overlap });
  }
  if (verdict.kind === 'duplicate') return new ReleaseRefusedError('DUPLICATE_ROUND', 'Recipients already got, or are being sent, an earlier or near-identical version of this letter', verdict.findings);
  return undefined;
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
  const refused = await redriveRefusal(deps, round);
  if (refused) return { refused };
  return { reopened: await reopenChecked(deps, round) };
};

const reopenChecked = async (deps: Pick<RoundDeps, 'rounds' | 'dispatch'>, round: ReleasedRound): Promise<number> => {
  const { recipients, batches } = await deps.dispatch.resetFailed(round);
  if (recipients === 0) return 0;
  // Reopened before the batches are queued, so no worker finds the round completed and parks them.
  if (round.status === 'completed') await deps.rounds.transitionRound(round.projectId, round.roundId, ['completed'], 'dispatching');
  await deps.dispatch.enqueueOnce(round, batches);
  return recipients;
};


/**
 * Letters of the project handed over after `since`, counted from their delivery times in the
 * contact ledger (not the round counters, which catch up later): how a pause shows "0 letters
 * since". Operations read any project (their access is `read`).
 */
export const lettersSentSince = async (deps: RoundDeps, principal: Principal, projectId: string, since: string): Promise<{ since: string; sent: number; lastSentAt?: string }> => {
  await loadProject(deps, principal, projectId, 'read');
  const released = (await deps.rounds.listRounds(projectId)).filter((r) => !r.test && r.release !== undefined).map((r) => r.roundId);
  const { sent, lastSentAt } = released.length ? await deps.contacts.sentSince(projectId, released, since) : { sent: 0, lastSentAt: undefined };
  return { since, sent, ...(lastSentAt ? { lastSentAt } : {}) };
};
