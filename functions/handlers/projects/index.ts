import { adapters } from '../../adapters/index.js';
import { createProject, listProjects, loadProject } from '../../domain/projects/use-cases.js';
import { createProjectBody, projectView } from '../../schemas/projects.js';
import { httpHandler, ok, route } from '../../shared/http.js';

const STAFF = ['researcher', 'superuser', 'operations'] as const;

export const routes = {
  'POST /projects': route({ roles: ['researcher'], body: createProjectBody }, async ({ principal, body }) =>
    ok(projectView(await createProject(adapters(), principal, body)), 201),
  ),
  'GET /projects': route({ roles: STAFF }, async ({ principal }) =>
    ok({ items: (await listProjects(adapters(), principal)).map(projectView) }),
  ),
  'GET /projects/{projectId}': route({ roles: STAFF }, async ({ principal, params }) =>
    ok(projectView(await loadProject(adapters(), principal, params.projectId!))),
  ),
};

export const handler = httpHandler(routes);
