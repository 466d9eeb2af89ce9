import { adapters } from '../../adapters/index.js';
import { approveAndContinue, pauseSending, resumeSending } from '../../domain/dispatch/operations.js';
import { recordPauseAck } from '../../shared/metrics.js';
import { approvalChecklist } from '../../domain/letters/approval.js';
import { addMember, approveMinorsPolicy, changeLinkDomains, projectAudit, rejectProject, submitProject, updateSettings, verifyProjectAudit } from '../../domain/projects/lifecycle.js';
import { createProject, listProjects, loadProject, pausedInAnotherRegion } from '../../domain/projects/use-cases.js';
import { addMemberBody, approveProjectBody, approveSettingsBody, createProjectBody, linkDomainsBody, pauseProjectBody, projectView, rejectProjectBody, settingsBody } from '../../schemas/projects.js';
import { httpHandler, ok, route } from '../../shared/http.js';
import { optionalBody } from './optional-body.js';

const STAFF = ['researcher', 'superuser', 'operations'] as const;

export const routes = {
  'POST /projects': route({ roles: ['researcher'], body: createProjectBody }, async ({ principal, body }) => ok(projectView(await createProject(adapters().projects, principal, body)), 201)),
  'GET /projects': route({ roles: STAFF }, async ({ principal }) => {
    const projects = await listProjects(adapters().projects, principal);
    const held = await pausedInAnotherRegion(adapters().projects, projects);
    return ok({ items: projects.map((p) => projectView(p, held.has(p.projectId))) });
  }),
  'GET /projects/{projectId}': route({ roles: STAFF }, async ({ principal, params }) => {
    const project = await loadProject(adapters().projects, principal, params.projectId!);
    return ok(projectView(project, (await pausedInAnotherRegion(adapters().projects, [project])).size > 0));
  }),
  'POST /projects/{projectId}/submit': route({ roles: ['researcher'] }, async ({ principal, params }) => ok(projectView(await submitProject(adapters().projects, principal, params.projectId!)))),
  'POST /projects/{projectId}/approve': route({ roles: ['superuser'], describe: { body: approveProjectBody } }, async ({ principal, params, text }) => {
    // Approved again after going back to review mid-round: its parked rounds go on.
    const { project, letters } = await approveAndContinue({ ...adapters().letters, operations: adapters().projects.operations }, principal, params.projectId!, optionalBody(approveProjectBody, text));
    return ok({ ...projectView(project), approvedLetters: letters });
  }),
  'POST /projects/{projectId}/reject': route({ roles: ['superuser'], body: rejectProjectBody }, async ({ principal, params, body }) =>
    ok(projectView(await rejectProject(adapters().projects, principal, params.projectId!, body.comment))),
  ),
  /**
   * Pause answers 200 only once no delivery of the project is in flight (inFlight: 0); from the
   * moment the paused status is written, no batch can start (each re-reads it after claiming).
   * If in-flight deliveries do not finish within 10 s the answer is 202 with the true count.
   */
  'POST /projects/{projectId}/pause': route({ roles: ['operations', 'superuser'], body: pauseProjectBody }, async ({ principal, params, body }) => {
    const started = Date.now();
    const { project, inFlight } = await pauseSending(adapters().projects, principal, params.projectId!, body.reason);
    if (inFlight === 0) recordPauseAck(Date.now() - started, 'project');
    return ok({ ...projectView(project), status: 'paused', inFlight, pausedAt: project.pausedAt }, inFlight === 0 ? 200 : 202);
  }),
  /** Resume restores the status from before the pause and puts the parked batches back to work. */
  'POST /projects/{projectId}/resume': route({ roles: ['operations'] }, async ({ principal, params }) => {
    const { project, requeued } = await resumeSending(adapters().projects, principal, params.projectId!);
    return ok({ ...projectView(project), requeuedBatches: requeued });
  }),
  'POST /projects/{projectId}/members': route({ roles: ['researcher'], body: addMemberBody }, async ({ principal, params, body }) => {
    const { added, members } = await addMember(adapters().projects, principal, params.projectId!, body.sub);
    return ok({ projectId: params.projectId, sub: body.sub, members }, added ? 201 : 200);
  }),
  'PUT /projects/{projectId}/settings': route({ roles: ['superuser'], body: settingsBody }, async ({ principal, params, body }) =>
    ok(projectView(await updateSettings(adapters().projects, principal, params.projectId!, body))),
  ),
  /** Another superuser approves a changed minors policy (four-eyes), like a letter version. */
  'POST /projects/{projectId}/settings/approve': route({ roles: ['superuser'], body: approveSettingsBody }, async ({ principal, params, body }) =>
    ok(projectView(await approveMinorsPolicy(adapters().projects, principal, params.projectId!, body.minors))),
  ),
  /** A change after approval sends the project back to review (`approvalReset: true`). */
  'PUT /projects/{projectId}/link-domains': route({ roles: ['researcher'], body: linkDomainsBody }, async ({ principal, params, body }) => {
    const { project, approvalReset } = await changeLinkDomains(adapters().projects, principal, params.projectId!, body.allowedLinkDomains);
    return ok({ ...projectView(project), approvalReset });
  }),
  'GET /projects/{projectId}/audit': route({ roles: STAFF }, async ({ principal, params }) =>
    ok({
      items: (await projectAudit(adapters().projects, principal, params.projectId!)).map((e) => ({
        seq: e.seq,
        at: e.at,
        actor: e.actor,
        ...(e.actorName ? { actorName: e.actorName } : {}),
        role: e.role,
        action: e.action,
        details: e.details,
        prevHash: e.prevHash,
        hash: e.hash,
      })),
    }),
  ),
  'GET /projects/{projectId}/audit/verify': route({ roles: STAFF }, async ({ principal, params }) => ok(await verifyProjectAudit(adapters().projects, principal, params.projectId!))),
  'GET /projects/{projectId}/checklist': route({ roles: STAFF }, async ({ principal, params }) => ok(await approvalChecklist(adapters().letters, principal, params.projectId!))),
};

export const handler = httpHandler(routes);
