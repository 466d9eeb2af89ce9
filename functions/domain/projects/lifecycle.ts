import { ConflictError, NotFoundError, ValidationError } from '../../shared/errors.js';
import type { Principal } from '../../shared/principal.js';
import { auditEvent, verifyWithLatestSeal, type AuditEvent, type AuditSeal, type ChainedAuditEvent, type SealedVerification } from '../shared/audit.js';
import { newId, nowIso } from '../shared/ids.js';
import { approvedMinorsPolicy, minorsPolicyOf, minorsPolicyPending, withMinorsPolicy } from './minors-policy.js';
import {
  brakeOf,
  confirmPause,
  pause,
  ProjectStateError,
  reject,
  resume,
  submit,
  type BrakeSettings,
  type DistributionRule,
  type MinorsPolicy,
  type Project,
  type ProjectSettings,
  type Purpose,
} from './project.js';
import { auditScope, loadProject, validLinkDomains, type ProjectDeps } from './use-cases.js';
import { sameDomains } from './link-domains.js';

/**
 * Reads (with `load`), changes and writes a project conditionally on the revision it read,
 * retrying when someone wrote in between (the change is re-derived from the fresh state each time).
 */
const changeProject = async (deps: Pick<ProjectDeps, 'projects'>, load: () => Promise<Project>, change: (p: Project, now: string) => Project): Promise<{ before: Project; after: Project }> => {
  for (let attempt = 0; ; attempt++) {
    const before = await load();
    const after = change(before, nowIso());
    if (after === before) return { before, after };
    try {
      await deps.projects.saveProject(after, before.revision);
      return { before, after: { ...after, revision: before.revision + 1 } };
    } catch (e) {
      if (!(e instanceof ConflictError && e.code === 'CONCURRENT_UPDATE') || attempt >= 4) throw e;
    }
  }
};

/** A project change by `principal`, who must have `need` access to it (changeProject). */
export const updateProject = async (
  deps: Pick<ProjectDeps, 'projects'>,
  principal: Principal,
  projectId: string,
  need: Parameters<typeof loadProject>[3],
  change: (p: Project, now: string) => Project,
): Promise<{ before: Project; after: Project }> => changeProject(deps, () => loadProject(deps, principal, projectId, need, { consistent: true }), change);

/**
 * Pins the key version the project's pseudonyms are made under (Project.pseudonymKeyVersion), once:
 * a project already pinned keeps its version. Written like every project change (changeProject),
 * so it never undoes a pause or an approval written meanwhile. Called by the release, which has
 * checked the caller's access already.
 */
export const pinPseudonymKeyVersion = async (deps: Pick<ProjectDeps, 'projects'>, projectId: string, version: string): Promise<void> => {
  const load = async () => {
    const project = await deps.projects.getProject(projectId, { consistent: true });
    if (!project) throw new NotFoundError('Project');
    return project;
  };
  await changeProject(deps, load, (p) => (p.pseudonymKeyVersion === undefined ? { ...p, pseudonymKeyVersion: version } : p));
};

export const submitProject = async (deps: ProjectDeps, principal: Principal, projectId: string): Promise<Project> => {
  const { before, after } = await updateProject(deps, principal, projectId, 'edit', (p, now) => submit(p, principal.sub, now));
  await deps.audit.append(auditScope(projectId), auditEvent(principal, before.status === 'draft' ? 'project.submitted' : 'project.resubmitted', { from: before.status }));
  return after;
};

export const rejectProject = async (deps: ProjectDeps, principal: Principal, projectId: string, comment: string): Promise<Project> => {
  const { after } = await updateProject(deps, principal, projectId, 'review', (p, now) => reject(p, principal.sub, now, comment));
  await deps.audit.append(auditScope(projectId), auditEvent(principal, 'project.rejected', { comment }));
  return after;
};

/**
 * The project-status side of a pause: from now on the project is `paused` and remembers the
 * status to return to. Idempotent: pausing a paused project changes nothing and is not an error
 * (operations must be able to press the button twice). The dispatch side extends this with
 * `meanwhile` (waiting for letters in flight), which runs once the status is written, beside the
 * audit entries: neither waits for the other, and both are done before this returns.
 *
 * The pause's audit entries (`project.paused`, and `also`: the brake's figures) are written in
 * the same project write as the pause, then appended to the trail (auditPendingPause): the pause
 * never waits for the trail (fail closed), and a crash between the two loses no entry — whoever
 * meets the pause next writes them — nor does any retry write one twice.
 */
export const pauseProject = async <T = undefined>(
  deps: ProjectDeps,
  principal: Principal,
  projectId: string,
  reason: string,
  /** Runs once the pause is written (and, georedundant, recorded in the fence), with the project as paused (or as found already paused). */
  meanwhile: (paused: Project) => Promise<T> = async () => undefined as T,
  also: readonly AuditEvent[] = [],
): Promise<{ project: Project; changed: boolean; meanwhile: T }> => {
  const { before, after } = await updateProject(deps, principal, projectId, 'pause', (p, now) => {
    const paused = pause(p, principal.sub, now, reason, principal.name);
    if (paused === p) return p;
    return { ...paused, pauseAudit: { key: newId('pause'), events: [auditEvent(principal, 'project.paused', { reason, statusBeforePause: p.status }), ...also] } };
  });
  const changed = before !== after;
  // Unchanged: the pause found may still carry the entries of a pauser that died before writing them.
  // The entries stay on the project once written (appending again writes nothing): the pause's
  // answer waits for no housekeeping write; the confirmation, the next finder or the resume tidies.
  // Georedundant: the pause in the fence before anything waits on it, so the other region's workers
  // stop at their next wave though their copy of the project has not received it yet. Counted even
  // when it found the project paused already: this region's copy may not show a resume given in
  // another region since, and the pause asked now must hold there too (and be ended only by a resume).
  const noted = async () => {
    if (deps.fence) await deps.fence.notePause(projectId);
  };
  const [, waited] = await Promise.all([auditPendingPause(deps, projectId, after, { tidy: false }), noted().then(() => meanwhile(after))]);
  return { project: after, changed, meanwhile: waited };
};

/**
 * Appends the audit entries a pause left on its project, each once (AuditLog.appendOnce under the
 * pause's key: concurrent finders and retries write it once), then takes them off the project.
 * Called by the pause itself, by whoever meets the pause with its entries still there (a batch of
 * the project that comes back: the dispatch engine), and before a resume, which drops them.
 * `seen`: the project as the caller just read it. `tidy: false`: the entries are left on the
 * project (the pause's own path, which answers sooner; its confirmation takes them off).
 */
export const auditPendingPause = async (deps: Pick<ProjectDeps, 'projects' | 'audit'>, projectId: string, seen?: Project, opts: { tidy?: boolean } = {}): Promise<void> => {
  const project = seen ?? (await deps.projects.getProject(projectId, { consistent: true }));
  const pending = project?.status === 'paused' ? project.pauseAudit : undefined;
  if (!pending) return;
  for (const [i, event] of pending.events.entries()) await deps.audit.appendOnce(auditScope(projectId), `pause:${pending.key}:${i}`, event);
  if (opts.tidy === false) return;
  // Housekeeping, conditional on the revision read: when someone else wrote the project meanwhile,
  // a later finder takes the entries off (appending them again writes nothing).
  for (let attempt = 0; attempt < 3; attempt++) {
    const now = await deps.projects.getProject(projectId, { consistent: true });
    if (!now || now.pauseAudit?.key !== pending.key) return;
    const { pauseAudit: _written, ...rest } = now;
    try {
      await deps.projects.saveProject(rest, now.revision);
      return;
    } catch (e) {
      if (!(e instanceof ConflictError && e.code === 'CONCURRENT_UPDATE')) throw e;
    }
  }
};

/**
 * Records that the pause of `paused` holds as of `at` (nothing of the project in flight): what
 * "0 letters since" is counted from; in the same write, the pause's audit entries (written by
 * then) come off the project. One write on the project as the pause left it; read again only when
 * someone wrote it meanwhile. Nothing changes if the project was resumed, or paused again, or the
 * pause was already confirmed.
 */
export const confirmProjectPause = async (deps: Pick<ProjectDeps, 'projects'>, principal: Principal, paused: Project, at: string): Promise<Project> => {
  const written = paused.pauseAudit?.key;
  const change = (p: Project): Project => {
    const confirmed = confirmPause(p, paused.pausedAt!, at);
    if (confirmed === p || !written || confirmed.pauseAudit?.key !== written) return confirmed;
    const { pauseAudit: _written, ...rest } = confirmed;
    return rest;
  };
  const next = change(paused);
  if (next === paused) return paused;
  try {
    await deps.projects.saveProject(next, paused.revision);
    return { ...next, revision: paused.revision + 1 };
  } catch (e) {
    if (!(e instanceof ConflictError && e.code === 'CONCURRENT_UPDATE')) throw e;
  }
  return (await updateProject(deps, principal, paused.projectId, 'pause', change)).after;
};

/**
 * Operations only: back to the status from before the pause. Georedundant: the pauses the fence
 * holds are ended first — a resume that fails after that leaves the project paused here, which
 * still holds it — and a project the fence holds though this region's copy is not paused (a pause
 * pressed after a resume given elsewhere) is resumed by ending that hold alone. A pause recorded in
 * the fence between the resume's read and its write is not ended (409 `PAUSED_AGAIN`).
 */
export const resumeProject = async (deps: ProjectDeps, principal: Principal, projectId: string): Promise<Project> => {
  const seen = await loadProject(deps, principal, projectId, 'resume', { consistent: true });
  // One read of the fence and, when a pause holds there, its end (the compare-and-set).
  const inFence = deps.fence ? await deps.fence.noteResume(projectId) : 'none';
  if (inFence === 'paused_again') throw new ConflictError('PAUSED_AGAIN', 'The project was paused again meanwhile, in another region; look at it again before resuming');
  if (seen.status !== 'paused' && inFence === 'none') throw new ProjectStateError('PROJECT_NOT_PAUSED', 'The project is not paused');
  // Entries of the pause not yet in the trail go in first: the resume drops them from the project.
  await auditPendingPause(deps, projectId, seen);
  const after = seen.status === 'paused' ? (await updateProject(deps, principal, projectId, 'resume', (p, now) => resume(p, now))).after : seen;
  await deps.audit.append(auditScope(projectId), auditEvent(principal, 'project.resumed', { status: after.status, ...(seen.status === 'paused' ? {} : { heldInAnotherRegion: true }) }));
  return after;
};

/**
 * A member adds a researcher. Membership only ever grants access to a researcher whose token
 * carries the project's organisation (see accessTo), so adding someone of another organisation
 * gives them nothing.
 */
/** Adds a member (once): whether they were added, and the project's members as they now are. */
export const addMember = async (
  deps: ProjectDeps,
  principal: Principal,
  projectId: string,
  sub: string,
): Promise<{ added: boolean; members: Awaited<ReturnType<ProjectDeps['projects']['listMembers']>> }> => {
  await loadProject(deps, principal, projectId, 'edit');
  const added = !(await deps.projects.isMember(projectId, sub));
  if (added) {
    await deps.projects.addMember(projectId, sub, principal.sub);
    await deps.audit.append(auditScope(projectId), auditEvent(principal, 'project.member_added', { member: sub }));
  }
  return { added, members: await deps.projects.listMembers(projectId) };
};

export interface SettingsInput {
  readonly frequencyCap?: number;
  readonly distributionRule?: DistributionRule;
  readonly minors?: MinorsPolicy;
  /** The automatic brake: what is given replaces the current value, the rest stays. */
  readonly brake?: Partial<BrakeSettings>;
}

/**
 * Only the portal enforces the general reservation against research contact itself. A rule with
 * any other route (paper, digital mailbox) is allowed for a research project only where this
 * stage can read that reservation (a configured, mirrored privacy-component definition).
 */
export const requireResearchReservationReadable = (purpose: Purpose, rule: DistributionRule, readable: boolean): void => {
  if (purpose === 'research' && rule !== 'helsenorge-only' && !readable) {
    throw new ConflictError('RESERVATION_UNREADABLE', 'This stage cannot read the general reservation against research contact, so a research project may only use the portal (helsenorge-only)', {
      distributionRule: rule,
      allowed: ['helsenorge-only'],
    });
  }
};

/**
 * A superuser of the organisation changes the settings; audited. A change of the minors policy
 * to `guardians` waits for another superuser's approval before it is applied (minors-policy.ts).
 */
export const updateSettings = async (deps: ProjectDeps, principal: Principal, projectId: string, input: SettingsInput): Promise<Project> => {
  if (input.frequencyCap === undefined && input.distributionRule === undefined && input.minors === undefined && input.brake === undefined) {
    throw new ValidationError('Nothing to change', [{ field: '(body)', message: 'give frequencyCap, distributionRule, minors or brake' }]);
  }
  const { before, after } = await updateProject(deps, principal, projectId, 'review', (p, now) => {
    if (input.distributionRule !== undefined) requireResearchReservationReadable(p.purpose, input.distributionRule, deps.citizens.researchReservationReadable());
    const { minors, brake, ...rest } = input;
    const withMinors = minors === undefined ? p : withMinorsPolicy(p, minors, principal.sub, now);
    const settings: ProjectSettings = { ...withMinors.settings, ...rest, ...(brake ? { brake: { ...brakeOf(p), ...brake } } : {}) };
    return { ...withMinors, settings, updatedAt: now };
  });
  const minorsChanged = input.minors !== undefined && minorsPolicyOf(before) !== minorsPolicyOf(after);
  await deps.audit.append(
    auditScope(projectId),
    auditEvent(principal, 'project.settings_changed', {
      ...input,
      ...(minorsChanged ? { minorsFrom: minorsPolicyOf(before), approvalRequired: minorsPolicyPending(after) } : {}),
    }),
  );
  return after;
};

/** Another superuser of the organisation approves the minors policy set now (named in the body); audited. */
export const approveMinorsPolicy = async (deps: ProjectDeps, principal: Principal, projectId: string, minors: MinorsPolicy): Promise<Project> => {
  const { before, after } = await updateProject(deps, principal, projectId, 'review', (p, now) => approvedMinorsPolicy(p, minors, principal.sub, now));
  if (before !== after) await deps.audit.append(auditScope(projectId), auditEvent(principal, 'project.minors_policy_approved', { minors }));
  return after;
};

/** Members, the organisation's superusers and operations (anyone who may read the project). In chain order. */
export const projectAudit = async (deps: ProjectDeps, principal: Principal, projectId: string): Promise<ChainedAuditEvent[]> => {
  await loadProject(deps, principal, projectId, 'read');
  return deps.audit.list(auditScope(projectId));
};

/**
 * Recomputes the project's hash chain and compares it with the latest head sealed in the Object
 * Lock bucket: `ok` is false if any event was changed, removed or reordered — also when the chain
 * was rewritten and re-hashed by someone who could write the table, since the seal cannot be.
 */
export const verifyProjectAudit = async (deps: ProjectDeps & { readonly auditSeal: Pick<AuditSeal, 'latest'> }, principal: Principal, projectId: string): Promise<SealedVerification> => {
  await loadProject(deps, principal, projectId, 'read');
  const scope = auditScope(projectId);
  // The seal is read first: a head sealed while the chain is being read is then never ahead of it.
  const latest = await deps.auditSeal.latest(projectId);
  const [events, head] = await Promise.all([deps.audit.list(scope), deps.audit.head(scope)]);
  return verifyWithLatestSeal(scope, events, head, latest);
};

/**
 * A researcher changes the allowed link domains. The approval was given for letters judged against
 * the old domains, so an approved project goes back to review (submitted by whoever changed them,
 * so that person cannot approve it): release then refuses with PROJECT_NOT_APPROVED until a
 * superuser approves again, re-checking every link against the new domains. A paused project keeps
 * its pause and returns to review when resumed. Unchanged domains change nothing. On a georedundant
 * stage the reset is recorded in the fence before the answer, so the project's rounds hold in every
 * region at their next wave, before that region's replica of the project shows it.
 */
export const changeLinkDomains = async (deps: ProjectDeps, principal: Principal, projectId: string, domains: readonly string[]): Promise<{ project: Project; approvalReset: boolean }> => {
  const allowedLinkDomains = validLinkDomains(deps, domains);
  let resetAt: string | undefined;
  const { before, after } = await updateProject(deps, principal, projectId, 'edit', (p, now) => {
    resetAt = undefined;
    if (sameDomains(p.allowedLinkDomains, allowedLinkDomains)) return p;
    const back = { status: 'in_review' as const, submittedBy: principal.sub, submittedAt: now };
    resetAt = p.status === 'approved' || (p.status === 'paused' && p.statusBeforePause === 'approved') ? now : undefined;
    if (p.status === 'approved') return { ...p, ...back, allowedLinkDomains, updatedAt: now };
    if (p.status === 'paused' && p.statusBeforePause === 'approved') {
      return { ...p, statusBeforePause: 'in_review', submittedBy: principal.sub, submittedAt: now, allowedLinkDomains, updatedAt: now };
    }
    return { ...p, allowedLinkDomains, updatedAt: now };
  });
  const approvalReset = resetAt !== undefined;
  if (resetAt !== undefined && deps.fence) await deps.fence.noteApprovalReset(projectId, resetAt);
  if (before !== after) {
    await deps.audit.append(auditScope(projectId), auditEvent(principal, 'project.link_domains_changed', { from: before.allowedLinkDomains, to: after.allowedLinkDomains, approvalReset }));
  }
  return { project: after, approvalReset };
};
