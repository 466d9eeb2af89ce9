import { adapters } from '../../adapters/index.js';
import { answerTask, listCitizenTasks } from '../../domain/letters/form-tasks.js';
import { answersBody } from '../../schemas/form-tasks.js';
import { httpHandler, ok, route } from '../../shared/http.js';

/** The portal's task list stand-in: a citizen's `sub` is their national ID, their records' key. */
export const routes = {
  'GET /citizen/tasks': route({ roles: ['citizen'] }, async ({ principal }) => ok({ items: await listCitizenTasks(adapters().formTasks, principal) })),
  'POST /citizen/tasks/{taskId}/answers': route({ roles: ['citizen'], body: answersBody }, async ({ principal, params, body }) =>
    ok(await answerTask(adapters().formTasks, principal, params.taskId!, body.answers)),
  ),
};

export const handler = httpHandler(routes);
