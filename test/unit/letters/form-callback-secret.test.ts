import { hkdfSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AesGcmSecretBox } from '../../../functions/adapters/crypto/secret-box.js';
import { BadSignatureError, CallbackSecretUnreadableError, receiveFormCallback, signCallback, type FormCallbackDeps } from '../../../functions/domain/letters/form-callbacks.js';
import { createFormTask } from '../../../functions/domain/letters/form-tasks.js';
import type { CitizenTask, FormTask } from '../../../functions/domain/letters/form-task.js';
import type { ProjectRepository } from '../../../functions/domain/projects/ports.js';
import { newProject } from '../../../functions/domain/projects/project.js';
import type { AuditLog } from '../../../functions/domain/shared/audit.js';
import { parseKeyring, projectPseudonym, type HashKeyring } from '../../../functions/domain/shared/citizen-key.js';

/**
 * The callback-secret flow (issue 24 #6): an external form task gets a random secret, returned
 * once and stored only sealed; its callbacks verify with that secret whatever happens to the
 * citizen hash key; a sealed secret changed in the table verifies nothing.
 */
const researcher = { sub: 'ola', role: 'researcher', org: 'uio' } as const;
const project = newProject('prj_1', { title: 'Studien', organization: 'uio' }, researcher, '2026-12-01T00:00:00.000Z', true);
const NIN = '01018012345';

const world = () => {
  const stored = new Map<string, FormTask>();
  const completed: string[] = [];
  const audited: unknown[] = [];
  let citizenTask: CitizenTask = {
    taskId: 't',
    projectId: project.projectId,
    formTaskId: '',
    deliveryId: 'd',
    language: 'nb',
    status: 'sent',
    sentAt: '2026-12-01T00:00:00.000Z',
    deadline: '2027-01-01T00:00:00.000Z',
    token: 'tok',
  };
  let ring: HashKeyring = parseKeyring('the-first-citizen-hash-key-0123456789');
  const box = new AesGcmSecretBox(async () => 'the-callback-seal-key-for-unit-tests-0123');
  const projects = { getProject: async (id: string) => (id === project.projectId ? project : undefined), isMember: async () => true } as unknown as ProjectRepository;
  const audit = { append: async (_scope: string, e: unknown) => void audited.push(e) } as unknown as AuditLog;
  const deps = {
    projects,
    audit,
    secretBox: box,
    formTasks: {
      createFormTask: async (t: FormTask) => void stored.set(t.formTaskId, t),
      getFormTask: async (_p: string, id: string) => stored.get(id),
      listFormTasks: async () => [...stored.values()],
      listResponses: async () => [],
    },
  };
  const callbackDeps = (formTaskId: string): FormCallbackDeps => ({
    formTasks: deps.formTasks,
    citizenTasks: {
      findByToken: async (token) => (token === 'tok' ? { nin: NIN, task: { ...citizenTask, formTaskId } } : undefined),
      markCompleted: async (_nin, task) => (completed.includes(task.formTaskId) ? false : (completed.push(task.formTaskId), true)),
    },
    audit,
    hashKeys: () => ring,
    secretBox: box,
  });
  const pin = (v: string) => void (citizenTask = { ...citizenTask, pseudonymKeyVersion: v });
  return { deps, stored, completed, audited, callbackDeps, pin, rotate: (r: HashKeyring) => void (ring = r) };
};

const signed = (secret: string, at = new Date().toISOString()) => {
  const callback = { token: 'tok', status: 'completed' as const, at };
  const raw = Buffer.from(JSON.stringify(callback));
  return { raw, callback, signature: signCallback(secret, raw) };
};

describe('an external form task’s callback secret', () => {
  it('should be random, returned once, and stored only sealed (never in clear, no hash-key salt)', async () => {
    const w = world();
    const a = await createFormTask(w.deps, researcher, project.projectId, { title: 'A', form: { type: 'external', url: 'https://skjema.example.org/a' } });
    const b = await createFormTask(w.deps, researcher, project.projectId, { title: 'B', form: { type: 'external', url: 'https://skjema.example.org/b' } });
    expect(a.callbackSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(b.callbackSecret).not.toBe(a.callbackSecret);
    const stored = w.stored.get(a.task.formTaskId)!;
    expect(JSON.stringify(stored)).not.toContain(a.callbackSecret);
    expect(stored.callbackSecretSealed).toMatch(/^sb1\./);
    expect(stored).not.toHaveProperty('callbackSalt');
    expect(stored).not.toHaveProperty('callbackKeyVersion');
    // An internal form takes no callbacks: no secret.
    const internal = await createFormTask(w.deps, researcher, project.projectId, { title: 'I', form: { type: 'internal', questions: [{ id: 'q', text: { nb: 'Q' }, type: 'text' }] } });
    expect(internal.callbackSecret).toBeUndefined();
    expect(w.stored.get(internal.task.formTaskId)).not.toHaveProperty('callbackSecretSealed');
  });

  it('should verify a callback signed with it, before and after the hash key is rotated and its old version retired', async () => {
    const w = world();
    const { task, callbackSecret } = await createFormTask(w.deps, researcher, project.projectId, { title: 'A', form: { type: 'external', url: 'https://skjema.example.org/a' } });
    w.rotate(parseKeyring(JSON.stringify({ current: 'v5', keys: { v5: 'only-the-new-hash-key-is-left-0123456789' } })));
    await receiveFormCallback(w.callbackDeps(task.formTaskId), { formTaskId: task.formTaskId, ...signed(callbackSecret!) });
    expect(w.completed).toEqual([task.formTaskId]);
    expect(w.audited.filter((e) => (e as { action: string }).action === 'form_task.completed')).toHaveLength(1);
    expect(JSON.stringify(w.audited)).not.toContain(NIN);
  });

  it('test_should_name_the_completing_recipient_in_the_trail_by_the_projects_pseudonym_under_the_tasks_key_version', async () => {
    // The trail, the answers and the round reports name a person alike (docs/api-additions.md):
    // the project's pseudonym, under the version pinned on the task, not the current one.
    const w = world();
    const before = parseKeyring(JSON.stringify({ current: 'v1', keys: { v1: 'the-first-citizen-hash-key-0123456789' } }));
    const { task, callbackSecret } = await createFormTask(w.deps, researcher, project.projectId, { title: 'A', form: { type: 'external', url: 'https://skjema.example.org/a' } });
    w.pin('v1');
    w.rotate(parseKeyring(JSON.stringify({ current: 'v2', keys: { ...before.keys, v2: 'the-second-citizen-hash-key-0123456789' } })));
    await receiveFormCallback(w.callbackDeps(task.formTaskId), { formTaskId: task.formTaskId, ...signed(callbackSecret!) });
    const [completed] = w.audited.filter((e) => (e as { action: string }).action === 'form_task.completed') as { details: { recipient: string } }[];
    expect(completed!.details.recipient).toBe(projectPseudonym(NIN, project.projectId, before));
  });

  it('should refuse a callback signed with anything else', async () => {
    const w = world();
    const a = await createFormTask(w.deps, researcher, project.projectId, { title: 'A', form: { type: 'external', url: 'https://skjema.example.org/a' } });
    const b = await createFormTask(w.deps, researcher, project.projectId, { title: 'B', form: { type: 'external', url: 'https://skjema.example.org/b' } });
    await expect(receiveFormCallback(w.callbackDeps(a.task.formTaskId), { formTaskId: a.task.formTaskId, ...signed(b.callbackSecret!) })).rejects.toBeInstanceOf(BadSignatureError);
    expect(w.completed).toEqual([]);
  });

  it('test_should_fail_loudly_and_record_nothing_when_a_sealed_secret_was_changed_copied_from_another_task_or_its_key_is_gone', async () => {
    const w = world();
    const a = await createFormTask(w.deps, researcher, project.projectId, { title: 'A', form: { type: 'external', url: 'https://skjema.example.org/a' } });
    const b = await createFormTask(w.deps, researcher, project.projectId, { title: 'B', form: { type: 'external', url: 'https://skjema.example.org/b' } });
    const deps = w.callbackDeps(a.task.formTaskId);
    const refusal = async (d: FormCallbackDeps, secret: string) => {
      const e = await receiveFormCallback(d, { formTaskId: a.task.formTaskId, ...signed(secret) }).then(
        () => undefined,
        (x: unknown) => x,
      );
      // Our side is broken, not the caller's signature: a typed 503, never BAD_SIGNATURE (which hid it).
      expect(e).toBeInstanceOf(CallbackSecretUnreadableError);
      expect(e).toMatchObject({ status: 503, code: 'CALLBACK_SECRET_UNREADABLE', projectId: project.projectId, formTaskId: a.task.formTaskId });
      for (const leak of [secret, NIN, 'tok', w.stored.get(a.task.formTaskId)!.callbackSecretSealed!]) expect(JSON.stringify({ m: (e as Error).message, ...(e as object) })).not.toContain(leak);
    };
    // Task b's sealed secret copied onto task a: sealed for b, it does not open for a.
    w.stored.set(a.task.formTaskId, { ...a.task, callbackSecretSealed: w.stored.get(b.task.formTaskId)!.callbackSecretSealed! });
    await refusal(deps, b.callbackSecret!);
    // Changed in the table.
    const sealed = a.task.callbackSecretSealed!;
    w.stored.set(a.task.formTaskId, { ...a.task, callbackSecretSealed: `${sealed.slice(0, -3)}AAA` });
    await refusal(deps, a.callbackSecret!);
    // Intact, but its seal key was retired.
    w.stored.set(a.task.formTaskId, a.task);
    await refusal({ ...deps, secretBox: new AesGcmSecretBox(async () => 'another-callback-seal-key-nobody-sealed-with') }, a.callbackSecret!);
    expect(w.completed).toEqual([]);
    expect(w.audited.filter((e) => (e as { action: string }).action === 'form_task.completed')).toEqual([]);
  });

  it('should keep verifying a task from before sealing (salt, pinned version) with its derived secret while that version is live', async () => {
    const w = world();
    const { task } = await createFormTask(w.deps, researcher, project.projectId, { title: 'Old', form: { type: 'external', url: 'https://skjema.example.org/old' } });
    const { callbackSecretSealed: _sealed, ...unsealed } = task;
    const legacy: FormTask = { ...unsealed, callbackSalt: 'c2FsdC1vZi1hbi1vbGQtdGFzaw', callbackKeyVersion: 'v1' };
    w.stored.set(task.formTaskId, legacy);
    const derived = Buffer.from(hkdfSync('sha256', 'the-first-citizen-hash-key-0123456789', legacy.callbackSalt!, `form-callback-secret:v1:${task.projectId}:${task.formTaskId}`, 32)).toString(
      'base64url',
    );
    await receiveFormCallback(w.callbackDeps(task.formTaskId), { formTaskId: task.formTaskId, ...signed(derived) });
    expect(w.completed).toEqual([task.formTaskId]);
  });
});
