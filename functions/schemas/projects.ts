import { z } from 'zod';
import { effectiveMinorsPolicy, minorsPolicyOf, minorsPolicyPending } from '../domain/projects/minors-policy.js';
import { BRAKE_LIMITS, brakeOf, DISTRIBUTION_RULES, MINORS_POLICIES, PURPOSES, type Project } from '../domain/projects/project.js';

/** A bare host name: what `allowedLinkDomains` holds (subdomains of it are allowed too). */
const domain = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'must be a host name such as example.org');

export const createProjectBody = z.strictObject({
  title: z.string().trim().min(1).max(200),
  organization: z.string().trim().min(1).max(100),
  purpose: z.enum(PURPOSES).optional(),
  allowedLinkDomains: z.array(domain).max(50).optional(),
  /** Shown in every letter's standard footer; defaults to the organisation. */
  contact: z.string().trim().min(1).max(300).optional(),
});

/** The project as the API shows it; `pausedInAnotherRegion`: held by a pause only the fence shows (use-cases.ts pausedInAnotherRegion). */
export const projectView = (p: Project, pausedInAnotherRegion = false) => ({
  projectId: p.projectId,
  title: p.title,
  organization: p.organization,
  purpose: p.purpose,
  status: p.status,
  allowedLinkDomains: p.allowedLinkDomains,
  // API.md's three settings only (callers compare them whole); the brake is shown beside them.
  settings: { frequencyCap: p.settings.frequencyCap, distributionRule: p.settings.distributionRule, minors: minorsPolicyOf(p) },
  /** The automatic brake in force (docs/api-additions.md), its defaults filled in. */
  brake: brakeOf(p),
  /** The minors policy applied at send time; differs from `settings.minors` while a change awaits approval. */
  minorsPolicy: {
    effective: effectiveMinorsPolicy(p),
    pendingApproval: minorsPolicyPending(p),
    ...(p.minorsSetBy ? { setBy: p.minorsSetBy, setAt: p.minorsSetAt } : {}),
    ...(p.minorsApproval ? { approvedBy: p.minorsApproval.approvedBy, approvedAt: p.minorsApproval.approvedAt, approvedPolicy: p.minorsApproval.policy } : {}),
  },
  createdBy: p.createdBy,
  createdAt: p.createdAt,
  updatedAt: p.updatedAt,
  ...(p.contact ? { contact: p.contact } : {}),
  ...(p.submittedBy ? { submittedBy: p.submittedBy, submittedAt: p.submittedAt } : {}),
  ...(p.reviewedBy ? { reviewedBy: p.reviewedBy, reviewedAt: p.reviewedAt, reviewComment: p.reviewComment } : {}),
  ...(p.status === 'paused'
    ? {
        pausedAt: p.pausedAt,
        pausedBy: p.pausedBy,
        ...(p.pausedByName ? { pausedByName: p.pausedByName } : {}),
        pauseReason: p.pauseReason,
        statusBeforePause: p.statusBeforePause,
        ...(p.pauseConfirmedAt ? { pauseConfirmedAt: p.pauseConfirmedAt } : {}),
      }
    : {}),
  ...(pausedInAnotherRegion ? { pausedInAnotherRegion: true as const } : {}),
});

export const distributionRule = z.enum(DISTRIBUTION_RULES);

const checklist = z.record(z.string().max(100), z.union([z.boolean(), z.string().max(2_000)]));

/** Approve takes an optional body: empty, or these fields. */
export const approveProjectBody = z.strictObject({
  comment: z.string().max(5_000).optional(),
  checklist: checklist.optional(),
});

export const rejectProjectBody = z.strictObject({ comment: z.string().trim().min(1).max(5_000) });
export const pauseProjectBody = z.strictObject({ reason: z.string().trim().min(1).max(2_000) });
/**
 * A member is a researcher's identity-provider subject. One shaped like a national ID is a citizen's
 * ID pasted into the wrong field: refused, so it is neither stored in the membership nor written to
 * the audit trail in the clear (and the message does not echo it).
 */
export const addMemberBody = z.strictObject({
  sub: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .refine((s) => !/^\d{6}[\s-]?\d{5}$/.test(s), 'must be a researcher identity, not a national ID'),
});
export const minorsPolicy = z.enum(MINORS_POLICIES);
/** Replaces the allowed link domains; after approval this needs a new approval. */
export const linkDomainsBody = z.strictObject({ allowedLinkDomains: z.array(domain).max(50) });

/** One of the brake's settings, within its bounds (BRAKE_LIMITS, which the console checks too). */
const brakeField = ({ min, max, integer }: { readonly min: number; readonly max: number; readonly integer: boolean }) => (integer ? z.number().int() : z.number()).min(min).max(max).optional();

/** The automatic brake's settings; any left out keep their current value. */
export const brakeSettings = z.strictObject({
  fromRecipients: brakeField(BRAKE_LIMITS.fromRecipients),
  windowRecipients: brakeField(BRAKE_LIMITS.windowRecipients),
  maxFailedPercent: brakeField(BRAKE_LIMITS.maxFailedPercent),
  maxReservedExcessPoints: brakeField(BRAKE_LIMITS.maxReservedExcessPoints),
  canaryRecipients: brakeField(BRAKE_LIMITS.canaryRecipients),
});

export const settingsBody = z.strictObject({
  frequencyCap: z.number().int().min(1).max(100).optional(),
  distributionRule: distributionRule.optional(),
  minors: minorsPolicy.optional(),
  brake: brakeSettings.optional(),
});

/** Names the policy being approved, so an approval never covers a change made after it was read. */
export const approveSettingsBody = z.strictObject({ minors: minorsPolicy });
