import { randomBytes } from 'node:crypto';
import { ConflictError, ValidationError } from '../../shared/errors.js';
import type { Language } from './letter.js';

/** Question texts per language; nb is required, the others fall back to nb. */
export type LocalizedText = { readonly nb: string; readonly nn?: string; readonly en?: string };

export type QuestionType = 'text' | 'choice' | 'scale';

export interface Question {
  readonly id: string;
  readonly text: LocalizedText;
  readonly type: QuestionType;
  /** Choice: the admissible answers (values, shown as written). */
  readonly options?: readonly string[];
  /** Scale: inclusive integer bounds, default 1–5. */
  readonly min?: number;
  readonly max?: number;
  readonly required?: boolean;
}

export type FormDefinition = { readonly type: 'external'; readonly url: string } | { readonly type: 'internal'; readonly questions: readonly Question[] };

export interface FormTask {
  readonly projectId: string;
  readonly formTaskId: string;
  readonly title: string;
  readonly form: FormDefinition;
  /** Days from delivery until the task expires. */
  readonly deadlineDays: number;
  readonly createdBy: string;
  readonly createdAt: string;
  /**
   * External forms: the callback secret, sealed (SecretBox, bound to this task): random, shown
   * once at creation, independent of the citizen hash key (form-callbacks.ts).
   */
  readonly callbackSecretSealed?: string;
  /** External forms created before secrets were sealed: salt of the secret derived from the hash key (never stored). */
  readonly callbackSalt?: string;
  /**
   * External forms: the version of the citizen hash key the callback secret derives from, pinned at
   * creation so a rotation (a new current version) does not change it. Absent on tasks created
   * before it was recorded: their secret is looked for under every live version.
   */
  readonly callbackKeyVersion?: string;
  /** External forms: how many recipients' form systems reported completion (a count, never who). */
  readonly completedCount?: number;
}

/**
 * An external form task's callback secret (issue 24 #6): 32 random bytes of its own, shown once at
 * creation and stored only sealed (SecretBox: AES-256-GCM under the CallbackSealKey, bound to the
 * task), so it owes nothing to the citizen hash key — rotating or retiring hash-key versions
 * leaves every form system's secret working — and the table alone does not give anyone the power
 * to sign callbacks.
 */
export const newCallbackSecret = (): string => randomBytes(32).toString('base64url');

/** What the sealed secret is bound to: a value sealed for one task does not open for another. */
export const callbackSealContext = (task: Pick<FormTask, 'projectId' | 'formTaskId'>): string => `form-callback-secret:${task.projectId}:${task.formTaskId}`;

export const DEFAULT_DEADLINE_DAYS = 30;
export const TEXT_ANSWER_MAX = 5_000;

/** A form task delivered to one citizen. Keyed by the citizen's ID in the citizens table. */
export type TaskStatus = 'sent' | 'answered' | 'expired';

export interface CitizenTask {
  /**
   * Opaque; the form task id (one task per citizen and form task), or for a guardian's task about
   * a child the form task id and the child's reference (one per guardian, form task and child).
   */
  readonly taskId: string;
  readonly projectId: string;
  readonly formTaskId: string;
  readonly deliveryId: string;
  readonly language: Language;
  readonly status: 'sent' | 'answered';
  readonly sentAt: string;
  /** ISO time after which the task can no longer be answered. */
  readonly deadline: string;
  /** External forms: the opaque per-recipient token appended to the form's link. */
  readonly token?: string;
  readonly answeredAt?: string;
  /**
   * A guardian's task about a child under 16: the child's reference, the same keyed hash the
   * contact ledger keys the guardian's entry by (`#G#<child ref>`), never the child's ID. The task
   * belongs to the guardian, who reads and answers it; the child never sees it.
   */
  readonly aboutChild?: string;
  /**
   * A guardian's task about a child: the child's own pseudonym in the project (projectPseudonym of
   * the child, made at delivery, where the child's ID is known) — the child's row in the round
   * report, so the guardian's answer about the child can be joined with it. Never shown to the
   * guardian. Tasks delivered before it have none (form-tasks.ts answerTask).
   */
  readonly childPseudonym?: string;
  /**
   * The key version of the project's pseudonyms when the task was delivered (Project.pseudonymKeyVersion):
   * the answer names its recipient under it, whatever the current version by then. Tasks
   * delivered before it have none and follow the current version.
   */
  readonly pseudonymKeyVersion?: string;
}

/** The task id of a citizen's task: a guardian's about a child is apart from their own and from their other children's. */
/** Letters, digits, `_` and `-` only: it travels in a path (`/citizen/tasks/{taskId}/answers`), whose ids are checked for exactly these. */
export const citizenTaskId = (formTaskId: string, aboutChild?: string): string => (aboutChild ? `${formTaskId}-${aboutChild}` : formTaskId);

/** `expired` is derived from the deadline, so no job has to flip it. */
export const taskStatus = (task: Pick<CitizenTask, 'status' | 'deadline'>, now: string): TaskStatus => (task.status === 'answered' ? 'answered' : task.deadline <= now ? 'expired' : 'sent');

export const deadlineFrom = (sentAt: string, days: number): string => new Date(Date.parse(sentAt) + days * 86_400_000).toISOString();

/** The external form's link for one recipient: the form URL plus their opaque token, never their ID. */
export const externalLink = (formUrl: string, token: string): string => {
  const url = new URL(formUrl);
  url.searchParams.set('token', token);
  return url.toString();
};

export const localized = (text: LocalizedText, language: Language): string => text[language] ?? text.nb;

export type AnswerValue = string | number;

export class TaskAlreadyAnsweredError extends ConflictError {
  constructor() {
    super('TASK_ALREADY_ANSWERED', 'This task has already been answered');
  }
}

export class TaskExpiredError extends ConflictError {
  constructor() {
    super('TASK_EXPIRED', 'The deadline for this task has passed');
  }
}

export class TaskNotAnswerableHereError extends ConflictError {
  constructor() {
    super('TASK_EXTERNAL', 'This task is answered in the external form its letter links to');
  }
}

/**
 * Validates answers against the questions: required ones present, no unknown question, each
 * value of the question's type. Returns the answers normalised (trimmed text, integer scale).
 */
export const validateAnswers = (questions: readonly Question[], answers: Readonly<Record<string, unknown>>): Record<string, AnswerValue> => {
  const problems: { field: string; message: string }[] = [];
  const out: Record<string, AnswerValue> = {};
  const byId = new Map(questions.map((q) => [q.id, q]));
  for (const id of Object.keys(answers)) if (!byId.has(id)) problems.push({ field: `answers.${id}`, message: 'no such question' });
  for (const q of questions) {
    const field = `answers.${q.id}`;
    const raw = Object.prototype.hasOwnProperty.call(answers, q.id) ? answers[q.id] : undefined;
    const blank = raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '');
    if (blank) {
      if (q.required) problems.push({ field, message: 'an answer is required' });
      continue;
    }
    switch (q.type) {
      case 'text':
        if (typeof raw !== 'string') problems.push({ field, message: 'must be text' });
        else if (raw.length > TEXT_ANSWER_MAX) problems.push({ field, message: `must be at most ${TEXT_ANSWER_MAX} characters` });
        else out[q.id] = raw.trim();
        break;
      case 'choice':
        if (typeof raw !== 'string' || !(q.options ?? []).includes(raw)) problems.push({ field, message: 'must be one of the options' });
        else out[q.id] = raw;
        break;
      case 'scale': {
        const min = q.min ?? 1;
        const max = q.max ?? 5;
        if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < min || raw > max) problems.push({ field, message: `must be a whole number from ${min} to ${max}` });
        else out[q.id] = raw;
        break;
      }
    }
  }
  if (problems.length > 0) throw new ValidationError('The answers are not valid', problems);
  return out;
};
