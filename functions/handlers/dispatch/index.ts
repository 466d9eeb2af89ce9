import { z } from 'zod';
import { dispatchUseCaseDeps, testSendDeps } from '../../adapters/dispatch.js';
import { MAX_TEST_RECIPIENTS, testSend } from '../../domain/dispatch/test-send.js';
import { confirmCanary, release } from '../../domain/dispatch/use-cases.js';
import { httpHandler, ok, route } from '../../shared/http.js';

const testSendBody = z.strictObject({
  nins: z.array(z.string().max(20)).min(1).max(MAX_TEST_RECIPIENTS),
  version: z.number().int().min(1).optional(),
});

export const routes = {
  'POST /projects/{projectId}/letters/{letterId}/test-send': route({ roles: ['researcher'], body: testSendBody }, async ({ principal, params, body }) => {
    return ok(await testSend(testSendDeps(), principal, params.projectId!, params.letterId!, body), 202);
  }),
  'POST /projects/{projectId}/rounds/{roundId}/release': route({ roles: ['researcher'] }, async ({ principal, params }) =>
    ok(await release(dispatchUseCaseDeps(), principal, params.projectId!, params.roundId!), 202),
  ),
  'POST /projects/{projectId}/rounds/{roundId}/confirm-canary': route({ roles: ['researcher', 'superuser'] }, async ({ principal, params }) =>
    ok(await confirmCanary(dispatchUseCaseDeps(), principal, params.projectId!, params.roundId!)),
  ),
};

export const handler = httpHandler(routes);
