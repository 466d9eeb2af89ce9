import { adapters } from '../../adapters/index.js';
import { receiveFormCallback } from '../../domain/letters/form-callbacks.js';
import { formCallbackBody } from '../../schemas/form-tasks.js';
import { httpHandler, ok, publicRoute } from '../../shared/http.js';

/**
 * External form systems report completed forms here. No bearer token (routes.ts marks the route
 * public): the HMAC signature over the raw body, keyed with the form task's callback secret, is
 * the authentication, checked in the domain.
 */
export const routes = {
  'POST /form-callbacks/{formTaskId}': publicRoute({ body: formCallbackBody }, async ({ params, body, raw, headers }) => {
    await receiveFormCallback(adapters(), { formTaskId: params.formTaskId!, raw, signature: headers['x-signature'], callback: body });
    return ok(undefined, 204);
  }),
};

export const handler = httpHandler(routes);
