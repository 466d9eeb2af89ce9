import type { Project } from './project.js';

export interface ProjectRepository {
  /** Creates the project with its creator as first member, atomically. */
  createProject(project: Project, creator: string): Promise<void>;
  getProject(projectId: string, opts?: { consistent?: boolean }): Promise<Project | undefined>;
  /** Conditional on `expectedRevision`; throws ConcurrentUpdateError when someone wrote first. */
  saveProject(project: Project, expectedRevision: number): Promise<void>;
  isMember(projectId: string, sub: string): Promise<boolean>;
  addMember(projectId: string, sub: string, addedBy: string): Promise<void>;
  listMembers(projectId: string): Promise<string[]>;
  listProjectsOfMember(sub: string): Promise<Project[]>;
  listProjectsOfOrganization(org: string): Promise<Project[]>;
  listAllProjects(): Promise<Project[]>;
}

/**
 * Georedundant stages: a project's stops recorded in the fence table, where every region's gate
 * reads them (dispatch/stages/gate.ts) before that region's replica of the project shows them.
 * Pauses are counted, not timed: the fence holds the project while it has recorded more pauses
 * than its last resume ended, whatever the clocks of the hosts that wrote them.
 */
export interface ProjectFence {
  /** One more pause, recorded by whoever pauses — operations (dispatch/operations.ts pauseSending) and the automatic brake (rounds/lifecycle.ts) — even when this region's copy already shows the project paused. */
  notePause(projectId: string): Promise<void>;
  /**
   * Ends the pauses recorded so far: `ended`; `none` when none held; `paused_again` when another
   * was recorded between its read and its write (the hold stays).
   */
  noteResume(projectId: string): Promise<'ended' | 'none' | 'paused_again'>;
  /** Of these projects, those whose pause the fence holds, no resume having ended it (strongly consistent). */
  pausesHeld(projectIds: readonly string[]): Promise<ReadonlySet<string>>;
  /** Its approval's latest reset (the link domains changed: back to review, lifecycle.ts changeLinkDomains): its rounds hold until it is approved again. */
  noteApprovalReset(projectId: string, at: string): Promise<void>;
}
