import { randomBytes } from 'node:crypto';
import { NotFoundError } from '../../shared/errors.js';
import type { Principal } from '../../shared/principal.js';
import type { ProjectRepository } from '../projects/ports.js';
import { auditScope, loadProject } from '../projects/use-cases.js';
import { auditEvent, type AuditLog } from '../shared/audit.js';
import { projectPseudonym, projectPseudonyms, type HashKeyring } from '../shared/citizen-key.js';
import { newId, nowIso } from '../shared/ids.js';
import {
  DEFAULT_DEADLINE_DAYS,
  TaskAlreadyAnsweredError,
  TaskExpiredError,
  TaskNotAnswerableHereError,
  callbackSealContext,
  citizenTaskId,
  newCallbackSecret,
  deadlineFrom,
  externalLink,
  localized,
  taskStatus,
  validateAnswers,
  type CitizenTask,
  type FormDefinition,
  type FormTask,
  type TaskStatus,
} from './form-task.js';
import type { Language } from './letter.js';
import type { CitizenTaskRepository, FormResponse, FormTaskRepository, SecretBox } from './ports.js';

export interface FormTaskDeps {
  readonly projects: ProjectRepository;
  readonly audit: AuditLog;
  readonly formTasks: FormTaskRepository;
  readonly citizenTasks: CitizenTaskRepository;
  /** The citizen hash keyring: project pseudonyms are derived from it. */
  readonly hashKeys: () => HashKeyring;
}

// ---- researchers ---------------------------------------------------------------------------

export interface NewFormTaskInput {
  readonly title: string;
  readonly form: FormDefinition;
  readonly deadlineDays?: number;
}

/**
 * Creates a form task. An external one gets a callback secret of its own (form-callbacks.ts),
 * returned here once — the caller shows it in the 201 answer — and stored only sealed.
 */
export const createFormTask = async (
  deps: Pick<FormTaskDeps, 'projects' | 'audit' | 'formTasks'> & { readonly secretBox: Pick<SecretBox, 'seal'> },
  principal: Principal,
  projectId: string,
  input: NewFormTaskInput,
): Promise<{ task: FormTask; callbackSecret?: string }> => {
  await loadProject(deps, principal, projectId, 'edit');
  const base = {
    projectId,
    formTaskId: newId('frm'),
    title: input.title,
    form: input.form,
    deadlineDays: input.deadlineDays ?? DEFAULT_DEADLINE_DAYS,
    createdBy: principal.sub,
    createdAt: nowIso(),
  };
  const callbackSecret = input.form.type === 'external' ? newCallbackSecret() : undefined;
  const task: FormTask = callbackSecret ? { ...base, callbackSecretSealed: await deps.secretBox.seal(callbackSecret, callbackSealContext(base)), completedCount: 0 } : base;
  await deps.formTasks.createFormTask(task);
  await deps.audit.append(auditScope(projectId), auditEvent(principal, 'form_task.created', { formTaskId: task.formTaskId, type: task.form.type }));
  return callbackSecret ? { task, callbackSecret } : { task };
};

export const loadFormTask = async (deps: Pick<FormTaskDeps, 'projects' | 'formTasks'>, principal: Principal, projectId: string, formTaskId: string): Promise<FormTask> => {
  await loadProject(deps, principal, projectId, 'read');
  const task = await deps.formTasks.getFormTask(projectId, formTaskId);
  if (!task) throw new NotFoundError('Form task');
  return task;
};

export const listFormTasks = async (deps: Pick<FormTaskDeps, 'projects' | 'formTasks'>, principal: Principal, projectId: string): Promise<FormTask[]> => {
  await loadProject(deps, principal, projectId, 'read');
  return deps.formTasks.listFormTasks(projectId);
};

/** The answers, by pseudonymous recipient: for the project's researchers only. */
export const formResponses = async (
  deps: Pick<FormTaskDeps, 'projects' | 'formTasks'>,
  principal: Principal,
  projectId: string,
  formTaskId: string,
): Promise<{ formTask: FormTask; responses: FormResponse[] }> => {
  await loadProject(deps, principal, projectId, 'responses');
  const formTask = await deps.formTasks.getFormTask(projectId, formTaskId);
  if (!formTask) throw new NotFoundError('Form task');
  return { formTask, responses: await deps.formTasks.listResponses(projectId, formTaskId) };
};

/**
 * How an answer named the child before tasks carried the child's own pseudonym: a pseudonym of the
 * task's child reference, which matches nothing else a researcher reads. Still what an answer to
 * such a task gets; `npm run ops:backfill-child-pseudonyms` gives those tasks the child's own
 * pseudonym and rewrites the answers that carry this one.
 */
export const legacyChildPseudonym = (childRef: string, projectId: string, ring: HashKeyring): string => projectPseudonym(`child:${childRef}`, projectId, ring);

/** That old naming under every live key version: what an answer made before a rotation may carry. */
export const legacyChildPseudonyms = (childRef: string, projectId: string, ring: HashKeyring): string[] => projectPseudonyms(`child:${childRef}`, projectId, ring);

/** The JSON export (`GET …/responses`): one item per answer; a guardian's answer about a child names the child as the CSV does. */
export const responsesJson = (formTask: FormTask, responses: readonly FormResponse[]) => ({
  formTaskId: formTask.formTaskId,
  items: responses.map((r) => ({ recipient: r.recipient, ...(r.aboutChild !== undefined ? { aboutChild: r.aboutChild } : {}), answeredAt: r.answeredAt, language: r.language, answers: r.answers })),
});

/** A spreadsheet would run a cell starting with one of these as a formula. */
const FORMULA_START = /^[=+\-@\t\r]/;

export const csvCell = (value: unknown): string => {
  let s = value === undefined || value === null ? '' : String(value);
  if (FORMULA_START.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
};

/** RFC 4180 CSV (CRLF), one row per response, one column per question, formula cells neutralised. */
export const responsesCsv = (formTask: FormTask, responses: readonly FormResponse[]): string => {
  const questionIds = formTask.form.type === 'internal' ? formTask.form.questions.map((q) => q.id) : [...new Set(responses.flatMap((r) => Object.keys(r.answers)))].sort();
  // Guardians' answers about children: a column naming the child by the project's pseudonym, only when there are any.
  const children = responses.some((r) => r.aboutChild !== undefined);
  const header = ['recipient', ...(children ? ['aboutChild'] : []), 'answeredAt', 'language', ...questionIds];
  const rows = responses.map((r) => [r.recipient, ...(children ? [r.aboutChild] : []), r.answeredAt, r.language, ...questionIds.map((q) => r.answers[q])]);
  return [header, ...rows].map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
};

// ---- delivery (called by the dispatch worker) ----------------------------------------------

export interface TaskForDeliveryInput {
  readonly nin: string;
  readonly projectId: string;
  readonly formTaskId: string;
  readonly deliveryId: string;
  readonly language: Language;
  /** ISO time of delivery: the deadline counts from it. */
  readonly now: string;
  /** A guardian's task: the reference of the child it is about (the task is the guardian's, `nin` is theirs). */
  readonly aboutChild?: string;
  /** A guardian's task: the child's pseudonym in the project (projectPseudonym of the child), for the export. */
  readonly childPseudonym?: string;
  /** The project's pseudonym key version at delivery (CitizenTask.pseudonymKeyVersion). */
  readonly pseudonymKeyVersion?: string;
}

/**
 * Creates the citizen's task when a form-task letter is delivered, and gives the link to put in
 * the letter (external forms: the form URL with the recipient's opaque token, never their ID).
 * Idempotent per citizen and form task: a redelivery or a reminder returns the task (and link)
 * that already exists, so a citizen never has two copies of one form.
 */
export const createTaskForDelivery = async (deps: Pick<FormTaskDeps, 'formTasks' | 'citizenTasks'>, input: TaskForDeliveryInput): Promise<{ task: CitizenTask; link?: string; created: boolean }> => {
  const formTask = await deps.formTasks.getFormTask(input.projectId, input.formTaskId);
  if (!formTask) throw new NotFoundError('Form task');
  const candidate: CitizenTask = {
    taskId: citizenTaskId(formTask.formTaskId, input.aboutChild),
    projectId: input.projectId,
    formTaskId: formTask.formTaskId,
    deliveryId: input.deliveryId,
    language: input.language,
    status: 'sent',
    sentAt: input.now,
    deadline: deadlineFrom(input.now, formTask.deadlineDays),
    ...(formTask.form.type === 'external' ? { token: randomBytes(24).toString('base64url') } : {}),
    ...(input.aboutChild ? { aboutChild: input.aboutChild } : {}),
    ...(input.aboutChild && input.childPseudonym ? { childPseudonym: input.childPseudonym } : {}),
    ...(input.pseudonymKeyVersion ? { pseudonymKeyVersion: input.pseudonymKeyVersion } : {}),
  };
  const { task, created } = await deps.citizenTasks.putTaskIfAbsent(input.nin, candidate);
  const link = formTask.form.type === 'external' && task.token ? externalLink(formTask.form.url, task.token) : undefined;
  return { task, ...(link ? { link } : {}), created };
};

/** Each citizen's status for one form task; citizens who never got it are absent. */
export const taskStatuses = async (
  deps: Pick<FormTaskDeps, 'citizenTasks'>,
  projectId: string,
  formTaskId: string,
  nins: readonly string[],
  now: string = nowIso(),
): Promise<Map<string, TaskStatus>> => {
  const tasks = await deps.citizenTasks.tasksOf(nins, formTaskId);
  const out = new Map<string, TaskStatus>();
  for (const [nin, task] of tasks) if (task.projectId === projectId) out.set(nin, taskStatus(task, now));
  return out;
};

/**
 * Those of `nins` who got the form task and have not answered it while it is still open: the
 * targets of a reminder round. Citizens who never got it, answered, or whose task expired are
 * not included.
 */
export const nonResponders = async (deps: Pick<FormTaskDeps, 'citizenTasks'>, projectId: string, formTaskId: string, nins: readonly string[], now: string = nowIso()): Promise<Set<string>> => {
  const statuses = await taskStatuses(deps, projectId, formTaskId, nins, now);
  return new Set([...statuses].filter(([, s]) => s === 'sent').map(([nin]) => nin));
};

/** A guardian asked about a child: the guardian's ID and the child's reference (pseudonymOfChild), as their task records it. */
export interface GuardianAsked {
  readonly guardian: string;
  readonly aboutChild: string;
}

export const guardianAwaitingKey = (guardian: string, aboutChild: string): string => `${guardian}#${aboutChild}`;

/**
 * Reminder rounds, for children whose letters go to their guardians: which guardians still have
 * their task about the child open and unanswered (each guardian has their own task per child, so a
 * guardian who answered is not reminded because the other has not). Keys: guardianAwaitingKey.
 * One read per child, for all of its guardians.
 */
export const guardiansAwaitingAnswer = async (
  deps: Pick<FormTaskDeps, 'citizenTasks'>,
  projectId: string,
  formTaskId: string,
  asked: readonly GuardianAsked[],
  now: string = nowIso(),
): Promise<Set<string>> => {
  const byChild = new Map<string, string[]>();
  for (const { guardian, aboutChild } of asked) byChild.set(aboutChild, [...(byChild.get(aboutChild) ?? []), guardian]);
  const out = new Set<string>();
  await Promise.all(
    [...byChild].map(async ([aboutChild, guardians]) => {
      const statuses = await taskStatuses(deps, projectId, citizenTaskId(formTaskId, aboutChild), guardians, now);
      for (const [guardian, status] of statuses) if (status === 'sent') out.add(guardianAwaitingKey(guardian, aboutChild));
    }),
  );
  return out;
};

// ---- citizens ------------------------------------------------------------------------------

export interface CitizenTaskView {
  readonly taskId: string;
  readonly projectId: string;
  readonly formTaskId: string;
  readonly title: string;
  readonly type: 'internal' | 'external';
  readonly status: TaskStatus;
  readonly sentAt: string;
  readonly deadline: string;
  readonly answeredAt?: string;
  readonly link?: string;
  readonly questions?: readonly unknown[];
  /** A task the caller holds as a guardian, about a child under 16 (as `onBehalfOfMinor` in the inbox). */
  readonly onBehalfOfMinor?: true;
  /** Which child: the child's reference (a keyed hash), never the ID; tells a guardian's children's tasks apart. */
  readonly aboutChild?: string;
}

const viewOf = (task: CitizenTask, formTask: FormTask | undefined, now: string): CitizenTaskView => ({
  taskId: task.taskId,
  projectId: task.projectId,
  formTaskId: task.formTaskId,
  title: formTask?.title ?? '',
  type: formTask?.form.type ?? 'internal',
  status: taskStatus(task, now),
  sentAt: task.sentAt,
  deadline: task.deadline,
  ...(task.answeredAt ? { answeredAt: task.answeredAt } : {}),
  ...(task.aboutChild ? { onBehalfOfMinor: true as const, aboutChild: task.aboutChild } : {}),
  ...(formTask?.form.type === 'external' && task.token ? { link: externalLink(formTask.form.url, task.token) } : {}),
  ...(formTask?.form.type === 'internal'
    ? {
        questions: formTask.form.questions.map((q) => ({
          id: q.id,
          text: localized(q.text, task.language),
          type: q.type,
          required: q.required ?? false,
          ...(q.options ? { options: q.options } : {}),
          ...(q.type === 'scale' ? { min: q.min ?? 1, max: q.max ?? 5 } : {}),
        })),
      }
    : {}),
});

/** The caller's own tasks; `principal.sub` is the citizen's national ID, used only as their key. */
export const listCitizenTasks = async (deps: Pick<FormTaskDeps, 'formTasks' | 'citizenTasks'>, principal: Principal, now: string = nowIso()): Promise<CitizenTaskView[]> => {
  const tasks = await deps.citizenTasks.listTasks(principal.sub);
  const forms = await Promise.all(tasks.map((t) => deps.formTasks.getFormTask(t.projectId, t.formTaskId)));
  return tasks.map((t, i) => viewOf(t, forms[i], now));
};

export const answerTask = async (deps: FormTaskDeps, principal: Principal, taskId: string, answers: Readonly<Record<string, unknown>>, now: string = nowIso()): Promise<CitizenTaskView> => {
  const nin = principal.sub;
  const task = await deps.citizenTasks.getTask(nin, taskId);
  if (!task) throw new NotFoundError('Task');
  const refuseFor = (t: CitizenTask) => {
    const status = taskStatus(t, now);
    if (status === 'answered') throw new TaskAlreadyAnsweredError();
    if (status === 'expired') throw new TaskExpiredError();
  };
  refuseFor(task);
  const formTask = await deps.formTasks.getFormTask(task.projectId, task.formTaskId);
  if (!formTask) throw new NotFoundError('Task');
  if (formTask.form.type !== 'internal') throw new TaskNotAnswerableHereError();
  const valid = validateAnswers(formTask.form.questions, answers);
  const ring = deps.hashKeys();
  // Under the key version the project's pseudonyms had when the task was delivered: the answer joins the round report.
  const pseudonym = projectPseudonym(nin, task.projectId, ring, task.pseudonymKeyVersion);
  const response: FormResponse = {
    projectId: task.projectId,
    formTaskId: task.formTaskId,
    recipient: pseudonym,
    // A guardian answers once per child: the child named by their own pseudonym in the project (never the global reference).
    ...(task.aboutChild ? { aboutChild: task.childPseudonym ?? legacyChildPseudonym(task.aboutChild, task.projectId, ring) } : {}),
    language: task.language,
    answeredAt: now,
    answers: valid,
  };
  if (!(await deps.citizenTasks.recordAnswer(nin, taskId, response, now))) {
    // Someone (a second tab) answered first, or the deadline passed in between.
    const fresh = await deps.citizenTasks.getTask(nin, taskId);
    if (fresh) refuseFor(fresh);
    throw new TaskAlreadyAnsweredError();
  }
  await deps.audit.append(auditScope(task.projectId), auditEvent(principal, 'form_task.answered', { formTaskId: task.formTaskId }, pseudonym));
  return viewOf({ ...task, status: 'answered', answeredAt: now }, formTask, now);
};
