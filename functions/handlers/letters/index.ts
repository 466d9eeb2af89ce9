import { adapters } from '../../adapters/index.js';
import { checkLetter, createLetter, editLetter, listLetters, loadLetter } from '../../domain/letters/use-cases.js';
import { approveLetterVersion } from '../../domain/letters/approval.js';
import { approveLetterBody, createLetterBody, editLetterBody, letterSummaryView, letterView } from '../../schemas/letters.js';
import { ValidationError } from '../../shared/errors.js';
import { httpHandler, ok, route } from '../../shared/http.js';
import { z } from 'zod';

const STAFF = ['researcher', 'superuser', 'operations'] as const;

/** For the API description; `versionQuery` below is what reads it. */
const versionParam = z.object({
  version: z
    .string()
    .regex(/^[1-9][0-9]*$/)
    .optional()
    .meta({ description: 'a version number; default the latest' }),
});

const versionQuery = (raw: string | undefined): number | undefined => {
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new ValidationError('version must be a positive whole number', [{ field: 'version', message: 'positive integer' }]);
  return n;
};

export const routes = {
  'POST /projects/{projectId}/letters': route({ roles: ['researcher'], body: createLetterBody }, async ({ principal, params, body }) => {
    const { letter, version } = await createLetter(adapters().letters, principal, params.projectId!, body);
    return ok(letterView(letter, version), 201);
  }),
  'GET /projects/{projectId}/letters': route({ roles: STAFF }, async ({ principal, params }) =>
    ok({ items: (await listLetters(adapters().letters, principal, params.projectId!)).map(letterSummaryView) }),
  ),
  'GET /projects/{projectId}/letters/{letterId}': route({ roles: STAFF, describe: { query: versionParam } }, async ({ principal, params, query }) => {
    const { letter, version } = await loadLetter(adapters().letters, principal, params.projectId!, params.letterId!, versionQuery(query.version));
    return ok(letterView(letter, version));
  }),
  'PUT /projects/{projectId}/letters/{letterId}': route({ roles: ['researcher'], body: editLetterBody }, async ({ principal, params, body }) => {
    const { letter, version } = await editLetter(adapters().letters, principal, params.projectId!, params.letterId!, body);
    return ok(letterView(letter, version));
  }),
  'POST /projects/{projectId}/letters/{letterId}/check': route({ roles: ['researcher', 'superuser'], describe: { query: versionParam } }, async ({ principal, params, query }) =>
    ok(await checkLetter(adapters().letters, principal, params.projectId!, params.letterId!, versionQuery(query.version))),
  ),
  'POST /projects/{projectId}/letters/{letterId}/approve': route({ roles: ['superuser'], body: approveLetterBody }, async ({ principal, params, body }) => {
    const v = await approveLetterVersion(adapters().letters, principal, params.projectId!, params.letterId!, body.version, body);
    const { letter } = await loadLetter(adapters().letters, principal, params.projectId!, params.letterId!, v.version);
    return ok(letterView(letter, v));
  }),
};

export const handler = httpHandler(routes);
