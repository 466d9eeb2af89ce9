import { NotFoundError } from '../../shared/errors.js';
import type { Principal } from '../../shared/principal.js';
import { checkLetterVersion } from './check.js';
import { QualityCheckFailedError } from './errors.js';
import type { Approval, Finding, LetterVersion } from './letter.js';
import type { LetterDeps } from './use-cases.js';
import { auditEvent } from '../shared/audit.js';
import { nowIso } from '../shared/ids.js';
import { CHECKLISTS, LANGUAGE_ITEM_ID, requireCompleteChecklist, type ChecklistAnswers, type ChecklistItem } from '../projects/checklist.js';
import { updateProject } from '../projects/lifecycle.js';
import { requireMinorsFourEyes, withMinorsApprovedBy } from '../projects/minors-policy.js';
import { approve, FourEyesError, requireInReview, type Project } from '../projects/project.js';
import { auditScope, loadProject } from '../projects/use-cases.js';

/**
 * The checklist a superuser answers to approve the project: its purpose's items, the language item
 * taking a reason, not a tick, while a letter's current version lacks nynorsk.
 */
export const approvalChecklist = async (
  deps: Pick<LetterDeps, 'projects' | 'letters'>,
  principal: Principal,
  projectId: string,
): Promise<{ purpose: Project['purpose']; items: (ChecklistItem & { noteRequired?: true })[] }> => {
  const project = await loadProject(deps, principal, projectId);
  const letters = await deps.letters.listLetters(project.projectId);
  const versions = await Promise.all(letters.map((l) => deps.letters.getVersion(project.projectId, l.letterId, l.latestVersion)));
  const nynorskMissing = versions.some((v) => v !== undefined && !v.content.nn);
  return { purpose: project.purpose, items: CHECKLISTS[project.purpose].map((i) => (i.id === LANGUAGE_ITEM_ID && nynorskMissing ? { ...i, noteRequired: true as const } : i)) };
};

export interface ApprovalInput {
  readonly comment?: string;
  readonly checklist?: ChecklistAnswers;
}

/** Four-eyes: not the submitter, not the author of any version being approved. */
const requireFourEyes = (project: Project, principal: Principal, versions: readonly LetterVersion[]) => {
  if (project.submittedBy === principal.sub) throw new FourEyesError('You submitted this project; another superuser must approve it');
  if (versions.some((v) => v.authoredBy === principal.sub)) {
    throw new FourEyesError('You wrote a letter version being approved; another superuser must approve it');
  }
};

/** Every version's check, links probed live; refused with all error findings while any remain. */
const requireCleanCheck = async (deps: LetterDeps, project: Project, versions: readonly LetterVersion[]) => {
  const all = await Promise.all(
    versions.map(async (v) =>
      (await checkLetterVersion(deps, project, v, { live: true })).map((f): Finding & { letterId: string; version: number } => ({ ...f, letterId: v.letterId, version: v.version })),
    ),
  );
  const errors = all.flat().filter((f) => f.severity === 'error');
  if (errors.length > 0) throw new QualityCheckFailedError(errors);
};

const approvalOf = (principal: Principal, input: ApprovalInput, checklist: ChecklistAnswers | undefined): Approval => ({
  approvedBy: principal.sub,
  approvedAt: nowIso(),
  ...(input.comment !== undefined ? { comment: input.comment } : {}),
  ...(checklist ? { checklist } : {}),
});

/**
 * Approves the project and the current version of each of its letters, each bound to its
 * content hash. The letters are approved first: if the project write then loses a race, the
 * approval can simply be repeated, and no project is ever approved with an unapproved letter.
 */
export const approveProject = async (
  deps: LetterDeps,
  principal: Principal,
  projectId: string,
  input: ApprovalInput,
): Promise<{ project: Project; letters: { letterId: string; version: number; contentHash: string }[] }> => {
  const project = await loadProject(deps, principal, projectId, 'review');
  requireInReview(project);
  const letters = await deps.letters.listLetters(projectId);
  const versions = (await Promise.all(letters.map((l) => deps.letters.getVersion(projectId, l.letterId, l.latestVersion)))).filter((v): v is LetterVersion => v !== undefined);
  requireFourEyes(project, principal, versions);
  requireMinorsFourEyes(project, principal.sub);
  const checklist = requireCompleteChecklist(project.purpose, input.checklist, { nynorskMissing: versions.some((v) => !v.content.nn) });
  await requireCleanCheck(deps, project, versions);

  const approval = approvalOf(principal, input, checklist);
  for (const v of versions) {
    if (v.approval) continue;
    await deps.letters.approveVersion(projectId, v.letterId, v.version, v.contentHash, approval);
    await deps.audit.append(auditScope(projectId), auditEvent(principal, 'letter.version_approved', { letterId: v.letterId, version: v.version, contentHash: v.contentHash, via: 'project' }));
  }
  const { after } = await updateProject(deps, principal, projectId, 'review', (p, now) => {
    requireFourEyes(p, principal, versions);
    return withMinorsApprovedBy(approve(p, principal.sub, now, input.comment), principal.sub, now);
  });
  const approved = versions.map((v) => ({ letterId: v.letterId, version: v.version, contentHash: v.contentHash }));
  await deps.audit.append(auditScope(projectId), auditEvent(principal, 'project.approved', { comment: input.comment, checklist, letters: approved, minors: after.minorsApproval?.policy }));
  return { project: after, letters: approved };
};

/** A superuser approves one version of a letter (typically an edit after the project's approval), answering the checklist. */
export const approveLetterVersion = async (deps: LetterDeps, principal: Principal, projectId: string, letterId: string, version: number, input: ApprovalInput): Promise<LetterVersion> => {
  const project = await loadProject(deps, principal, projectId, 'review');
  const v = await deps.letters.getVersion(projectId, letterId, version);
  if (!v) throw new NotFoundError('Letter version');
  requireFourEyes(project, principal, [v]);
  // The same mandatory checklist as the project's approval: a version approved on its own is
  // sent on the same terms, so every item is answered for it too.
  const checklist = requireCompleteChecklist(project.purpose, input.checklist, { nynorskMissing: !v.content.nn });
  if (v.approval) return v;
  await requireCleanCheck(deps, project, [v]);
  const approval = approvalOf(principal, input, checklist);
  await deps.letters.approveVersion(projectId, letterId, version, v.contentHash, approval);
  await deps.audit.append(auditScope(projectId), auditEvent(principal, 'letter.version_approved', { letterId, version, contentHash: v.contentHash, comment: input.comment }));
  return { ...v, approval };
};
