import { z } from 'zod';
import type { FormTask } from '../domain/letters/form-task.js';

const localizedText = z.strictObject({
  nb: z.string().trim().min(1).max(2_000),
  nn: z.string().trim().min(1).max(2_000).optional(),
  en: z.string().trim().min(1).max(2_000).optional(),
});

const question = z
  .strictObject({
    id: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, 'must start with a letter; letters, digits, _ and -'),
    text: localizedText,
    type: z.enum(['text', 'choice', 'scale']),
    options: z.array(z.string().trim().min(1).max(500)).min(2).max(50).optional(),
    min: z.number().int().min(-100).max(100).optional(),
    max: z.number().int().min(-100).max(100).optional(),
    required: z.boolean().optional(),
  })
  .superRefine((q, ctx) => {
    if (q.type === 'choice' && !q.options) ctx.addIssue({ code: 'custom', path: ['options'], message: 'a choice question needs options' });
    if (q.type === 'choice' && q.options && new Set(q.options).size !== q.options.length) {
      ctx.addIssue({ code: 'custom', path: ['options'], message: 'options must be distinct' });
    }
    if (q.type !== 'choice' && q.options) ctx.addIssue({ code: 'custom', path: ['options'], message: 'only choice questions have options' });
    if (q.type !== 'scale' && (q.min !== undefined || q.max !== undefined)) ctx.addIssue({ code: 'custom', path: ['min'], message: 'only scale questions have min and max' });
    if (q.type === 'scale' && (q.min ?? 1) >= (q.max ?? 5)) ctx.addIssue({ code: 'custom', path: ['max'], message: 'max must be above min' });
  });

const form = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('external'), url: z.url({ protocol: /^https?$/ }).max(2_000) }),
  z.strictObject({
    type: z.literal('internal'),
    questions: z
      .array(question)
      .min(1)
      .max(200)
      .refine((qs) => new Set(qs.map((q) => q.id)).size === qs.length, 'question ids must be distinct'),
  }),
]);

export const createFormTaskBody = z.strictObject({
  title: z.string().trim().min(1).max(200),
  form,
  deadlineDays: z.number().int().min(1).max(365).optional(),
});

export const answersBody = z.strictObject({
  answers: z.record(z.string().max(64), z.union([z.string().max(10_000), z.number(), z.null()])),
});

/**
 * What an external form system posts to `/form-callbacks/{formTaskId}`. Not strict: such systems
 * add fields of their own, and the signature covers the whole raw body anyway.
 */
export const formCallbackBody = z.object({
  token: z.string().min(1).max(200),
  status: z.literal('completed'),
  at: z.iso.datetime({ offset: true }),
});

/** Never carries the callback secret or its salt; `completed` is a count, never who. */
export const formTaskView = (t: FormTask) => ({
  formTaskId: t.formTaskId,
  projectId: t.projectId,
  title: t.title,
  form: t.form,
  deadlineDays: t.deadlineDays,
  createdBy: t.createdBy,
  createdAt: t.createdAt,
  ...(t.form.type === 'external' ? { completed: t.completedCount ?? 0 } : {}),
});
