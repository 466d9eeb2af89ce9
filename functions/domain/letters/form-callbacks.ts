import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { DomainError, ConflictError } from '../../shared/errors.js';
import { auditScope } from '../projects/use-cases.js';
import type { AuditLog } from '../shared/audit.js';
import { projectPseudonym, type HashKeyring } from '../shared/citizen-key.js';
import { nowIso } from '../shared/ids.js';
import { callbackSealContext, type FormTask } from './form-task.js';
import { SealedSecretRefusedError, type CitizenTaskRepository, type FormTaskRepository, type SecretBox } from './ports.js';

/** How far a callback's `at` may be from now, either way, before it is refused as stale. */
export const CALLBACK_WINDOW_MS = 5 * 60_000;

export class BadSignatureError extends DomainError {
  constructor() {
    super('BAD_SIGNATURE', 401, 'The X-Signature header is missing or does not match the body');
  }
}

export class StaleCallbackError extends ConflictError {
  constructor() {
    super('STALE_CALLBACK', 'The callback is more than 5 minutes away from now; send a fresh one');
  }
}

/**
 * A form task's sealed callback secret does not open: changed in the table, copied from another
 * task, or sealed under a key version no longer held. The fault is ours, not the caller's
 * signature, so it is never answered as BAD_SIGNATURE (the form system would stop and nobody would
 * hear of it): 503, send again once mended, and operations are told (a log line and a metric, by the
 * handler). Nothing is recorded. Only a real token of the task reaches this, so the answer tells
 * the caller nothing about which tokens exist. Carries the task's ids, never the secret or a person.
 */
export class CallbackSecretUnreadableError extends DomainError {
  constructor(
    readonly projectId: string,
    readonly formTaskId: string,
  ) {
    super(
      'CALLBACK_SECRET_UNREADABLE',
      503,
      "This form task's callback secret cannot be read on our side, so the callback was not checked and nothing was recorded; operations are alerted. Send it again later",
    );
  }
}

/**
 * Tasks created before secrets were sealed (a `callbackSalt`, no `callbackSecretSealed`) keep the
 * secret they were shown: derived (HKDF-SHA256) from the hash-key version pinned on the task (or,
 * pinned none, each live version) and their salt. They verify as long as that version is live;
 * before an operator retires a hash-key version, such tasks need a new secret (a new form task),
 * as docs/api-additions.md says. New tasks never take this path.
 */
const legacyCallbackSecrets = (task: Pick<FormTask, 'projectId' | 'formTaskId' | 'callbackSalt' | 'callbackKeyVersion'>, ring: HashKeyring): string[] => {
  if (!task.callbackSalt) return [];
  const info = `form-callback-secret:v1:${task.projectId}:${task.formTaskId}`;
  const versions = task.callbackKeyVersion ? [task.callbackKeyVersion] : [ring.current, ...Object.keys(ring.keys).filter((v) => v !== ring.current)];
  return versions
    .map((v) => ring.keys[v])
    .filter((k): k is string => k !== undefined)
    .map((key) => Buffer.from(hkdfSync('sha256', key, task.callbackSalt!, info, 32)).toString('base64url'));
};

/** The `X-Signature` value an external form system sends for `raw` (what its tests and ours compute). */
export const signCallback = (secret: string, raw: Buffer | string): string => `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;

/** Constant-time comparison of the header with the expected signature; any malformed header fails. */
export const signatureMatches = (secret: string, raw: Buffer, header: string | undefined): boolean => {
  const m = /^sha256=([0-9a-fA-F]{64})$/.exec(header?.trim() ?? '');
  if (!m) return false;
  const expected = createHmac('sha256', secret).update(raw).digest();
  return timingSafeEqual(expected, Buffer.from(m[1]!, 'hex'));
};

/** Verifies the signature of a callback with no target, so it costs what a real one costs; matches nothing that matters. */
const UNKNOWN_TARGET_SECRET = 'no-form-task-takes-this-callback';

export interface FormCallback {
  readonly token: string;
  readonly status: 'completed';
  readonly at: string;
}

export interface FormCallbackDeps {
  readonly formTasks: Pick<FormTaskRepository, 'getFormTask'>;
  readonly citizenTasks: Pick<CitizenTaskRepository, 'findByToken' | 'markCompleted'>;
  readonly audit: AuditLog;
  /** The hash keyring: the completing recipient's pseudonym in the trail, and the secrets of tasks from before sealing. */
  readonly hashKeys: () => HashKeyring;
  /** Opens a task's sealed callback secret. */
  readonly secretBox: Pick<SecretBox, 'open'>;
}

/**
 * Every secret a callback of this task may be signed with: its sealed one, or (a task from before
 * sealing) the derived ones. A sealed secret that does not open (changed in the table, copied from
 * another task, its seal key gone) is CallbackSecretUnreadableError: loud, never a quiet refusal.
 */
const callbackSecrets = async (task: FormTask, deps: Pick<FormCallbackDeps, 'hashKeys' | 'secretBox'>): Promise<string[]> => {
  if (task.callbackSecretSealed) {
    try {
      return [await deps.secretBox.open(task.callbackSecretSealed, callbackSealContext(task))];
    } catch (e) {
      if (e instanceof SealedSecretRefusedError) throw new CallbackSecretUnreadableError(task.projectId, task.formTaskId);
      throw e;
    }
  }
  return legacyCallbackSecrets(task, deps.hashKeys());
};

/**
 * An external form system reports that a citizen completed the form. The signature decides first
 * (API.md): a callback that is not signed with the secret of the form task its token belongs to is
 * 401 BAD_SIGNATURE, whatever the token — an unknown token, one of another form task or a form
 * task that takes no callbacks cannot carry a valid signature, so they get the same answer, after
 * the same HMAC work (a stand-in secret), and nobody learns from the answer which tokens exist.
 * Only a signed callback learns that it is stale (409). Completing is conditional on the task
 * still being open, so a replay, or another signed body for a token already completed, changes
 * nothing and answers the same.
 */
export const receiveFormCallback = async (
  deps: FormCallbackDeps,
  input: { readonly formTaskId: string; readonly raw: Buffer; readonly signature: string | undefined; readonly callback: FormCallback },
  now: string = nowIso(),
): Promise<void> => {
  const found = await deps.citizenTasks.findByToken(input.callback.token);
  const formTask = found && found.task.formTaskId === input.formTaskId ? await deps.formTasks.getFormTask(found.task.projectId, input.formTaskId) : undefined;
  const target = found && formTask && formTask.form.type === 'external' && (formTask.callbackSecretSealed || formTask.callbackSalt) ? { found, formTask } : undefined;
  const secrets = target ? await callbackSecrets(target.formTask, deps) : [];
  // Every candidate is checked (no early exit), and a task whose key version is gone still costs one HMAC.
  const signed = (secrets.length ? secrets : [UNKNOWN_TARGET_SECRET]).map((s) => signatureMatches(s, input.raw, input.signature)).includes(true) && secrets.length > 0;
  if (!signed || !target) throw new BadSignatureError();
  const { formTask: task } = target;
  const at = Date.parse(input.callback.at);
  if (!Number.isFinite(at) || Math.abs(Date.parse(now) - at) > CALLBACK_WINDOW_MS) throw new StaleCallbackError();

  const ring = deps.hashKeys();
  const completed = await deps.citizenTasks.markCompleted(target.found.nin, target.found.task, new Date(at).toISOString());
  if (!completed) return; // already completed: a replay or a second report is harmless
  await deps.audit.append(auditScope(task.projectId), {
    at: now,
    actor: 'external-form',
    role: 'system',
    action: 'form_task.completed',
    // The project's pseudonym under the task's key version: as its answers and round reports name the person.
    details: { formTaskId: task.formTaskId, recipient: projectPseudonym(target.found.nin, task.projectId, ring, target.found.task.pseudonymKeyVersion) },
  });
};
