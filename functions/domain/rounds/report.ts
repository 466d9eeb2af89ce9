import type { ChainedAuditEvent } from '../shared/audit.js';
import type { LetterVersion } from '../letters/letter.js';
import type { RecipientOutcome } from './round.js';
import type { Principal } from '../../shared/principal.js';
import type { RoundDeps } from './ports.js';
import { getRound } from './read.js';

/**
 * The audit-derived part of a round's report for the product board (API.md: GET …/report):
 * who approved the exact letter version the round sent, and the audit chain head that vouches
 * for it. Pure: the caller reads the project's audit events and the letter's versions.
 */
export interface ApprovalRecord {
  readonly by: string;
  /** The name the actor's sign-in gave when they acted (recorded in the audit), when it gave one. */
  readonly byName?: string;
  readonly at: string;
  readonly version: number;
  readonly contentHash: string;
}

export interface RoundDecisionRecord {
  readonly action: 'round.overridden' | 'round.canary_confirmed' | 'round.released' | 'round.cancelled' | 'project.paused' | 'project.resumed';
  readonly by: string;
  readonly byName?: string;
  readonly at: string;
  readonly reason?: string;
}

export type ReportFindingCode =
  /** An approval in the audit names another content hash than the version that was sent. */
  | 'APPROVAL_CONTENT_MISMATCH'
  /** The stored version says approved, but no approval of it is in the audit trail. */
  | 'APPROVAL_NOT_IN_AUDIT'
  /** The round's letter version is not among the versions given. */
  | 'VERSION_NOT_FOUND';

export interface RoundApprovalReport {
  readonly approvals: readonly ApprovalRecord[];
  /**
   * Overrides of a duplicate hold, canary confirmation, release and cancellation, in chain order;
   * with the pauses and resumes of the project while the round was out (from its release to its
   * completion), which stopped it whatever round they named.
   */
  readonly decisions: readonly RoundDecisionRecord[];
  /** Hash of the chain head the report is anchored to (sealed at completion); null for an empty trail. */
  readonly auditHead: string | null;
  readonly findings: readonly { readonly code: ReportFindingCode; readonly version: number }[];
}

export interface ReportRound {
  readonly roundId: string;
  readonly letterId: string;
  readonly letterVersion: number;
  /** When the round completed; the head is the last event at or before it when none was sealed. */
  readonly completedAt?: string;
}

const byNameOf = (e: ChainedAuditEvent): { byName?: string } => (e.actorName ? { byName: e.actorName } : {});

const DECISIONS = new Set<RoundDecisionRecord['action']>(['round.overridden', 'round.canary_confirmed', 'round.released', 'round.cancelled']);
const PROJECT_STOPS = new Set<string>(['project.paused', 'project.resumed']);

export const roundApprovalReport = (
  round: ReportRound,
  events: readonly ChainedAuditEvent[],
  versions: readonly LetterVersion[],
  /** The head sealed at the round's completion (what sealAuditHead returned), when the engine kept it. */
  sealedHead?: string,
): RoundApprovalReport => {
  const chain = [...events].sort((a, b) => a.seq - b.seq);
  const sent = versions.find((v) => v.letterId === round.letterId && v.version === round.letterVersion);
  const findings: { code: ReportFindingCode; version: number }[] = [];
  if (!sent) findings.push({ code: 'VERSION_NOT_FOUND', version: round.letterVersion });

  const approvals: ApprovalRecord[] = [];
  for (const e of chain) {
    if (e.action !== 'letter.version_approved' || e.details.letterId !== round.letterId || e.details.version !== round.letterVersion) continue;
    const contentHash = String(e.details.contentHash ?? '');
    if (sent && contentHash !== sent.contentHash) {
      findings.push({ code: 'APPROVAL_CONTENT_MISMATCH', version: round.letterVersion });
      continue;
    }
    approvals.push({ by: e.actor, ...byNameOf(e), at: e.at, version: round.letterVersion, contentHash });
  }
  if (sent?.approval && approvals.length === 0) findings.push({ code: 'APPROVAL_NOT_IN_AUDIT', version: round.letterVersion });

  const released = chain.find((e) => e.action === 'round.released' && e.details.roundId === round.roundId);
  const whileOut = (e: ChainedAuditEvent) => released !== undefined && e.seq > released.seq && (!round.completedAt || e.at <= round.completedAt);
  const decisions: RoundDecisionRecord[] = chain
    .filter((e) => (DECISIONS.has(e.action as RoundDecisionRecord['action']) && e.details.roundId === round.roundId) || (PROJECT_STOPS.has(e.action) && whileOut(e)))
    .map((e) => ({
      action: e.action as RoundDecisionRecord['action'],
      by: e.actor,
      ...byNameOf(e),
      at: e.at,
      ...(typeof e.details.reason === 'string' ? { reason: e.details.reason } : {}),
    }));

  const anchored = round.completedAt ? chain.filter((e) => e.at <= round.completedAt!) : chain;
  const auditHead = sealedHead ?? anchored.at(-1)?.hash ?? null;
  return { approvals, decisions, auditHead, findings };
};

/**
 * The round's record for the product board (API.md, GET …/rounds/{roundId}/report): its counts,
 * who released it and when, who approved the exact version it sent (from the hash-chained audit)
 * and the audit head sealed when it completed.
 */
export const roundReport = async (
  deps: {
    readonly audit: { list(scope: string): Promise<ChainedAuditEvent[]> };
    readonly letters: { getVersion(projectId: string, letterId: string, version: number): Promise<LetterVersion | undefined> };
  } & RoundDeps,
  principal: Principal,
  projectId: string,
  roundId: string,
) => {
  const view = await getRound(deps, principal, projectId, roundId);
  const r = view.round;
  const events = await deps.audit.list(`project:${r.projectId}`);
  const version = await deps.letters.getVersion(r.projectId, r.letterId, r.letterVersion);
  const completedAt = r.status === 'completed' ? r.completedAt : undefined;
  const approvals = roundApprovalReport(
    { roundId: r.roundId, letterId: r.letterId, letterVersion: r.letterVersion, ...(completedAt ? { completedAt } : {}) },
    events,
    version ? [version] : [],
    r.status === 'completed' ? r.auditHead : undefined,
  );
  return {
    roundId: r.roundId,
    projectId: r.projectId,
    status: view.status,
    letterId: r.letterId,
    letterVersion: r.letterVersion,
    counts: view.counts,
    skipReasons: view.skipReasons,
    releasedBy: r.release?.releasedBy ?? null,
    releasedByName: r.release?.releasedByName ?? null,
    releasedAt: r.release?.releasedAt ?? null,
    completedAt: completedAt ?? null,
    approvals: approvals.approvals,
    decisions: approvals.decisions,
    auditHead: approvals.auditHead,
    findings: approvals.findings,
  };
};

/**
 * The CSV a researcher can read (API.md, `?format=csv`): one row per recipient with the project's
 * pseudonym, `sent` or `not_sent`, and when it was sent. Rows are ordered by pseudonym, never by
 * the uploaded list: the researcher knows row → national ID, so list order would re-identify every
 * pseudonym. No reason, channel or guardian count per person: that someone reserved, has a
 * protected address, is under guardianship or died must not reach a researcher (reasons appear
 * only as counts in the JSON report; operations read them per person through the contact lookup).
 * A not-sent row carries no time either: when a skip or failure was decided tells its kind apart.
 */
export const reportRows = (recipients: readonly { nin: string }[], outcomes: (index: number) => RecipientOutcome, pseudonym: (nin: string) => string): string[][] => {
  const rows = recipients.map((rec, i) => reportRow(pseudonym(rec.nin), outcomes(i)));
  rows.sort(byPseudonym);
  return [[...REPORT_HEADER], ...rows];
};

export const REPORT_HEADER = ['recipient', 'outcome', 'at'] as const;

/** One recipient's CSV row: pseudonym, `sent` or `not_sent`, and the time only when sent. */
export const reportRow = (pseudonym: string, o: RecipientOutcome): [string, string, string] =>
  o.kind === 'sent' ? [pseudonym, 'sent', new Date(o.at * 1000).toISOString()] : [pseudonym, 'not_sent', ''];

export const byPseudonym = (a: readonly string[], b: readonly string[]): number => (a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : 0);
