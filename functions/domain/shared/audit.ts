import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { Principal } from '../../shared/principal.js';

export interface AuditEvent {
  readonly at: string;
  readonly actor: string;
  /** A staff actor's name as their sign-in gave it when they acted (never a citizen's); in the hash when present. */
  readonly actorName?: string;
  readonly role: string;
  readonly action: string;
  readonly details: Readonly<Record<string, unknown>>;
}

/**
 * An event as stored: its place in the scope's hash chain. `hash` is SHA-256 over the canonical
 * JSON (RFC 8785) of everything else, `prevHash` included, so changing, removing or reordering
 * any event breaks every hash after it.
 */
export interface ChainedAuditEvent extends AuditEvent {
  readonly scope: string;
  /** 1, 2, 3, … without gaps: the order of the chain (not `at`, which concurrent writers may tie). */
  readonly seq: number;
  readonly prevHash: string;
  readonly hash: string;
}

/** Where a scope's chain stands: the last event's number and hash. */
export interface ChainHead {
  readonly events: number;
  readonly head: string;
}

/** Append-only by construction: the port has no update or delete. */
export interface AuditLog {
  /** Appends to the end of the scope's chain; two concurrent appends never fork it. */
  append(scope: string, event: AuditEvent): Promise<ChainedAuditEvent>;
  /**
   * Appends the event unless one was already appended under `key` in the scope (then undefined):
   * an entry that whoever retries it — concurrently or after a crash — writes exactly once.
   */
  appendOnce(scope: string, key: string, event: AuditEvent): Promise<ChainedAuditEvent | undefined>;
  /** The scope's events in chain order. */
  list(scope: string): Promise<ChainedAuditEvent[]>;
  /** The stored chain head (what the next append links to). */
  head(scope: string): Promise<ChainHead>;
}

/** The global scope, for halts, resumes and complaint lookups that concern every project. */
export const OPERATIONS_SCOPE = 'operations';

/** The prevHash of a scope's first event. */
export const GENESIS = '0'.repeat(64);

/**
 * A citizen's `sub` is their national ID, so a citizen actor is recorded by keyed hash only:
 * pass a pseudonym as `actorKey` for citizens (refused otherwise) — in a project's trail the
 * project's pseudonym (projectPseudonym), in the operations trail the global key.
 */
export const auditEvent = (principal: Principal, action: string, details: Record<string, unknown> = {}, actorKey?: string): AuditEvent => {
  if (principal.role === 'citizen' && !actorKey) throw new Error('citizen actors are audited by keyed hash only');
  const actor = principal.role === 'citizen' ? `citizen:${actorKey}` : principal.sub;
  return { at: new Date().toISOString(), actor, ...(principal.role !== 'citizen' && principal.name ? { actorName: principal.name } : {}), role: principal.role, action, details };
};

/**
 * The hash of one event over its canonical JSON. The event is first passed through JSON, so
 * what is hashed is exactly what storage gives back (undefined fields dropped).
 */
export const hashEvent = (e: Omit<ChainedAuditEvent, 'hash'>): string => {
  const body = {
    scope: e.scope,
    seq: e.seq,
    prevHash: e.prevHash,
    at: e.at,
    actor: e.actor,
    // Only when present, so that every event chained before names were recorded keeps its hash.
    ...(e.actorName !== undefined ? { actorName: e.actorName } : {}),
    role: e.role,
    action: e.action,
    details: JSON.parse(JSON.stringify(e.details ?? {})) as unknown,
  };
  return createHash('sha256').update(canonicalize(body)!, 'utf8').digest('hex');
};

/** Links an event to the head it follows. */
export const chainEvent = (scope: string, event: AuditEvent, after: ChainHead): ChainedAuditEvent => {
  const details = JSON.parse(JSON.stringify(event.details ?? {})) as Record<string, unknown>;
  const linked = { ...event, details, scope, seq: after.events + 1, prevHash: after.head };
  return { ...linked, hash: hashEvent(linked) };
};

export const EMPTY_HEAD: ChainHead = { events: 0, head: GENESIS };

export type ChainProblemCode = 'HASH_MISMATCH' | 'BROKEN_LINK' | 'SEQUENCE_GAP' | 'WRONG_SCOPE' | 'HEAD_MISMATCH' | 'UNCHAINED_EVENT';

export interface ChainProblem {
  /** The event's position in the chain as stored (or as expected, for a gap). */
  readonly seq: number;
  readonly code: ChainProblemCode;
}

export interface ChainVerification {
  readonly ok: boolean;
  readonly events: number;
  /** The hash of the last event; null for an empty chain. */
  readonly head: string | null;
  readonly problems: readonly ChainProblem[];
}

/**
 * Recomputes the chain. `events` are the stored items (any order; they are put in `seq` order);
 * `storedHead` is the separately stored head, so removing the last event is caught too.
 */
export const verifyChain = (scope: string, events: readonly Partial<ChainedAuditEvent>[], storedHead?: ChainHead): ChainVerification => {
  const problems: ChainProblem[] = [];
  const chained = events.filter((e): e is ChainedAuditEvent => typeof e.seq === 'number' && typeof e.hash === 'string');
  for (const e of events) if (!chained.includes(e as ChainedAuditEvent)) problems.push({ seq: 0, code: 'UNCHAINED_EVENT' });
  const ordered = [...chained].sort((a, b) => a.seq - b.seq);
  let prev = GENESIS;
  ordered.forEach((e, i) => {
    if (e.seq !== i + 1) problems.push({ seq: i + 1, code: 'SEQUENCE_GAP' });
    if (e.scope !== scope) problems.push({ seq: e.seq, code: 'WRONG_SCOPE' });
    if (e.prevHash !== prev) problems.push({ seq: e.seq, code: 'BROKEN_LINK' });
    if (hashEvent(e) !== e.hash) problems.push({ seq: e.seq, code: 'HASH_MISMATCH' });
    prev = e.hash;
  });
  const last = ordered.at(-1);
  if (storedHead && (storedHead.events !== ordered.length || storedHead.head !== (last?.hash ?? GENESIS))) {
    problems.push({ seq: storedHead.events, code: 'HEAD_MISMATCH' });
  }
  return { ok: problems.length === 0, events: ordered.length, head: last?.hash ?? null, problems };
};

// ---- sealed heads ----------------------------------------------------------------------------

/** A chain head written where nobody can rewrite it (S3 Object Lock, compliance mode). */
export interface SealedHead {
  readonly head: string;
  readonly events: number;
  readonly at: string;
  readonly reason: string;
}

export interface AuditSeal {
  /** `projectId` names the chain: a project's id, or OPERATIONS_SCOPE for the operations trail. */
  seal(projectId: string, sealed: SealedHead): Promise<void>;
  /** Every head sealed for that chain, oldest first. */
  sealed(projectId: string): Promise<SealedHead[]>;
  /** The head sealed furthest along that chain (undefined if none): what GET …/audit/verify compares with. */
  latest(projectId: string): Promise<SealedHead | undefined>;
}

/** The audit scope of a chain name given to AuditSeal (a project id, or the operations scope). */
export const scopeOfChain = (projectId: string): string => (projectId === OPERATIONS_SCOPE ? OPERATIONS_SCOPE : `project:${projectId}`);

/** The chain name (for AuditSeal) of an audit scope; undefined for a scope that is no chain of ours. */
export const chainOfScope = (scope: string): string | undefined => (scope === OPERATIONS_SCOPE ? OPERATIONS_SCOPE : scope.startsWith('project:') ? scope.slice('project:'.length) : undefined);

/**
 * Seals the current head of a project's chain (or the operations chain). Call it after the event
 * it should cover was appended, e.g. at a round's completion.
 */
export const sealAuditHead = async (
  deps: { readonly audit: AuditLog; readonly auditSeal: AuditSeal },
  projectId: string,
  reason: string,
  at: string = new Date().toISOString(),
): Promise<SealedHead> => {
  const { head, events } = await deps.audit.head(scopeOfChain(projectId));
  const sealed = { head, events, at, reason };
  await deps.auditSeal.seal(projectId, sealed);
  return sealed;
};

export type SealProblemCode = 'SEALED_EVENT_MISSING' | 'SEALED_HASH_MISMATCH';

export interface SealCheck extends ChainVerification {
  readonly sealedHeads: number;
  readonly sealProblems: readonly { readonly events: number; readonly code: SealProblemCode }[];
}

/**
 * A chain checked against its sealed heads: every sealed head must be an event of the chain
 * (at the same position, with the same hash), and the chain must verify. A chain rewritten and
 * re-hashed from some event on verifies on its own, but no longer matches the heads sealed after
 * that event.
 */
export const checkAgainstSeals = (scope: string, events: readonly Partial<ChainedAuditEvent>[], storedHead: ChainHead | undefined, seals: readonly SealedHead[]): SealCheck => {
  const chain = verifyChain(scope, events, storedHead);
  const bySeq = new Map(events.filter((e) => typeof e.seq === 'number').map((e) => [e.seq!, e.hash]));
  const sealProblems: { events: number; code: SealProblemCode }[] = [];
  for (const s of seals) {
    if (s.events === 0 && s.head === GENESIS) continue;
    const hash = bySeq.get(s.events);
    if (hash === undefined) sealProblems.push({ events: s.events, code: 'SEALED_EVENT_MISSING' });
    else if (hash !== s.head) sealProblems.push({ events: s.events, code: 'SEALED_HASH_MISMATCH' });
  }
  return { ...chain, ok: chain.ok && sealProblems.length === 0, sealedHeads: seals.length, sealProblems };
};

/** A chain's verification as GET …/audit/verify answers it: the chain itself, then its latest seal. */
export interface SealedVerification extends Omit<ChainVerification, 'problems'> {
  /** The chain's problems, then a sealed head the chain no longer holds (`seq` = the sealed position). */
  readonly problems: readonly { readonly seq: number; readonly code: ChainProblemCode | SealProblemCode }[];
  /** The latest sealed head of the chain (null when none is sealed yet); `problems` says if the chain no longer holds it. */
  readonly sealed: Pick<SealedHead, 'events' | 'head' | 'at'> | null;
}

/**
 * Verifies a chain and compares it with its latest sealed head. A chain rewritten from some event
 * on and re-hashed verifies on its own, but every hash after the rewritten event changes, so the
 * latest seal at or after it no longer matches (`SEALED_HASH_MISMATCH`); a chain cut back below
 * it lacks the sealed event (`SEALED_EVENT_MISSING`). The latest seal is enough: each hash covers
 * everything before it.
 */
export const verifyWithLatestSeal = (scope: string, events: readonly Partial<ChainedAuditEvent>[], storedHead: ChainHead | undefined, latest: SealedHead | undefined): SealedVerification => {
  const checked = checkAgainstSeals(scope, events, storedHead, latest ? [latest] : []);
  const problems: { seq: number; code: ChainProblemCode | SealProblemCode }[] = [...checked.problems, ...checked.sealProblems.map((p) => ({ seq: p.events, code: p.code }))];
  return {
    ok: checked.ok,
    events: checked.events,
    head: checked.head,
    problems,
    sealed: latest ? { events: latest.events, head: latest.head, at: latest.at } : null,
  };
};

// ---- sealing on a schedule -------------------------------------------------------------------

/** A chain's head as the schedule finds it: changed at `changedAt` (the time of that append). */
export interface ChangedHead {
  readonly scope: string;
  readonly changedAt: string;
}

/** What the sealing schedule reads: which chains changed, and how far the last run got. */
export interface AuditHeadIndex {
  /** Heads changed at or after `since` (every chain of every scope). */
  changedSince(since: string): Promise<ChangedHead[]>;
  /** When the last completed run started (undefined before the first). */
  sealedThrough(): Promise<string | undefined>;
  /** Records a completed run that started at `at` (never moves the mark back). */
  markSealedThrough(at: string): Promise<void>;
}

/**
 * How far back before the last run each run looks again: a head written by a writer whose clock is
 * a little behind, or not yet visible in the index when the last run read it, is still found.
 * Sealing a head twice is harmless (the seal store keeps one object per head).
 */
const SEAL_OVERLAP_MS = 5 * 60_000;
const SEAL_PARALLEL = 8;

/**
 * The scheduled seal (EventBridge when deployed, a timer locally): the current head of every chain
 * changed since the last run — project chains and the operations chain — is sealed, so no chain
 * goes unsealed for longer than the schedule's period, whether or not a round completes. A mark in
 * the future (set by someone who could write the table) is not believed: the run seals every head.
 */
export const sealChangedHeads = async (
  deps: { readonly audit: AuditLog; readonly auditSeal: AuditSeal; readonly heads: AuditHeadIndex },
  now: Date = new Date(),
): Promise<{ readonly chains: number }> => {
  const mark = Date.parse((await deps.heads.sealedThrough()) ?? '');
  // No mark, an unreadable one or one in the future: every head is looked at again.
  const from = Number.isFinite(mark) && mark <= now.getTime() ? mark - SEAL_OVERLAP_MS : 0;
  const changed = await deps.heads.changedSince(new Date(Math.max(from, 0)).toISOString());
  const chains = [...new Set(changed.map((h) => chainOfScope(h.scope)).filter((c): c is string => c !== undefined))];
  const at = now.toISOString();
  for (let i = 0; i < chains.length; i += SEAL_PARALLEL) {
    await Promise.all(chains.slice(i, i + SEAL_PARALLEL).map((chain) => sealAuditHead(deps, chain, 'scheduled', at)));
  }
  // Only after every changed head is sealed: a failed run leaves the mark, and the next run retries.
  await deps.heads.markSealedThrough(at);
  return { chains: chains.length };
};
