import { expect } from 'vitest';
import type { ApiClient, TestPlatform } from '../setup/platform.js';
import { completeChecklist } from './checklist.js';
import { roundOf, waitFor } from './dispatch/flow.js';

/**
 * A project of `org` with an internal form task (one required text question) and a form-task
 * letter linking it, taken through the quality gate (`beforeSubmit` may change its settings
 * first), and a round over `recipients` released and waited for until completed.
 */
export const completedFormTaskRound = async (
  p: TestPlatform,
  o: { org: string; title: string; question: string; recipients: readonly string[]; beforeSubmit?: (projectId: string) => Promise<void> },
): Promise<{ researcher: ApiClient; projectId: string; formTaskId: string; roundId: string; counts: Record<string, number> }> => {
  const researcher = p.as({ sub: `researcher@${o.org}`, role: 'researcher', org: o.org });
  const approver = p.as({ sub: `superuser2@${o.org}`, role: 'superuser', org: o.org });
  const projectId = (await researcher.post('/projects', { title: o.title, organization: o.org })).body.projectId as string;
  await o.beforeSubmit?.(projectId);
  const form = await researcher.post(`/projects/${projectId}/form-tasks`, {
    title: 'Skjema',
    form: { type: 'internal', questions: [{ id: 'q1', text: { nb: o.question }, type: 'text', required: true }] },
  });
  expect(form.status, form.text).toBe(201);
  const formTaskId = form.body.formTaskId as string;
  const letter = await researcher.post(`/projects/${projectId}/letters`, {
    title: 'Skjema',
    kind: 'form-task',
    formTaskId,
    content: { nb: { subject: 'Skjema', body: 'Svar på skjemaet her: {{taskLink}}' }, nn: { subject: 'Skjema', body: 'Svar på skjemaet her: {{taskLink}}' } },
  });
  expect(letter.status, letter.text).toBe(201);
  expect((await researcher.post(`/projects/${projectId}/submit`)).status).toBe(200);
  const approved = await approver.post(`/projects/${projectId}/approve`, { comment: 'Godkjent', checklist: await completeChecklist(approver, projectId) });
  expect(approved.status, approved.text).toBe(200);
  const list = await researcher.post(`/projects/${projectId}/recipient-lists`, { recipients: o.recipients.map((nin) => ({ nin })) });
  expect(list.status, list.text).toBe(201);
  const round = await researcher.post(`/projects/${projectId}/rounds`, { letterId: letter.body.letterId, listId: list.body.listId });
  expect(round.status, round.text).toBe(201);
  const roundId = round.body.roundId as string;
  expect((await researcher.post(`/projects/${projectId}/rounds/${roundId}/release`)).status).toBe(202);
  const done = await waitFor(
    () => roundOf({ projectId, researcher } as Parameters<typeof roundOf>[0], roundId),
    (x) => x.status === 'completed',
  );
  return { researcher, projectId, formTaskId, roundId, counts: done.counts as unknown as Record<string, number> };
};
