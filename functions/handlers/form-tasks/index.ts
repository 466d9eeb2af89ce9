import { adapters } from '../../adapters/index.js';
import { createFormTask, formResponses, listFormTasks, loadFormTask, responsesCsv, responsesJson } from '../../domain/letters/form-tasks.js';
import { createFormTaskBody, formTaskView } from '../../schemas/form-tasks.js';
import { ValidationError } from '../../shared/errors.js';
import { httpHandler, ok, route } from '../../shared/http.js';
import { z } from 'zod';

const STAFF = ['researcher', 'superuser', 'operations'] as const;

export const routes = {
  'POST /projects/{projectId}/form-tasks': route({ roles: ['researcher'], body: createFormTaskBody }, async ({ principal, params, body }) => {
    const { task, callbackSecret } = await createFormTask(adapters().formTasks, principal, params.projectId!, body);
    // Shown once, here: it is stored only sealed, and no other answer carries it.
    return ok({ ...formTaskView(task), ...(callbackSecret ? { callbackSecret } : {}) }, 201);
  }),
  'GET /projects/{projectId}/form-tasks': route({ roles: STAFF }, async ({ principal, params }) =>
    ok({ items: (await listFormTasks(adapters().formTasks, principal, params.projectId!)).map(formTaskView) }),
  ),
  'GET /projects/{projectId}/form-tasks/{formTaskId}': route({ roles: STAFF }, async ({ principal, params }) =>
    ok(formTaskView(await loadFormTask(adapters().formTasks, principal, params.projectId!, params.formTaskId!))),
  ),
  'GET /projects/{projectId}/form-tasks/{formTaskId}/responses': route(
    { roles: ['researcher'], describe: { query: z.object({ format: z.enum(['json', 'csv']).optional() }) } },
    async ({ principal, params, query }) => {
      const format = query.format ?? 'json';
      if (format !== 'json' && format !== 'csv') throw new ValidationError('format is json or csv', [{ field: 'format', message: 'json or csv' }]);
      const { formTask, responses } = await formResponses(adapters().formTasks, principal, params.projectId!, params.formTaskId!);
      if (format === 'csv') return { status: 200, text: responsesCsv(formTask, responses), contentType: 'text/csv; charset=utf-8' };
      return ok(responsesJson(formTask, responses));
    },
  ),
};

export const handler = httpHandler(routes);
