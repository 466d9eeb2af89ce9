import { adapters } from '../../adapters/index.js';
import { dispatchAdapters, dispatchUseCaseDeps } from '../../adapters/dispatch.js';
import { cancelReleased, liveCounts } from '../../domain/dispatch/use-cases.js';
import { UNRELEASED } from '../../domain/rounds/round.js';
import { cancelRound, createRound, getRound, listRounds, overrideRound } from '../../domain/rounds/use-cases.js';
import { createRoundBody, overrideRoundBody, roundView } from '../../schemas/rounds.js';
import { config } from '../../shared/config.js';
import { httpHandler, ok, route } from '../../shared/http.js';

const STAFF = ['researcher', 'superuser', 'operations'] as const;
const projectStatus = async (projectId: string) => (await adapters().projects.getProject(projectId))?.status ?? 'unknown';
const policy = () => ({ allowSynthetic: config.allowSyntheticNins() });

export const routes = {
  'POST /projects/{projectId}/rounds': route({ roles: ['researcher'], body: createRoundBody }, async ({ principal, params, body }) => {
    const round = await createRound(adapters(), policy(), principal, params.projectId!, body);
    return ok({ ...roundView(round), roundId: round.roundId, status: round.status, preflight: round.preflight, findings: round.findings }, 201);
  }),
  'GET /projects/{projectId}/rounds': route({ roles: STAFF }, async ({ principal, params }) => {
    const rounds = await listRounds(adapters(), principal, params.projectId!);
    const status = await projectStatus(params.projectId!);
    return ok({ items: (await Promise.all(rounds.map((r) => liveCounts(dispatchAdapters(), r, status)))).map(roundView) });
  }),
  'GET /projects/{projectId}/rounds/{roundId}': route({ roles: STAFF }, async ({ principal, params }) => {
    const round = await getRound(adapters(), principal, params.projectId!, params.roundId!);
    return ok(roundView(await liveCounts(dispatchAdapters(), round, await projectStatus(params.projectId!))));
  }),
  'POST /projects/{projectId}/rounds/{roundId}/override': route({ roles: ['superuser'], body: overrideRoundBody }, async ({ principal, params, body }) =>
    ok(roundView(await overrideRound(adapters(), principal, params.projectId!, params.roundId!, body.reason))),
  ),
  /** Before release the rounds module cancels; after release the dispatch side turns pending into cancelled. */
  'POST /projects/{projectId}/rounds/{roundId}/cancel': route({ roles: STAFF }, async ({ principal, params }) => {
    const { projectId, roundId } = params as { projectId: string; roundId: string };
    const round = await getRound(adapters(), principal, projectId, roundId);
    if (UNRELEASED.includes(round.status)) return ok(roundView(await cancelRound(adapters(), principal, projectId, roundId)));
    await cancelReleased(dispatchUseCaseDeps(), principal, projectId, roundId);
    const after = await getRound(adapters(), principal, projectId, roundId);
    return ok(roundView(await liveCounts(dispatchAdapters(), after, await projectStatus(projectId))));
  }),
};

export const handler = httpHandler(routes);
