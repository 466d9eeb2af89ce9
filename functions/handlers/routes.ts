/**
 * Every HTTP route and the Lambda ("area") that serves it. The stateless stack makes one API
 * Gateway route per entry and one Lambda per area; the local server matches requests against the
 * same list and calls the same handler module. Pure data: no imports of handler code.
 */
export const areas = {
  projects: 'functions/handlers/projects/index.ts',
  letters: 'functions/handlers/letters/index.ts',
  formTasks: 'functions/handlers/form-tasks/index.ts',
  citizenTasks: 'functions/handlers/citizen-tasks/index.ts',
  lists: 'functions/handlers/lists/index.ts',
  citizens: 'functions/handlers/citizens/index.ts',
  registry: 'functions/handlers/registry/index.ts',
  dispatch: 'functions/handlers/dispatch/index.ts',
  operations: 'functions/handlers/operations/index.ts',
  inbox: 'functions/handlers/inbox/index.ts',
  rounds: 'functions/handlers/rounds/index.ts',
  formCallbacks: 'functions/handlers/form-callbacks/index.ts',
  statistics: 'functions/handlers/statistics/index.ts',
  openapi: 'functions/handlers/openapi/index.ts',
  callbacks: 'functions/handlers/callbacks/index.ts',
  roundPreview: 'functions/handlers/round-preview/index.ts',
} as const;

export type Area = keyof typeof areas;

/** Areas whose Lambda touches no table, queue, bucket or secret: the stack grants them nothing. */
export const dataFreeAreas: readonly Area[] = ['openapi'];

export interface ApiRoute {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly area: Area;
  /** Served by the local runtime only (stand-ins such as /registry/*); the deployed API omits it. */
  readonly localOnly?: true;
  /**
   * No bearer token: the deployed API puts no JWT authorizer on it and the handler authenticates
   * the call itself (or serves nothing private). The text says why, and becomes the cdk-nag
   * acknowledgement of the unauthenticated route.
   */
  readonly public?: string;
  /** Called by a national service (no JWT; the handler checks the service's API key). */
  readonly callback?: true;
}

const r = (method: ApiRoute['method'], path: string, area: Area): ApiRoute => ({ method, path, area });

export const apiRoutes: readonly ApiRoute[] = [
  r('POST', '/projects', 'projects'),
  r('GET', '/projects', 'projects'),
  r('GET', '/projects/{projectId}', 'projects'),
  r('POST', '/projects/{projectId}/submit', 'projects'),
  r('POST', '/projects/{projectId}/approve', 'projects'),
  r('POST', '/projects/{projectId}/reject', 'projects'),
  r('POST', '/projects/{projectId}/pause', 'projects'),
  r('POST', '/projects/{projectId}/resume', 'projects'),
  r('POST', '/projects/{projectId}/members', 'projects'),
  r('PUT', '/projects/{projectId}/settings', 'projects'),
  r('POST', '/projects/{projectId}/settings/approve', 'projects'),
  r('PUT', '/projects/{projectId}/link-domains', 'projects'),
  r('GET', '/projects/{projectId}/audit', 'projects'),
  r('GET', '/projects/{projectId}/audit/verify', 'projects'),
  r('GET', '/projects/{projectId}/checklist', 'projects'),
  r('POST', '/projects/{projectId}/letters', 'letters'),
  r('GET', '/projects/{projectId}/letters', 'letters'),
  r('GET', '/projects/{projectId}/letters/{letterId}', 'letters'),
  r('PUT', '/projects/{projectId}/letters/{letterId}', 'letters'),
  r('POST', '/projects/{projectId}/letters/{letterId}/check', 'letters'),
  r('POST', '/projects/{projectId}/letters/{letterId}/approve', 'letters'),
  r('POST', '/projects/{projectId}/form-tasks', 'formTasks'),
  r('GET', '/projects/{projectId}/form-tasks', 'formTasks'),
  r('GET', '/projects/{projectId}/form-tasks/{formTaskId}', 'formTasks'),
  r('GET', '/projects/{projectId}/form-tasks/{formTaskId}/responses', 'formTasks'),
  r('GET', '/citizen/tasks', 'citizenTasks'),
  r('POST', '/citizen/tasks/{taskId}/answers', 'citizenTasks'),
  r('POST', '/projects/{projectId}/recipient-lists', 'lists'),
  r('POST', '/projects/{projectId}/recipient-lists/upload-url', 'lists'),
  r('GET', '/projects/{projectId}/recipient-lists', 'lists'),
  r('GET', '/projects/{projectId}/recipient-lists/{listId}', 'lists'),
  r('PUT', '/citizen/reservations/research', 'citizens'),
  r('DELETE', '/citizen/reservations/research', 'citizens'),
  r('GET', '/citizen/reservations', 'citizens'),
  r('POST', '/citizen/projects/{projectId}/withdraw', 'citizens'),
  r('POST', '/projects/{projectId}/rounds/{roundId}/release', 'dispatch'),
  r('POST', '/projects/{projectId}/rounds/{roundId}/confirm-canary', 'dispatch'),
  r('POST', '/projects/{projectId}/letters/{letterId}/test-send', 'dispatch'),
  r('POST', '/operations/halt', 'operations'),
  r('POST', '/operations/resume', 'operations'),
  r('GET', '/operations/status', 'operations'),
  r('POST', '/operations/contacts/lookup', 'operations'),
  r('POST', '/operations/redrive', 'operations'),
  r('POST', '/operations/failover', 'operations'),
  r('POST', '/operations/failover/{failoverId}/confirm', 'operations'),
  r('GET', '/operations/failovers', 'operations'),
  // Reads what the local channel fakes delivered: deployed, the portal and the channels hold the
  // citizen's letters (API.md), so only the local runtime serves it.
  { ...r('GET', '/citizen/inbox', 'inbox'), localOnly: true },
  { ...r('PUT', '/registry/reservations', 'registry'), localOnly: true },
  { ...r('PUT', '/registry/population', 'registry'), localOnly: true },
  { ...r('PUT', '/registry/outage', 'registry'), localOnly: true },
  r('POST', '/projects/{projectId}/rounds', 'rounds'),
  r('GET', '/projects/{projectId}/rounds', 'rounds'),
  r('GET', '/projects/{projectId}/sent-since', 'rounds'),
  r('GET', '/projects/{projectId}/rounds/{roundId}', 'rounds'),
  r('GET', '/projects/{projectId}/rounds/{roundId}/report', 'rounds'),
  r('POST', '/projects/{projectId}/rounds/{roundId}/override', 'rounds'),
  r('POST', '/projects/{projectId}/rounds/{roundId}/cancel', 'rounds'),
  {
    ...r('POST', '/form-callbacks/{formTaskId}', 'formCallbacks'),
    public:
      "POST /form-callbacks/{formTaskId} is called by external form systems, which hold no user token; each call is authenticated by an HMAC-SHA256 signature keyed with the form task's callback secret and must be fresh (5 minutes).",
  },
  r('GET', '/operations/statistics', 'statistics'),
  {
    ...r('GET', '/openapi.json', 'openapi'),
    public: 'GET /openapi.json serves the static API description (no data), so tools can read it without a token.',
  },
  {
    ...r('PUT', '/api/MessageToCitizen', 'callbacks'),
    callback: true,
    public: "PUT /api/MessageToCitizen is ePROM's receipt callback: the national service holds no user token; the handler checks its API key (in the body) in constant time.",
  },
  {
    ...r('PUT', '/api/PersonvernInnstilling', 'callbacks'),
    callback: true,
    public: "PUT /api/PersonvernInnstilling is the privacy component's change callback: no user token; the handler checks the service's Basic credentials in constant time.",
  },
  r('GET', '/projects/{projectId}/rounds/{roundId}/preview', 'roundPreview'),
];

export const routeKey = (route: Pick<ApiRoute, 'method' | 'path'>): string => `${route.method} ${route.path}`;

/**
 * The handler module consuming each queue (the dispatch workers). The stack wires an SQS
 * event source per entry; the local runtime starts a poller per entry.
 */
export const queueConsumers: Partial<Record<import('../../lib/resources.js').QueueId, string>> = {
  dispatch: 'functions/handlers/dispatch/worker.ts',
  prepare: 'functions/handlers/rounds/prepare-worker.ts',
};

/**
 * Routes that must answer in an incident: the global halt and resume, operations' status and
 * redrive, and a project's pause. The deployed stage gives each of them a throttle of its own
 * (lib/constructs/http-api.ts), so a flood of other calls cannot make a halt answer 429; and
 * `npm run ops:halt` reaches the halt without the API at all (ops/halt-cli.ts).
 */
export const operationsLane: readonly string[] = apiRoutes.filter((r) => r.area === 'operations' || routeKey(r) === 'POST /projects/{projectId}/pause').map(routeKey);
