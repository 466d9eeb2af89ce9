import { z } from 'zod';
import { BODY_MAX } from '../domain/letters/content.js';
import { PLACEHOLDER_NAME } from '../domain/letters/placeholders.js';
import type { Letter, LetterVersion } from '../domain/letters/letter.js';

/**
 * A language version. The subject's 120-character standard is the check's SUBJECT_TOO_LONG
 * finding (so it is reported with every other defect), the 1,000 here only bounds storage; the
 * body's 20,000 is a hard limit. A subject is one line.
 */
const languageContent = z.strictObject({
  subject: z
    .string()
    .trim()
    .min(1)
    .max(1_000)
    .regex(/^[^\r\n]*$/, 'must be a single line'),
  body: z
    .string()
    .min(1)
    .max(BODY_MAX)
    .refine((b) => b.trim().length > 0, 'must not be blank'),
});

export const letterContent = z.strictObject({
  nb: languageContent,
  nn: languageContent.optional(),
  en: languageContent.optional(),
});

const fields = z.array(z.string().regex(PLACEHOLDER_NAME, 'must be a placeholder name: a letter, then letters, digits or _')).max(100);
const id = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9_-]+$/);

export const createLetterBody = z.strictObject({
  title: z.string().trim().min(1).max(200),
  kind: z.enum(['letter', 'form-task']),
  formTaskId: id.optional(),
  /** The recipient-list columns the letter uses as {{placeholders}}. */
  fields: fields.optional(),
  content: letterContent,
});

export const editLetterBody = z.strictObject({
  title: z.string().trim().min(1).max(200).optional(),
  formTaskId: id.optional(),
  fields: fields.optional(),
  content: letterContent,
});

export const approveLetterBody = z.strictObject({
  version: z.number().int().min(1),
  comment: z.string().max(5_000).optional(),
  checklist: z.record(z.string(), z.union([z.boolean(), z.string().max(2_000)])).optional(),
});

/** A letter as the API shows it: its latest (or the asked-for) version, with the approval state. */
export const letterView = (letter: Letter, v: LetterVersion) => ({
  letterId: letter.letterId,
  projectId: letter.projectId,
  title: v.title,
  kind: letter.kind,
  ...(v.formTaskId ? { formTaskId: v.formTaskId } : {}),
  version: v.version,
  latestVersion: letter.latestVersion,
  content: v.content,
  fields: v.fields ?? [],
  contentHash: v.contentHash,
  authoredBy: v.authoredBy,
  createdAt: v.createdAt,
  approval: v.approval ? 'approved' : 'pending',
  ...(v.approval ? { approvedBy: v.approval.approvedBy, approvedAt: v.approval.approvedAt } : {}),
  ...(letter.approvedVersion !== undefined ? { approvedVersion: letter.approvedVersion } : {}),
  createdBy: letter.createdBy,
  updatedAt: letter.updatedAt,
});

export const letterSummaryView = (l: Letter) => ({
  letterId: l.letterId,
  title: l.title,
  kind: l.kind,
  latestVersion: l.latestVersion,
  ...(l.approvedVersion !== undefined ? { approvedVersion: l.approvedVersion } : {}),
  createdAt: l.createdAt,
  updatedAt: l.updatedAt,
});
