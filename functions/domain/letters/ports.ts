import type { Approval, Letter, LetterVersion } from './letter.js';

export interface LetterRepository {
  /** Writes the letter and its version 1 atomically. */
  createLetter(letter: Letter, first: LetterVersion): Promise<void>;
  /** Appends a version, conditional on the letter's latest version still being `expectedLatest`. */
  addVersion(letter: Letter, version: LetterVersion, expectedLatest: number): Promise<void>;
  getLetter(projectId: string, letterId: string): Promise<Letter | undefined>;
  getVersion(projectId: string, letterId: string, version: number): Promise<LetterVersion | undefined>;
  listLetters(projectId: string): Promise<Letter[]>;
  listVersions(projectId: string, letterId: string): Promise<LetterVersion[]>;
  /** Records the approval on that version, conditional on its content hash being `contentHash`. */
  approveVersion(projectId: string, letterId: string, version: number, contentHash: string, approval: Approval): Promise<void>;
}

export interface ProbeResult {
  readonly url: string;
  readonly ok: boolean;
  /** Final HTTP status, when one was received. */
  readonly status?: number;
  /** Why it failed: TIMEOUT, TOO_MANY_REDIRECTS, REDIRECT_NOT_ALLOWED, ADDRESS_NOT_ALLOWED, HTTP_STATUS, NETWORK. */
  readonly reason?: string;
  readonly hops: readonly string[];
}

/** Probes links live: HEAD then GET, ≤ 5 redirects, each hop re-validated, 5 s timeout. */
export interface LinkProber {
  probe(url: string, allowedDomains: readonly string[]): Promise<ProbeResult>;
  /**
   * Whether plain http is acceptable for this host: only on the local runtime, only for its
   * development allowlist (127.0.0.1, localhost). Absent means never.
   */
  allowsPlainHttp?(host: string): boolean;
}

import type { AnswerValue, CitizenTask, FormTask } from './form-task.js';

/** One citizen's answers as researchers see them: by pseudonymous recipient id, never the ID. */
export interface FormResponse {
  readonly projectId: string;
  readonly formTaskId: string;
  /** Keyed hash of the citizen, per project, so responses cannot be linked across projects. */
  readonly recipient: string;
  /** A guardian's answer about a child: the child's pseudonym in the project (per-project keyed, as `recipient`). */
  readonly aboutChild?: string;
  readonly language: string;
  readonly answeredAt: string;
  readonly answers: Readonly<Record<string, AnswerValue>>;
}

/**
 * Seals a small secret (an external form task's callback secret) so that the table alone never
 * holds it: authenticated encryption under a key of its own, independent of the citizen hash key
 * (functions/adapters/crypto/secret-box.ts: AES-256-GCM). `context` is bound to the sealed value
 * (additional authenticated data): a value sealed for one task does not open for another.
 */
export interface SecretBox {
  seal(plain: string, context: string): Promise<string>;
  /** The plain value; SealedSecretRefusedError when the value was changed, sealed for another context, or under a key no longer held. */
  open(sealed: string, context: string): Promise<string>;
}

/** A sealed value that does not open: changed, moved to another context, or its key is gone. Never says which. */
export class SealedSecretRefusedError extends Error {
  constructor() {
    super('the sealed value does not open');
    this.name = 'SealedSecretRefusedError';
  }
}

export interface FormTaskRepository {
  createFormTask(task: FormTask): Promise<void>;
  getFormTask(projectId: string, formTaskId: string): Promise<FormTask | undefined>;
  listFormTasks(projectId: string): Promise<FormTask[]>;
  listResponses(projectId: string, formTaskId: string): Promise<FormResponse[]>;
}

/** Tasks delivered to citizens, kept with the citizen's own records. */
export interface CitizenTaskRepository {
  /** Writes the task unless the citizen already has it; returns the task that is stored. */
  putTaskIfAbsent(nin: string, task: CitizenTask): Promise<{ task: CitizenTask; created: boolean }>;
  getTask(nin: string, taskId: string): Promise<CitizenTask | undefined>;
  listTasks(nin: string): Promise<CitizenTask[]>;
  /** The task an external form's token belongs to, with its citizen. */
  findByToken(token: string): Promise<{ nin: string; task: CitizenTask } | undefined>;
  /** Batch read of one task for many citizens (the task id is the same for all). */
  tasksOf(nins: readonly string[], taskId: string): Promise<Map<string, CitizenTask>>;
  /**
   * Marks the task answered and stores the pseudonymous response, atomically, conditional on the
   * task being unanswered and its deadline after `now`; false when that condition failed.
   */
  recordAnswer(nin: string, taskId: string, response: FormResponse, now: string): Promise<boolean>;
  /**
   * An external form reported completed: marks the citizen's task answered (so reminders skip
   * them) and counts it on the form task, atomically, conditional on the task still being
   * unanswered; false when it already was (nothing changed).
   */
  markCompleted(nin: string, task: CitizenTask, at: string): Promise<boolean>;
}
