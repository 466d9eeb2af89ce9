import type { Principal } from '../../shared/principal.js';

export interface AuditEvent {
  readonly at: string;
  readonly actor: string;
  readonly role: string;
  readonly action: string;
  readonly details: Readonly<Record<string, unknown>>;
}

/** Append-only by construction: the port has no update or delete. */
export interface AuditLog {
  append(scope: string, event: AuditEvent): Promise<void>;
  list(scope: string): Promise<AuditEvent[]>;
}

/** The global scope, for halts and resumes that concern every project. */
export const OPERATIONS_SCOPE = 'operations';

/**
 * A citizen's `sub` is their national ID, so a citizen actor is recorded by keyed hash only:
 * pass `citizenKey(sub, key)` as `actorKey` for citizens (refused otherwise).
 */
export const auditEvent = (
  principal: Principal,
  action: string,
  details: Record<string, unknown> = {},
  actorKey?: string,
): AuditEvent => {
  if (principal.role === 'citizen' && !actorKey) throw new Error('citizen actors are audited by keyed hash only');
  const actor = principal.role === 'citizen' ? `citizen:${actorKey}` : principal.sub;
  return { at: new Date().toISOString(), actor, role: principal.role, action, details };
};
