import { createTaskForDelivery } from '../letters/form-tasks.js';
import type { CitizenTaskRepository, FormTaskRepository } from '../letters/ports.js';
import type { TaskIssuer } from './ports.js';

/**
 * Gives each recipient of a form-task letter their task before the letter is sent, so the letter
 * can carry the link. The letters module's createTaskForDelivery is idempotent per citizen and
 * form task: a redelivered batch gets the same task and token back, so the link never changes.
 * The form task is read once per batch, not once per recipient. A guardian's task about a child
 * is the guardian's (under their ID) and records the child's reference, one per child.
 */
export const formTaskIssuer = (formTasks: FormTaskRepository, citizenTasks: CitizenTaskRepository): TaskIssuer => ({
  async issue(items, ctx) {
    const form = formTasks.getFormTask(ctx.projectId, ctx.formTaskId);
    const once: FormTaskRepository = Object.assign(Object.create(formTasks) as FormTaskRepository, { getFormTask: () => form });
    const out = new Map<string, { taskId: string; link?: string }>();
    await Promise.all(
      items.map(async (item) => {
        const { task, link } = await createTaskForDelivery(
          { formTasks: once, citizenTasks },
          {
            nin: item.nin,
            projectId: ctx.projectId,
            formTaskId: ctx.formTaskId,
            deliveryId: item.deliveryId,
            language: item.language,
            now: ctx.sentAt,
            ...(item.aboutChild ? { aboutChild: item.aboutChild } : {}),
            ...(item.childPseudonym ? { childPseudonym: item.childPseudonym } : {}),
            ...(ctx.pseudonymKeyVersion ? { pseudonymKeyVersion: ctx.pseudonymKeyVersion } : {}),
          },
        );
        out.set(item.deliveryId, { taskId: task.taskId, ...(link ? { link } : {}) });
      }),
    );
    return out;
  },
});
