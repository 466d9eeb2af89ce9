import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AesGcmSecretBox } from '../../../functions/adapters/crypto/secret-box.js';
import { signCallback, type FormCallbackDeps } from '../../../functions/domain/letters/form-callbacks.js';
import { callbackSealContext, type CitizenTask, type FormTask } from '../../../functions/domain/letters/form-task.js';
import { parseKeyring } from '../../../functions/domain/shared/citizen-key.js';
import { formCallbackRoutes } from '../../../functions/handlers/form-callbacks/index.js';
import { httpHandler, type HttpEvent } from '../../../functions/shared/http.js';
import { METRIC } from '../../../functions/shared/metric-names.js';
import { lambdaContext } from '../../../local/api-server.js';

/**
 * Issue 24: a form task's sealed callback secret that does not open used to be refused like an
 * unsigned callback (401 BAD_SIGNATURE): nobody heard of it, and the form system was told its
 * signature was wrong. Now: one clear answer (503 CALLBACK_SECRET_UNREADABLE, mapped once), a log
 * line naming the task but never the secret, the token or the person, and a metric to alarm on.
 */
let out: string[] = [];
beforeEach(() => {
  out = [];
  // Metrics (EMF) go to stdout, error lines to stderr.
  for (const stream of [process.stdout, process.stderr])
    vi.spyOn(stream, 'write').mockImplementation((chunk: unknown) => {
      out.push(String(chunk));
      return true;
    });
});
afterEach(() => vi.restoreAllMocks());
const jsonLines = () =>
  out
    .join('')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

const NIN = '01018012345';
const TOKEN = 'the-citizens-opaque-token';
const SECRET = 'the-form-systems-callback-secret';

describe('a form callback whose sealed secret does not open', () => {
  it('test_should_answer_503_callback_secret_unreadable_log_the_task_without_secret_or_id_and_count_a_metric', async () => {
    const box = new AesGcmSecretBox(async () => 'the-callback-seal-key-for-unit-tests-0123');
    const base = {
      projectId: 'prj_1',
      formTaskId: 'ft_1',
      title: 'A',
      form: { type: 'external', url: 'https://skjema.example.org/a' },
      deadlineDays: 30,
      createdBy: 'ola',
      createdAt: '2026-12-01T00:00:00.000Z',
    } as const;
    const sealed = await box.seal(SECRET, callbackSealContext(base));
    const tampered: FormTask = { ...base, callbackSecretSealed: `${sealed.slice(0, -3)}AAA` };
    const task: CitizenTask = {
      taskId: 'ft_1',
      projectId: 'prj_1',
      formTaskId: 'ft_1',
      deliveryId: 'd',
      language: 'nb',
      status: 'sent',
      sentAt: '2026-12-01T00:00:00.000Z',
      deadline: '2027-01-01T00:00:00.000Z',
      token: TOKEN,
    };
    const completed: string[] = [];
    const ring = parseKeyring('the-first-citizen-hash-key-0123456789');
    const deps: FormCallbackDeps = {
      formTasks: { getFormTask: async () => tampered },
      citizenTasks: {
        findByToken: async (t) => (t === TOKEN ? { nin: NIN, task } : undefined),
        markCompleted: async (_n, t) => (completed.push(t.taskId), true),
      },
      audit: { append: async () => undefined } as never,
      hashKeys: () => ring,
      secretBox: box,
    };
    const handler = httpHandler(formCallbackRoutes(() => deps));
    const body = JSON.stringify({ token: TOKEN, status: 'completed', at: new Date().toISOString() });
    const event = {
      routeKey: 'POST /form-callbacks/{formTaskId}',
      pathParameters: { formTaskId: 'ft_1' },
      headers: { 'content-type': 'application/json', 'x-signature': signCallback(SECRET, body) },
      body,
      isBase64Encoded: false,
      requestContext: {},
    } as unknown as HttpEvent;

    const res = await handler(event, lambdaContext('formCallbacks'));

    expect(res.statusCode).toBe(503);
    expect(JSON.parse(String(res.body))).toMatchObject({ error: { code: 'CALLBACK_SECRET_UNREADABLE' } });
    expect(completed).toEqual([]);
    const lines = jsonLines();
    const alert = lines.find((l) => typeof l.message === 'string' && l.message.includes('sealed callback secret does not open'));
    expect(alert).toMatchObject({ level: 'ERROR', code: 'CALLBACK_SECRET_UNREADABLE', projectId: 'prj_1', formTaskId: 'ft_1' });
    const emf = lines.find((l) => l._aws !== undefined && l[METRIC.sealedSecretRefused] !== undefined);
    expect(emf).toMatchObject({ [METRIC.sealedSecretRefused]: 1, purpose: 'form_callback' });
    // Nothing a log reader could use: not the secret, the sealed value, the token, the signature or the person.
    const printed = out.join('') + String(res.body);
    for (const leak of [SECRET, sealed, tampered.callbackSecretSealed!, TOKEN, NIN, signCallback(SECRET, body).slice(7)]) expect(printed).not.toContain(leak);
  });
});
