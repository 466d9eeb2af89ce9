import { randomBytes } from 'node:crypto';
import type { Language } from '../letters/letter.js';
import { deadlineFrom, DEFAULT_DEADLINE_DAYS, externalLink, type CitizenTask } from '../letters/form-task.js';
import type { CitizenTaskRepository, FormTaskRepository } from '../letters/ports.js';
import type { TaskIssuer } from './process-batch.js';

/**
 * Gives each recipient of a form-task letter their task, before the letter is sent (so the letter
 * can carry the link). Idempotent per citizen and form task: a redelivered batch finds the task
 * already there and reuses its token, so the link in the letter never changes.
 */
export const formTaskIssuer = (formTasks: FormTaskRepository, citizenTasks: CitizenTaskRepository): TaskIssuer => ({
  async issue(items, ctx) {
    const form = await formTasks.getFormTask(ctx.projectId, ctx.formTaskId);
    if (!form) throw new Error('form task of a released letter is missing');
    const out = new Map<string, { taskId: string; link?: string }>();
    await Promise.all(
      items.map(async (item: { nin: string; deliveryId: string; language: Language }) => {
        const task: CitizenTask = {
          taskId: form.formTaskId,
          projectId: ctx.projectId,
          formTaskId: form.formTaskId,
          deliveryId: item.deliveryId,
          language: item.language,
          status: 'sent',
          sentAt: ctx.sentAt,
          deadline: deadlineFrom(ctx.sentAt, form.deadlineDays ?? DEFAULT_DEADLINE_DAYS),
          ...(form.form.type === 'external' ? { token: randomBytes(18).toString('base64url') } : {}),
        };
        const stored = (await citizenTasks.putTaskIfAbsent(item.nin, task)).task;
        out.set(item.deliveryId, {
          taskId: stored.taskId,
          link: form.form.type === 'external' && stored.token ? externalLink(form.form.url, stored.token) : undefined,
        });
      }),
    );
    return out;
  },
});
