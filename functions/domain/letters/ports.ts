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
}
