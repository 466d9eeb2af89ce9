import { DomainError, NotFoundError } from '../../shared/errors.js';
import type { Principal } from '../../shared/principal.js';
import { releaseLinkFindings } from '../letters/release-check.js';
import type { LetterVersion } from '../letters/letter.js';
import type { Project } from '../projects/project.js';
import { auditScope, loadProject } from '../projects/use-cases.js';
import { pinPseudonymKeyVersion } from '../projects/lifecycle.js';
import { auditEvent } from '../shared/audit.js';
import { nowIso } from '../shared/ids.js';
import type { RoundDeps } from './ports.js';
import { PREPARATION_CHUNK } from './preparation.js';
import { loadRound, stateChanged } from './read.js';
import { comparableRounds, crossRoundVerdict, gateRefusal, MAX_SCHEDULE_MS, relationOf, ReleaseRefusedError, ScheduleOutOfRangeError, verdictRefusal, type OtherRound } from './release.js';
import { keepListFrom } from './retention.js';
import { isReleased, type ReleasedRound, type Round, type RoundFinding } from './round.js';

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
    if (!(await deps.rounds.transitionRound(projectId, roundId, ['ready', 'scheduled'], 'scheduled', { scheduledFor, scheduledBy: principal.sub, scheduledByName: principal.name ?? null })))
      throw stateChanged();
    await keepListFrom(deps, projectId, round.listId, scheduledFor);
    await deps.audit.append(auditScope(projectId), auditEvent(principal, 'round.scheduled', { roundId, scheduledFor }));
    return { roundId, status: 'scheduled', scheduledFor };
  }
  await startRelease(deps, principal, project, round);
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
const startRelease = async (deps: RoundDeps, by: { sub: string; name?: string | undefined }, project: Project, round: Round): Promise<ReleasedRound> => {
  await checkGates(deps, project, round);
  const version = (await deps.letters.getVersion(project.projectId, round.letterId, round.letterVersion))!;
  const list = await deps.lists.getList(project.projectId, round.listId);
  if (!list) throw new NotFoundError('Recipient list');
  const recipients = { listId: round.listId, rows: list.accepted };
  // The project's first release pins the key version its pseudonyms are made under, before any letter (or task) exists.
  if (project.pseudonymKeyVersion === undefined) await pinPseudonymKeyVersion(deps, project.projectId, deps.hashKeys().current);
  for (let attempt = 0; attempt < 8; attempt++) {
    const seq = await deps.rounds.releaseSeq(project.projectId);
    const others = await otherRounds(deps, project.projectId, round, version, recipients);
    const verdict = crossRoundVerdict(others, round.override !== undefined);
    const refusal = verdictRefusal(verdict, { overlapping: '; release when it is done', duplicate: '; a superuser must override the hold' });
    if (verdict.kind === 'duplicate') {
      await deps.rounds.transitionRound(project.projectId, round.roundId, ['ready', 'scheduled'], 'held', {
        findings: [...verdict.findings, ...round.findings.filter((f) => f.code !== 'DUPLICATE_ROUND')],
        scheduledFor: null,
      });
    }
    if (refusal) throw refusal;
    const release = {
      releasedBy: by.sub,
      ...(by.name ? { releasedByName: by.name } : {}),
      releasedAt: nowIso(),
      layout: deps.dispatch.layout(list.accepted, round.canary?.size),
      hashKeyVersion: deps.hashKeys().current,
    };
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
export const otherRounds = async (deps: RoundDeps, projectId: string, self: Round, version: LetterVersion, recipients: ListRef): Promise<OtherRound[]> => {
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
  const sent = await deps.contacts.sentByProject(
    projectId,
    related.map((r) => r.round.roundId),
  );
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
    await startRelease(deps, { sub: round.scheduledBy ?? 'scheduler', name: round.scheduledByName }, project, round);
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
