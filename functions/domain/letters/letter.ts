/**
 * Letters and their versions. A version is immutable once written; editing makes a new one.
 * Approval binds to a version *and* its content hash, so what is released is exactly what a
 * superuser approved. (Shared contract between the quality gate, letters, rounds and dispatch.)
 */
export const LANGUAGES = ['nb', 'nn', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

export interface LetterContent {
  readonly subject: string;
  readonly body: string;
}

export type LetterContentByLanguage = { readonly nb?: LetterContent; readonly nn?: LetterContent; readonly en?: LetterContent };

export type LetterKind = 'letter' | 'form-task';

export interface Approval {
  readonly approvedBy: string;
  readonly approvedAt: string;
  readonly comment?: string;
  readonly checklist?: Readonly<Record<string, unknown>>;
}

export interface LetterVersion {
  readonly projectId: string;
  readonly letterId: string;
  readonly version: number;
  readonly title: string;
  readonly kind: LetterKind;
  readonly formTaskId?: string;
  readonly content: LetterContentByLanguage;
  /**
   * Recipient-list columns the letter expects as `{{placeholders}}` (declared by the researcher);
   * any other placeholder is an UNKNOWN_PLACEHOLDER finding. Not part of the content hash.
   */
  readonly fields?: readonly string[];
  /** sha-256 over the canonical content: every language, subject and body, kind and form task. */
  readonly contentHash: string;
  readonly authoredBy: string;
  readonly createdAt: string;
  /** Present once a superuser approved exactly this version. */
  readonly approval?: Approval;
}

export interface Letter {
  readonly projectId: string;
  readonly letterId: string;
  readonly title: string;
  readonly kind: LetterKind;
  readonly latestVersion: number;
  /** Highest approved version, if any. */
  readonly approvedVersion?: number;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface Finding {
  readonly code: string;
  readonly severity: 'error' | 'warning';
  readonly message: string;
  readonly language?: Language;
  readonly link?: string;
  /** For link findings: why the probe failed (TIMEOUT, HTTP_STATUS, …). */
  readonly reason?: string;
}
