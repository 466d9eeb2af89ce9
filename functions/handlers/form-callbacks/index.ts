import { adapters } from '../../adapters/index.js';
import { CallbackSecretUnreadableError, receiveFormCallback, type FormCallbackDeps } from '../../domain/letters/form-callbacks.js';
import { formCallbackBody } from '../../schemas/form-tasks.js';
import { httpHandler, ok, publicRoute } from '../../shared/http.js';
import { logger } from '../../shared/logger.js';
import { recordSealedSecretRefused } from '../../shared/metrics.js';

/**
 * External form systems report completed forms here. No bearer token (routes.ts marks the route
 * public): the HMAC signature over the raw body, keyed with the form task's callback secret, is
 * the authentication, checked in the domain. A task whose sealed secret does not open is told to
 * operations here (a log line with the task's ids, never the secret, the token or a person; a
 * metric) and answered once, by the error mapper (503 CALLBACK_SECRET_UNREADABLE).
 */
export const formCallbackRoutes = (deps: () => FormCallbackDeps) => ({
  'POST /form-callbacks/{formTaskId}': publicRoute({ body: formCallbackBody }, async ({ params, body, raw, headers }) => {
    try {
      await receiveFormCallback(deps(), { formTaskId: params.formTaskId!, raw, signature: headers['x-signature'], callback: body });
    } catch (e) {
      if (e instanceof CallbackSecretUnreadableError) {
        logger.error("a form task's sealed callback secret does not open: changed in the table, or its seal key is gone", { code: e.code, projectId: e.projectId, formTaskId: e.formTaskId });
        recordSealedSecretRefused('form_callback');
      }
      throw e;
    }
    return ok(undefined, 204);
  }),
});

export const routes = formCallbackRoutes(() => adapters().formCallbacks);

export const handler = httpHandler(routes);
