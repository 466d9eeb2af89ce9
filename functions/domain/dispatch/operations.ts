import { NotFoundError } from '../../shared/errors.js';
import type { Principal } from '../../shared/principal.js';
import { confirmProjectPause, pauseProject, resumeProject } from '../projects/lifecycle.js';
import type { Project } from '../projects/project.js';
import type { ProjectFence, ProjectRepository } from '../projects/ports.js';
import { pausedInAnotherRegion, type ProjectDeps } from '../projects/use-cases.js';
import type { RoundRepository } from '../rounds/ports.js';
import { approveProject, type ApprovalInput } from '../letters/approval.js';
import { letterFingerprint, PERSONAL_LINK } from '../letters/fingerprint.js';
import type { Language } from '../letters/letter.js';
import type { LetterRepository } from '../letters/ports.js';
import type { LetterDeps } from '../letters/use-cases.js';
import { footerInfoFor, renderLetter } from '../letters/render.js';
import type { RecipientListRepository } from '../lists/ports.js';
import { ACTIVE, isReleased, type ReleasedRound, type Round } from '../rounds/round.js';
import type { DispatchControl } from '../rounds/ports.js';
import { reopenForRedrive } from '../rounds/redrive.js';
import { auditEvent, OPERATIONS_SCOPE, type AuditLog } from '../shared/audit.js';
import { batchRange, firstWindow, layoutOf, restartPoints } from './layout.js';
import type { BatchChain, BatchStore, ContactLedger, DispatchMessage, DispatchQueue, LedgerEntry } from './ports.js';

/** How long pause and halt wait for in-flight letters before answering 202. */
export const QUIET_WAIT_MS = 10_000;
/** How often they look: the in-flight section is one channel attempt and a commit. */
export const QUIET_POLL_MS = 10;

export interface ControlDeps {
  readonly batches: BatchStore;
  readonly queue: DispatchQueue;
  readonly batchSize: number;
  readonly window: number;
}

/** The engine's side of the rounds module's DispatchControl. */
export const dispatchControl = (deps: ControlDeps): DispatchControl => {
  const messages = (round: Round, batches: readonly number[], chain: boolean): DispatchMessage[] =>
    batches.map((batchNo) => ({ projectId: round.projectId, roundId: round.roundId, batchNo, ...(chain ? {} : { chain: false }) }));
  const chains = async (round: Round): Promise<BatchChain[]> => (isReleased(round) ? deps.batches.chains(round.roundId, round.release.layout.totalBatches) : []);
  const unfinished = async (round: Round): Promise<number[]> => (await chains(round)).filter((b) => !b.done).map((b) => b.batchNo);
  return {
    layout: (total, canarySize) => layoutOf(total, deps.batchSize, canarySize),
    start: (round) => deps.queue.enqueue(messages(round, firstWindow(round.release.layout, deps.window, round.canaryConfirmed === true), true)),
    async continue(round) {
      const layout = round.release.layout;
      // Until the canary is confirmed only its own batches may run; the rest waits.
      const runnable = (await chains(round)).filter((b) => b.batchNo < layout.canaryBatches || layout.canaryBatches === 0 || round.canaryConfirmed === true);
      const points = restartPoints(runnable, deps.window);
      if (points.length === 0) {
        // Every runnable batch is done, yet the round still dispatches: its last worker died between
        // its commit and completing the round (or holding it for the canary). One message for a
        // done batch finishes that (the engine completes or holds; nothing is claimed or sent).
        await deps.queue.enqueue(messages(round, [0], false));
        return 1;
      }
      await deps.queue.enqueue(messages(round, points, true));
      return points.length;
    },
    async cancelRemaining(round) {
      // Every unfinished batch at once: cancelling is quick, and these messages do not chain.
      await deps.queue.enqueue(messages(round, await unfinished(round), false));
    },
    async resetFailed(round) {
      const layout = round.release.layout;
      let recipients = 0;
      const batches: number[] = [];
      for (const batchNo of await deps.batches.batchesWithFailures(round.roundId)) {
        const moved = await deps.batches.redrive({ projectId: round.projectId, roundId: round.roundId, batchNo }, { canary: batchRange(layout, batchNo).canary });
        if (moved > 0) {
          recipients += moved;
          batches.push(batchNo);
        }
      }
      return { recipients, batches };
    },
    enqueueOnce: (round, batches) => deps.queue.enqueue(messages(round, batches, false)),
  };
};

export interface HaltState {
  readonly halted: boolean;
  readonly reason?: string;
  readonly at?: string;
  readonly by?: string;
}

export interface OperationsStatePort {
  read(): Promise<HaltState>;
  write(state: HaltState): Promise<void>;
}

export interface QueueStats {
  readonly visible: number;
  readonly inFlight: number;
  readonly deadLettered: number;
}

export interface OperationsDeps {
  readonly projects: ProjectRepository;
  /** Georedundant stages: the projects' pauses as the fence counts them (a pause given in another region may not show here yet). */
  readonly fence?: ProjectFence;
  readonly rounds: RoundRepository;
  readonly audit: AuditLog;
  readonly batches: BatchStore;
  readonly ledger: ContactLedger;
  readonly control: DispatchControl;
  readonly state: OperationsStatePort;
  /** The queues' depth and their dead-letter queues; redrive of dead-lettered messages. */
  readonly queues: { stats(): Promise<Record<string, QueueStats>>; redriveDeadLetters(): Promise<number> };
  readonly progress: (round: ReleasedRound) => Promise<{ counts: import('../rounds/round.js').Counts }>;
  readonly clock: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** The complaint lookup renders a sent letter again: its version and the recipient's row of the round's list. */
  readonly letters: Pick<LetterRepository, 'getVersion'>;
  readonly lists: Pick<RecipientListRepository, 'slice'>;
}

/**
 * Waits until nothing of the project (or, without one, of anyone) is in flight. Called after the
 * pause or halt flag is written: from then on no batch can send (each reads the flags after it
 * marks itself in flight), so once this returns 0 nothing more is delivered.
 */
export const awaitQuiet = async (deps: Pick<OperationsDeps, 'batches' | 'clock' | 'sleep'>, projectId: string | undefined, maxWaitMs = QUIET_WAIT_MS): Promise<number> => {
  const deadline = deps.clock() + maxWaitMs;
  for (;;) {
    const inFlight = await deps.batches.inFlight(projectId, deps.clock());
    if (inFlight === 0 || deps.clock() >= deadline) return inFlight;
    await deps.sleep(QUIET_POLL_MS);
  }
};

/**
 * A project's pause, end to end: the paused status written (from then on no wave of the project
 * starts: each reads it after marking itself in flight), then the answer once nothing of the
 * project is in flight — `inFlight: 0`, or the true count after QUIET_WAIT_MS.
 */
export const pauseSending = async (
  deps: ProjectDeps & { readonly operations: Pick<OperationsDeps, 'batches' | 'clock' | 'sleep'> },
  principal: Principal,
  projectId: string,
  reason: string,
): Promise<{ project: Project; inFlight: number }> => {
  // Georedundant: pauseProject records the pause in the fence before this waits on it.
  const { project, meanwhile: inFlight } = await pauseProject(deps, principal, projectId, reason, () => awaitQuiet(deps.operations, projectId));
  if (inFlight > 0 || !project.pausedAt) return { project, inFlight };
  // Quiet: from this moment nothing of the project leaves (what "0 letters since" counts from).
  const confirmed = await confirmProjectPause(deps, principal, project, new Date(deps.operations.clock()).toISOString());
  return { project: confirmed, inFlight };
};

/**
 * A project's approval (letters/approval.ts approveProject), and — when it is approved again after
 * going back to review mid-round (its link domains changed) — its parked rounds back to work: their
 * batches parked `not_approved`, and nothing else would wake them (unless all sending is halted).
 */
export const approveAndContinue = async (
  deps: LetterDeps & { readonly operations: Pick<OperationsDeps, 'state' | 'rounds' | 'control'> },
  principal: Principal,
  projectId: string,
  input: ApprovalInput,
): Promise<Awaited<ReturnType<typeof approveProject>> & { requeued: number }> => {
  const approved = await approveProject(deps, principal, projectId, input);
  const requeued = approved.project.status === 'approved' && !(await deps.operations.state.read()).halted ? await continueRounds(deps.operations, projectId) : 0;
  return { ...approved, requeued };
};

/** A project's resume: the status from before the pause, and its parked batches back to work (unless all sending is halted). */
export const resumeSending = async (
  deps: ProjectDeps & { readonly operations: Pick<OperationsDeps, 'state' | 'rounds' | 'control'> },
  principal: Principal,
  projectId: string,
): Promise<{ project: Project; requeued: number }> => {
  const project = await resumeProject(deps, principal, projectId);
  const requeued = (await deps.operations.state.read()).halted ? 0 : await continueRounds(deps.operations, projectId);
  return { project, requeued };
};

const activeRounds = async (deps: Pick<OperationsDeps, 'rounds'>, projectId?: string): Promise<ReleasedRound[]> => {
  const rounds = (await Promise.all(ACTIVE.map((s) => deps.rounds.listRoundsByStatus(s)))).flat();
  return rounds.filter((r): r is ReleasedRound => isReleased(r) && r.status !== 'cancelled' && (!projectId || r.projectId === projectId));
};

/** The dispatch side of a resume (of a project, after a halt, after a restart): parked batches go back to work. */
export const continueRounds = async (deps: Pick<OperationsDeps, 'rounds' | 'control'>, projectId?: string, skipProjects: ReadonlySet<string> = new Set()): Promise<number> => {
  let enqueued = 0;
  for (const round of await activeRounds(deps, projectId)) {
    if (skipProjects.has(round.projectId)) continue;
    // A canary round in canary_hold has nothing runnable until confirmed (continue filters that).
    enqueued += await deps.control.continue(round);
  }
  return enqueued;
};

const pausedProjects = async (deps: Pick<OperationsDeps, 'projects'>) => new Set((await deps.projects.listAllProjects()).filter((p) => p.status === 'paused').map((p) => p.projectId));

/**
 * The entry of the halt or resume that `state` records, once: keyed by the state's own time, and
 * under the operator who gave it. The state is written first (a halt never waits for the trail);
 * an operator whose press died between the two presses again, and this writes the first press's
 * entry — never a second one.
 */
const auditStateOnce = async (deps: Pick<OperationsDeps, 'audit'>, principal: Principal, state: HaltState): Promise<void> => {
  if (!state.at) return;
  // Under whoever gave it; named only when that is the operator pressing now (the state keeps no name).
  const giver: Principal = !state.by || state.by === principal.sub ? principal : { sub: state.by, role: principal.role };
  const event = state.halted ? auditEvent(giver, 'dispatch.halted', { reason: state.reason }) : auditEvent(giver, 'dispatch.resumed', {});
  await deps.audit.appendOnce(OPERATIONS_SCOPE, `${state.halted ? 'halt' : 'resume'}:${state.at}`, event);
};

export const halt = async (deps: OperationsDeps, principal: Principal, reason: string) => {
  const before = await deps.state.read();
  const state: HaltState = before.halted ? before : { halted: true, reason, at: new Date(deps.clock()).toISOString(), by: principal.sub };
  if (!before.halted) await deps.state.write(state);
  await auditStateOnce(deps, principal, state);
  const inFlight = await awaitQuiet(deps, undefined);
  return { halted: true, inFlight, haltedAt: state.at };
};

export const resumeAll = async (deps: OperationsDeps, principal: Principal) => {
  const before = await deps.state.read();
  if (!before.halted) {
    // A resume pressed again: the entry of the one that took effect, if its press died before it.
    await auditStateOnce(deps, principal, before);
    return { halted: false, requeued: 0 };
  }
  const state: HaltState = { halted: false, at: new Date(deps.clock()).toISOString(), by: principal.sub };
  await deps.state.write(state);
  await auditStateOnce(deps, principal, state);
  // Paused projects stay parked: their own resume puts them back to work.
  return { halted: false, requeued: await continueRounds(deps, undefined, await pausedProjects(deps)) };
};

/** After the queue lost its messages (the local emulator keeps them in memory), DynamoDB still knows everything.
 * @public local/platform.ts imports this module by file URL, out of knip's sight.
 */
export const recoverActiveRounds = async (deps: OperationsDeps): Promise<{ requeued: number }> => {
  if ((await deps.state.read()).halted) return { requeued: 0 };
  return { requeued: await continueRounds(deps, undefined, await pausedProjects(deps)) };
};

export const operationsStatus = async (deps: OperationsDeps) => {
  const [state, projects, inFlight, queues, active] = await Promise.all([
    deps.state.read(),
    deps.projects.listAllProjects(),
    deps.batches.inFlight(undefined, deps.clock()),
    deps.queues.stats(),
    activeRounds(deps),
  ]);
  const [rounds, heldElsewhere] = await Promise.all([Promise.all(active.map(async (r) => ({ round: r, counts: (await deps.progress(r)).counts }))), pausedInAnotherRegion(deps, projects)]);
  return {
    halted: state.halted,
    haltedAt: state.halted ? state.at : undefined,
    haltReason: state.halted ? state.reason : undefined,
    pausedProjects: [
      ...projects.filter((p) => p.status === 'paused').map((p) => ({ projectId: p.projectId, title: p.title, pausedAt: p.pausedAt, reason: p.pauseReason })),
      // Held by a pause only the fence shows here (given in another region): when and why are in that region's copy.
      ...projects.filter((p) => heldElsewhere.has(p.projectId)).map((p) => ({ projectId: p.projectId, title: p.title, pausedInAnotherRegion: true as const })),
    ],
    inFlight,
    queues,
    activeRounds: rounds.map(({ round, counts }) => ({
      projectId: round.projectId,
      roundId: round.roundId,
      status: round.status,
      counts,
      ...(round.waiting ? { waitingFor: round.waiting } : {}),
    })),
    failedDeliveries: rounds.reduce((sum, r) => sum + r.counts.failed, 0),
  };
};

/** A letter a complaint lookup shows: rendered again as it was sent, and whether its fingerprint says it is exactly that. */
export interface LookedUpLetter {
  readonly language: Language;
  readonly subject: string;
  readonly body: string;
  /** The fingerprint matches what the channel was handed (letters/fingerprint.ts): exactly this text left. */
  readonly exact: boolean;
}

/**
 * "Who contacted me, when and why?" — every decision about one citizen; the lookup itself is
 * audited by keyed hash. A letter that left is rendered again from its approved version, the
 * citizen's row of the round's list (for a guardian: the child's) and the project's footer, and
 * checked against the fingerprint kept when it left; a personal form link shows as a placeholder.
 */
export const lookupContacts = async (deps: Pick<OperationsDeps, 'ledger' | 'audit' | 'rounds' | 'projects' | 'letters' | 'lists'>, principal: Principal, nin: string, citizenRef: string) => {
  const decisions: LedgerEntry[] = await deps.ledger.decisionsAbout(nin);
  await deps.audit.append(OPERATIONS_SCOPE, auditEvent(principal, 'contacts.lookup', { citizen: citizenRef, results: decisions.length }));
  const real = decisions.filter((d) => !d.test).sort((a, b) => a.at.localeCompare(b.at));
  // Many decisions name the same round, project and letter version (a guardian's children, a
  // reminder round): each is read once per lookup.
  const memo = new Map<string, Promise<unknown>>();
  const once = <T>(key: string, read: () => Promise<T>): Promise<T> => {
    if (!memo.has(key)) memo.set(key, read());
    return memo.get(key) as Promise<T>;
  };
  const reads: SentLetterReads = {
    round: (d) => once(`r#${d.projectId}#${d.roundId}`, () => deps.rounds.getRound(d.projectId, d.roundId)),
    project: (d) => once(`p#${d.projectId}`, () => deps.projects.getProject(d.projectId)),
    version: (d) => once(`v#${d.projectId}#${d.letterId}#${d.version}`, () => deps.letters.getVersion(d.projectId, d.letterId, d.version)),
    lists: deps.lists,
  };
  const letters = await Promise.all(real.map((d) => sentLetter(reads, d).catch(() => undefined)));
  return real.map((d, i) => ({
    projectId: d.projectId,
    roundId: d.roundId,
    // The exact version the decision was about, so a complaint is answered with the text it got.
    letterId: d.letterId,
    version: d.version,
    contentHash: d.contentHash,
    at: d.at,
    outcome: d.outcome,
    ...(d.reason ? { reason: d.reason } : {}),
    ...(d.channel ? { channel: d.channel } : {}),
    ...(d.aboutChild ? { onBehalfOfMinor: true } : {}),
    ...(letters[i] ? { letter: letters[i] } : {}),
  }));
};

/** What rendering a sent letter again reads: the decision's round, project and letter version, and its list row. */
interface SentLetterReads {
  round(d: LedgerEntry): ReturnType<OperationsDeps['rounds']['getRound']>;
  project(d: LedgerEntry): ReturnType<OperationsDeps['projects']['getProject']>;
  version(d: LedgerEntry): ReturnType<OperationsDeps['letters']['getVersion']>;
  readonly lists: Pick<OperationsDeps['lists'], 'slice'>;
}

/** The letter of one `sent` decision, rendered again; undefined when it cannot be (recorded before fingerprints, list or version gone). */
const sentLetter = async (reads: SentLetterReads, d: LedgerEntry): Promise<LookedUpLetter | undefined> => {
  if (d.outcome !== 'sent' || d.row === undefined || !d.language || !d.letterHash) return undefined;
  const [round, project, version] = await Promise.all([reads.round(d), reads.project(d), reads.version(d)]);
  if (!round || !project || !version) return undefined;
  const [row] = await reads.lists.slice(round.listId, d.row, d.row + 1);
  // The row must be the person (or, for a guardian, hold the child's fields): a list is immutable,
  // so a different row means the list is not the one the letter came from.
  if (!row || (!d.aboutChild && row.nin !== d.nin)) return undefined;
  const letter = renderLetter(version, d.language, row.fields ?? {}, footerInfoFor(project), { taskLink: PERSONAL_LINK, ...(d.aboutChild ? { onBehalfOfMinor: true } : {}) });
  return { language: letter.language, subject: letter.subject, body: letter.body, exact: letterFingerprint(letter) === d.letterHash };
};

/** Failed deliveries (of one round or all) and dead-lettered messages go back to work. */
export const redrive = async (
  deps: OperationsDeps & { roundDeps: Parameters<typeof reopenForRedrive>[0] },
  principal: Principal,
  roundId?: string,
): Promise<{ redriven: { deliveries: number; messages: number }; refused: { projectId: string; roundId: string; code: string; message: string }[] }> => {
  let rounds: ReleasedRound[];
  if (roundId) {
    const all = [...(await Promise.all((['dispatching', 'canary_hold', 'completed'] as const).map((s) => deps.rounds.listRoundsByStatus(s)))).flat()];
    const found = all.find((r) => r.roundId === roundId);
    if (!found || !isReleased(found)) throw new NotFoundError('Round');
    rounds = [found as ReleasedRound];
  } else {
    rounds = (await Promise.all((['dispatching', 'completed'] as const).map((s) => deps.rounds.listRoundsByStatus(s)))).flat().filter((r): r is ReleasedRound => isReleased(r));
  }
  let deliveries = 0;
  const refused: { projectId: string; roundId: string; code: string; message: string }[] = [];
  // Per round, through release's checks: one round refused does not hold back the others.
  for (const r of rounds) {
    const result = await reopenForRedrive(deps.roundDeps, r);
    if ('refused' in result) refused.push({ projectId: r.projectId, roundId: r.roundId, code: result.refused.code, message: result.refused.message });
    else deliveries += result.reopened;
  }
  const messages = await deps.queues.redriveDeadLetters();
  await deps.audit.append(
    OPERATIONS_SCOPE,
    auditEvent(principal, 'dispatch.redriven', { roundId, deliveries, messages, ...(refused.length ? { refused: refused.map(({ roundId: id, code }) => ({ roundId: id, code })) } : {}) }),
  );
  return { redriven: { deliveries, messages }, refused };
};
