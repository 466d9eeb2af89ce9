import { adapters } from '../../adapters/index.js';
import { createUploadUrl, getList, listLists, uploadList, type ListSource } from '../../domain/lists/use-cases.js';
import { listView, uploadListBody } from '../../schemas/lists.js';
import { config } from '../../shared/config.js';
import { httpHandler, ok, route } from '../../shared/http.js';

const STAFF = ['researcher', 'superuser', 'operations'] as const;
const policy = () => ({ allowSynthetic: config.allowSyntheticNins(), retention: config.retention() });

export const routes = {
  'POST /projects/{projectId}/recipient-lists': route({ roles: ['researcher'], body: uploadListBody, textTypes: ['text/csv'] }, async ({ principal, params, body, text }) => {
    const source: ListSource = body === undefined ? { kind: 'csv', text } : 'objectKey' in body ? { kind: 'upload', objectKey: body.objectKey } : { kind: 'json', recipients: body.recipients };
    return ok(await uploadList(adapters().lists, policy(), principal, params.projectId!, source), 201);
  }),
  'POST /projects/{projectId}/recipient-lists/upload-url': route({ roles: ['researcher'] }, async ({ principal, params }) =>
    ok(await createUploadUrl(adapters().lists, principal, params.projectId!), 201),
  ),
  'GET /projects/{projectId}/recipient-lists': route({ roles: STAFF }, async ({ principal, params }) => ok({ items: (await listLists(adapters().lists, principal, params.projectId!)).map(listView) })),
  'GET /projects/{projectId}/recipient-lists/{listId}': route({ roles: STAFF }, async ({ principal, params }) =>
    ok(listView(await getList(adapters().lists, principal, params.projectId!, params.listId!))),
  ),
};

export const handler = httpHandler(routes);
