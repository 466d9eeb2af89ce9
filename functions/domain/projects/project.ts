import { ConflictError, ForbiddenError, NotFoundError } from '../../shared/errors.js';
import type { Principal } from '../../shared/principal.js';

export const PURPOSES = ['research', 'quality-register', 'health-survey'] as const;
export type Purpose = (typeof PURPOSES)[number];

export const PROJECT_STATUSES = ['draft', 'in_review', 'approved', 'changes_requested', 'paused'] as const;
export type ProjectStatus = (typeof PROJECT_STATUSES)[number];

export const DISTRIBUTION_RULES = ['helsenorge-then-paper', 'helsenorge-only', 'digital-mailbox-then-paper'] as const;
export type DistributionRule = (typeof DISTRIBUTION_RULES)[number];

/**
 * Recipients under 16 (citizens/minors.ts): `exclude` (default) writes to nobody about them;
 * `guardians` writes to their guardians instead. Defined here, with the other settings, so that
 * modules the console shares (letters/render.ts → this file) stay free of Node-only imports.
 */
export const MINORS_POLICIES = ['exclude', 'guardians'] as const;
export type MinorsPolicy = (typeof MINORS_POLICIES)[number];
export const DEFAULT_MINORS_POLICY: MinorsPolicy = 'exclude';

export interface ProjectSettings {
  /** Letters per citizen per project per 30 days. */
  readonly frequencyCap: number;
  readonly distributionRule: DistributionRule;
  /** Recipients under 16: skipped (`exclude`) or written to through their guardians. */
  readonly minors: MinorsPolicy;
  /** The automatic brake; absent → DEFAULT_BRAKE. */
  readonly brake?: BrakeSettings;
}

export const DEFAULT_SETTINGS: ProjectSettings = { frequencyCap: 3, distributionRule: 'helsenorge-then-paper', minors: DEFAULT_MINORS_POLICY };

/**
 * The automatic brake (dispatch/stages/brake.ts): a watched round pauses its project by itself
 * when, in a window of its recipients, too many letters fail or are refused, or far more
 * recipients turn out reserved than the pre-flight found. A person resumes it (operations).
 */
export interface BrakeSettings {
  /** Rounds of at least this many recipients are watched (1: every round). */
  readonly fromRecipients: number;
  /** Recipients per window: consecutive batches, judged once half of a window is decided. */
  readonly windowRecipients: number;
  /** Failed or refused letters, in percent of a window's decided recipients, above which sending pauses. */
  readonly maxFailedPercent: number;
  /** Reservation skips above the pre-flight's reserved share, in percentage points, above which sending pauses. */
  readonly maxReservedExcessPoints: number;
  /**
   * A watched round created without a canary starts with one of this many recipients (0: none).
   * Off by default: API.md makes the canary the creator's choice, and a round that stops in
   * canary_hold unasked would surprise every caller written against it; a superuser turns it on.
   */
  readonly canaryRecipients: number;
}

export const DEFAULT_BRAKE: BrakeSettings = { fromRecipients: 5_000, windowRecipients: 1_000, maxFailedPercent: 10, maxReservedExcessPoints: 20, canaryRecipients: 0 };

/** The brake's bounds: the API's schema (schemas/projects.ts) and the console's form check the same ones. */
export const BRAKE_LIMITS: { readonly [K in keyof BrakeSettings]: { readonly min: number; readonly max: number; readonly integer: boolean } } = {
  fromRecipients: { min: 1, max: 10_000_000, integer: true },
  windowRecipients: { min: 100, max: 100_000, integer: true },
  maxFailedPercent: { min: 1, max: 100, integer: false },
  maxReservedExcessPoints: { min: 1, max: 100, integer: false },
  canaryRecipients: { min: 0, max: 100_000, integer: true },
};

/** The canary a new round starts with: the one asked for, or the project's automatic one for a watched round. */
export const canaryFor = (p: Pick<Project, 'settings'>, asked: { readonly size: number } | undefined, recipients: number): { readonly size: number; readonly automatic?: true } | undefined => {
  if (asked) return { size: asked.size };
  const brake = brakeOf(p);
  if (brake.canaryRecipients <= 0 || recipients < brake.fromRecipients) return undefined;
  return { size: Math.min(brake.canaryRecipients, recipients), automatic: true };
};

export const brakeOf = (p: Pick<Project, 'settings'>): BrakeSettings => ({ ...DEFAULT_BRAKE, ...p.settings.brake });

/** A superuser's approval of the minors policy, bound to the policy it approved. */
export interface MinorsPolicyApproval {
  readonly policy: MinorsPolicy;
  readonly approvedBy: string;
  readonly approvedAt: string;
}

export interface Project {
  readonly projectId: string;
  readonly title: string;
  readonly organization: string;
  readonly purpose: Purpose;
  readonly status: ProjectStatus;
  readonly allowedLinkDomains: readonly string[];
  readonly settings: ProjectSettings;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly submittedBy?: string;
  readonly submittedAt?: string;
  /** Who to contact about the project; the standard footer shows it (defaults to the organisation). */
  readonly contact?: string;
  /** The last review decision (approve or reject). */
  readonly reviewedBy?: string;
  readonly reviewedAt?: string;
  readonly reviewComment?: string;
  readonly pausedBy?: string;
  /** The pauser's name as their sign-in gave it (the console says who paused by name, not by user id). */
  readonly pausedByName?: string;
  /** The status to restore on resume, while paused. */
  readonly statusBeforePause?: ProjectStatus;
  readonly pausedAt?: string;
  readonly pauseReason?: string;
  /**
   * When the pause was seen to hold: nothing of the project in flight any more (the pause's 200).
   * Letters that were in flight at `pausedAt` may still leave until then, none after; a pause
   * by the automatic brake, or one answered 202, has none until a pause request sees it quiet.
   */
  readonly pauseConfirmedAt?: string;
  /** The last resume: the automatic brake counts afresh from it (dispatch/stages/brake.ts). */
  readonly resumedAt?: string;
  /** While paused: the pause's audit entries until they are known to be in the trail (lifecycle.ts pauseProject). */
  readonly pauseAudit?: PendingPauseAudit;
  /** Who last set `settings.minors` (four-eyes: they cannot approve it) and when. */
  readonly minorsSetBy?: string;
  readonly minorsSetAt?: string;
  /** The minors policy a superuser approved; a later change waits for a new approval (minors-policy.ts). */
  readonly minorsApproval?: MinorsPolicyApproval;
  /**
   * The citizen hash-key version the project's pseudonyms are made under, for the project's life:
   * pinned by its first release (rounds/release-round.ts), so the round reports, the answers and
   * the trail keep one pseudonym per person across a key rotation, and a researcher can join them.
   * Projects released before it was pinned follow the current version (citizen-key.ts).
   */
  readonly pseudonymKeyVersion?: string;
  /** Optimistic-concurrency counter: every write is conditional on the version it read. */
  readonly revision: number;
}

/**
 * The audit entries of a pause, written with the pause in the project's own item so that a crash
 * between the two loses neither: whoever finds them there (a retry, the next batch, a second
 * pause, the resume) appends them once each, under `key`. (The shape of shared/audit.ts's
 * AuditEvent, repeated here: the console shares this file, and that one is Node-only.)
 */
export interface PendingPauseAudit {
  readonly key: string;
  readonly events: readonly {
    readonly at: string;
    readonly actor: string;
    readonly actorName?: string;
    readonly role: string;
    readonly action: string;
    readonly details: Readonly<Record<string, unknown>>;
  }[];
}

/** What a caller may do with a project, decided in one place. */
export interface Access {
  readonly read: boolean;
  /** Edit content: letters, form tasks, lists, rounds, members. */
  readonly edit: boolean;
  /** Approve, reject, override, settings. */
  readonly review: boolean;
  readonly pause: boolean;
  readonly resume: boolean;
  /** Read citizens' form answers: the project's researchers only. */
  readonly responses: boolean;
}

const NONE: Access = { read: false, edit: false, review: false, pause: false, resume: false, responses: false };

export const accessTo = (project: Project, principal: Principal, isMember: boolean): Access => {
  switch (principal.role) {
    case 'researcher':
      return isMember && principal.org === project.organization ? { ...NONE, read: true, edit: true, responses: true } : NONE;
    case 'superuser':
      return principal.org === project.organization ? { ...NONE, read: true, review: true, pause: true } : NONE;
    case 'operations':
      return { ...NONE, read: true, pause: true, resume: true };
    case 'citizen':
      return NONE;
  }
};

/**
 * Throws unless the caller may do `need`. A caller who may not even read the project gets 404,
 * so its existence is not disclosed; one who may read but not act gets 403.
 */
export const requireAccess = (project: Project, principal: Principal, isMember: boolean, need: keyof Access): Access => {
  const access = accessTo(project, principal, isMember);
  if (!access.read) throw new NotFoundError('Project');
  if (!access[need]) throw new ForbiddenError(`Your role may not ${need === 'edit' ? 'change' : need === 'responses' ? 'read the responses of' : need} this project`);
  return access;
};

export interface NewProjectInput {
  readonly title: string;
  readonly organization: string;
  readonly purpose?: Purpose;
  readonly allowedLinkDomains?: readonly string[];
  readonly contact?: string;
}

/**
 * A new project, in draft, with the default settings — except that a research project on a stage
 * that cannot read the general research reservation starts on the portal only (the one channel
 * that enforces it itself), the same rule its settings are held to.
 */
export const newProject = (id: string, input: NewProjectInput, principal: Principal, now: string, researchReservationReadable: boolean): Project => {
  if (principal.role !== 'researcher') throw new ForbiddenError('Only researchers create projects');
  if (principal.org !== input.organization) {
    throw new ForbiddenError('You can only create projects in your own organisation');
  }
  const purpose = input.purpose ?? 'research';
  return {
    projectId: id,
    title: input.title,
    organization: input.organization,
    purpose,
    status: 'draft',
    allowedLinkDomains: [...new Set((input.allowedLinkDomains ?? []).map((d) => d.toLowerCase()))],
    ...(input.contact ? { contact: input.contact } : {}),
    settings: purpose === 'research' && !researchReservationReadable ? { ...DEFAULT_SETTINGS, distributionRule: 'helsenorge-only' } : DEFAULT_SETTINGS,
    createdBy: principal.sub,
    createdAt: now,
    updatedAt: now,
    revision: 1,
  };
};

export class ProjectStateError extends ConflictError {
  constructor(code: string, message: string) {
    super(code, message);
  }
}

/** The approver must be a different person from the submitter and every author being approved. */
export class FourEyesError extends ForbiddenError {
  constructor(message: string) {
    super(message, 'FOUR_EYES');
  }
}

/**
 * The lifecycle: draft → in_review (submit) → approved | changes_requested (reject) → in_review
 * (resubmit). `paused` can be entered from any status and is left to the status before it.
 */
export const submit = (p: Project, by: string, now: string): Project => {
  if (p.status !== 'draft' && p.status !== 'changes_requested') {
    throw new ProjectStateError('PROJECT_NOT_SUBMITTABLE', `A project in status ${p.status} cannot be submitted`);
  }
  return { ...p, status: 'in_review', submittedBy: by, submittedAt: now, updatedAt: now };
};

export const requireInReview = (p: Project): void => {
  if (p.status !== 'in_review') throw new ProjectStateError('PROJECT_NOT_IN_REVIEW', `A project in status ${p.status} is not up for review`);
};

export const approve = (p: Project, by: string, now: string, comment?: string): Project => {
  requireInReview(p);
  return { ...p, status: 'approved', reviewedBy: by, reviewedAt: now, ...(comment !== undefined ? { reviewComment: comment } : {}), updatedAt: now };
};

export const reject = (p: Project, by: string, now: string, comment: string): Project => {
  requireInReview(p);
  return { ...p, status: 'changes_requested', reviewedBy: by, reviewedAt: now, reviewComment: comment, updatedAt: now };
};

export const pause = (p: Project, by: string, now: string, reason: string, byName?: string): Project =>
  p.status === 'paused' ? p : { ...p, status: 'paused', statusBeforePause: p.status, pausedAt: now, pausedBy: by, ...(byName ? { pausedByName: byName } : {}), pauseReason: reason, updatedAt: now };

/** The pause of `pausedAt` seen to hold at `at` (nothing in flight); kept as first seen, and only for that pause. */
export const confirmPause = (p: Project, pausedAt: string, at: string): Project =>
  p.status === 'paused' && p.pausedAt === pausedAt && !p.pauseConfirmedAt ? { ...p, pauseConfirmedAt: at, updatedAt: at } : p;

/** Back to the status from before the pause; `resumedAt` is where the automatic brake counts afresh from. */
export const resume = (p: Project, now: string): Project => {
  if (p.status !== 'paused') throw new ProjectStateError('PROJECT_NOT_PAUSED', 'The project is not paused');
  const { statusBeforePause, pausedAt: _a, pausedBy: _b, pausedByName: _f, pauseReason: _c, pauseAudit: _d, pauseConfirmedAt: _e, ...rest } = p;
  return { ...rest, status: statusBeforePause ?? 'draft', resumedAt: now, updatedAt: now };
};
