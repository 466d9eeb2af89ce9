import { z } from 'zod';
import { adapters } from '../../adapters/index.js';
import { MAX_TEST_RECIPIENTS, testSend } from '../../domain/dispatch/test-send.js';
import { confirmCanary } from '../../domain/rounds/confirm-canary.js';
import { releaseRound } from '../../domain/rounds/release-round.js';
import { httpHandler, ok, route } from '../../shared/http.js';
import { optionalBody } from '../projects/optional-body.js';

const testSendBody = z.strictObject({
  nins: z.array(z.string().max(20)).min(1).max(MAX_TEST_RECIPIENTS),
  version: z.number().int().min(1).optional(),
});

const releaseBody = z.strictObject({ at: z.iso.datetime({ offset: true }).optional() });

export const routes = {
  'POST /projects/{projectId}/letters/{letterId}/test-send': route({ roles: ['researcher'], body: testSendBody }, async ({ principal, params, body }) => {
    return ok(await testSend(adapters().testSend, principal, params.projectId!, params.letterId!, body), 202);
  }),
  'POST /projects/{projectId}/rounds/{roundId}/release': route({ roles: ['researcher'], describe: { body: releaseBody } }, async ({ principal, params, text }) =>
    ok(await releaseRound(adapters().rounds, principal, params.projectId!, params.roundId!, { at: optionalBody(releaseBody, text).at }), 202),
  ),
  'POST /projects/{projectId}/rounds/{roundId}/confirm-canary': route({ roles: ['researcher', 'superuser'] }, async ({ principal, params }) =>
    ok(await confirmCanary(adapters().rounds, principal, params.projectId!, params.roundId!)),
  ),
};

export const handler = httpHandler(routes);
