import { ConflictError } from '../../shared/errors.js';
import { DEFAULT_MINORS_POLICY, FourEyesError, type MinorsPolicy, type Project } from './project.js';

/**
 * The project's minors policy and its approval. Writing to guardians about children is a decision
 * a superuser sets and another superuser approves, like a letter version: the project's approval
 * approves the policy in force then, and a later change to `guardians` waits for a new approval
 * (`POST /projects/{projectId}/settings/approve {minors}`) without changing the project's status.
 *
 * Until then the policy in force is `exclude`: nothing about a child is sent to anyone on the
 * strength of an unapproved change, also in rounds already dispatching. A change to `exclude`
 * needs no approval: it only ever sends less.
 */

export const minorsPolicyOf = (p: Pick<Project, 'settings'>): MinorsPolicy => p.settings.minors ?? DEFAULT_MINORS_POLICY;

/** True while the policy set differs from the approved one and widens who is written to. */
export const minorsPolicyPending = (p: Pick<Project, 'settings' | 'minorsApproval'>): boolean => {
  const current = minorsPolicyOf(p);
  return current !== 'exclude' && p.minorsApproval?.policy !== current;
};

/** The policy the engine and the pre-flight apply at the moment of sending. */
export const effectiveMinorsPolicy = (p: Pick<Project, 'settings' | 'minorsApproval'>): MinorsPolicy => (minorsPolicyPending(p) ? 'exclude' : minorsPolicyOf(p));

export class MinorsPolicyNotApprovedError extends ConflictError {
  constructor() {
    super('MINORS_POLICY_NOT_APPROVED', "The project's policy for recipients under 16 was changed and has not been approved by another superuser");
  }
}

export class SettingsChangedError extends ConflictError {
  constructor() {
    super('SETTINGS_CHANGED', 'The minors policy is no longer the one being approved; reload the project');
  }
}

/** Release gate: refuses while a changed minors policy waits for approval. */
export const requireMinorsPolicyApproved = (p: Pick<Project, 'settings' | 'minorsApproval'>): void => {
  if (minorsPolicyPending(p)) throw new MinorsPolicyNotApprovedError();
};

/**
 * Sets the policy. Any change ends the earlier approval (the audit trail keeps it): switching back
 * to a policy approved before is a new decision and is approved anew.
 */
export const withMinorsPolicy = (p: Project, policy: MinorsPolicy, by: string, now: string): Project => {
  if (minorsPolicyOf(p) === policy) return p;
  const { minorsApproval: _ended, ...rest } = p;
  return { ...rest, settings: { ...p.settings, minors: policy }, minorsSetBy: by, minorsSetAt: now, updatedAt: now };
};

/** Four-eyes: whoever set the policy now in force cannot approve it. */
export const requireMinorsFourEyes = (p: Project, by: string): void => {
  if (minorsPolicyPending(p) && p.minorsSetBy === by) {
    throw new FourEyesError('You set the policy for recipients under 16; another superuser must approve it');
  }
};

/** Approves exactly `policy`, which must be the one set now. Idempotent once approved. */
export const approvedMinorsPolicy = (p: Project, policy: MinorsPolicy, by: string, now: string): Project => {
  if (minorsPolicyOf(p) !== policy) throw new SettingsChangedError();
  if (p.minorsApproval?.policy === policy) return p;
  requireMinorsFourEyes(p, by);
  return { ...p, minorsApproval: { policy, approvedBy: by, approvedAt: now }, updatedAt: now };
};

/** What the project's approval records of the policy (called by the project approval). */
export const withMinorsApprovedBy = (p: Project, by: string, now: string): Project => {
  requireMinorsFourEyes(p, by);
  const policy = minorsPolicyOf(p);
  return p.minorsApproval?.policy === policy ? p : { ...p, minorsApproval: { policy, approvedBy: by, approvedAt: now } };
};
