import { adapters } from '../../adapters/index.js';
import { httpHandler, ok, route } from '../../shared/http.js';

/** The citizen's portal inbox (local stand-in for helsenorge): letters delivered to the caller. */
export const routes = {
  'GET /citizen/inbox': route({ roles: ['citizen'] }, async ({ principal }) => {
    const items = await adapters().inbox.received(principal.sub, 'helsenorge');
    return ok({
      items: items.map((i) => ({
        deliveryId: i.deliveryId,
        projectId: i.projectId,
        subject: i.subject,
        body: i.body,
        language: i.language,
        format: i.format,
        receivedAt: i.receivedAt,
        ...(i.taskId ? { taskId: i.taskId } : {}),
        // A letter to a guardian about a child they have parental responsibility for (API.md).
        ...(i.onBehalfOfMinor === true ? { onBehalfOfMinor: true } : {}),
      })),
    });
  }),
};

export const handler = httpHandler(routes);
