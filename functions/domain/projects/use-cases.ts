import type { Principal } from '../../shared/principal.js';
import { auditEvent, type AuditLog } from '../shared/audit.js';
import { newId, nowIso } from '../shared/ids.js';
import type { ProjectFence, ProjectRepository } from './ports.js';
import { newProject, requireAccess, type Access, type NewProjectInput, type Project } from './project.js';
import { NotFoundError } from '../../shared/errors.js';
import { requireRegistrableDomains } from './link-domains.js';

export interface ProjectDeps {
  readonly projects: ProjectRepository;
  readonly audit: AuditLog;
  /** Says which development hosts the local runtime may link to (none when deployed). */
  readonly prober?: { allowsPlainHttp?(host: string): boolean };
  /** Whether this stage reads the general research reservation (settings refuse non-portal rules for research otherwise). */
  readonly citizens: { researchReservationReadable(): boolean };
  /** Georedundant stages: where a pause or an approval's reset is recorded for every region's gate (the MRSC fence table). */
  readonly fence?: ProjectFence;
}

/** The link-domain rule for this runtime: registrable domains, plus the local development hosts. */
export const validLinkDomains = (deps: Pick<ProjectDeps, 'prober'>, domains: readonly string[]): string[] => requireRegistrableDomains(domains, (h) => deps.prober?.allowsPlainHttp?.(h) ?? false);

export const auditScope = (projectId: string): string => `project:${projectId}`;

export const createProject = async (deps: ProjectDeps, principal: Principal, input: NewProjectInput): Promise<Project> => {
  const allowedLinkDomains = validLinkDomains(deps, input.allowedLinkDomains ?? []);
  const project = newProject(newId('prj'), { ...input, allowedLinkDomains }, principal, nowIso(), deps.citizens.researchReservationReadable());
  await deps.projects.createProject(project, principal.sub);
  await deps.audit.append(auditScope(project.projectId), auditEvent(principal, 'project.created', { title: project.title, organization: project.organization, purpose: project.purpose }));
  return project;
};

/** Loads a project the caller may `need`; 404 for those who may not know it exists. */
export const loadProject = async (deps: Pick<ProjectDeps, 'projects'>, principal: Principal, projectId: string, need: keyof Access = 'read', opts: { consistent?: boolean } = {}): Promise<Project> => {
  const project = await deps.projects.getProject(projectId, opts);
  if (!project) throw new NotFoundError('Project');
  const member = principal.role === 'researcher' ? await deps.projects.isMember(projectId, principal.sub) : false;
  requireAccess(project, principal, member, need);
  return project;
};

export const listProjects = async (deps: Pick<ProjectDeps, 'projects'>, principal: Principal): Promise<Project[]> => {
  switch (principal.role) {
    case 'researcher':
      return (await deps.projects.listProjectsOfMember(principal.sub)).filter((p) => p.organization === principal.org);
    case 'superuser':
      return deps.projects.listProjectsOfOrganization(principal.org ?? '');
    case 'operations':
      return deps.projects.listAllProjects();
    case 'citizen':
      return [];
  }
};

/**
 * Georedundant stages: of these projects, those the fence holds paused though this region's copy is
 * not paused — a pause pressed after a resume given elsewhere, or not replicated here yet. Their
 * rounds send nothing until a resume ends that pause; the project's view says so (and offers it).
 */
export const pausedInAnotherRegion = async (deps: Pick<ProjectDeps, 'fence'>, projects: readonly Project[]): Promise<ReadonlySet<string>> => {
  const notPaused = projects.filter((p) => p.status !== 'paused').map((p) => p.projectId);
  return deps.fence && notPaused.length > 0 ? deps.fence.pausesHeld(notPaused) : new Set();
};
