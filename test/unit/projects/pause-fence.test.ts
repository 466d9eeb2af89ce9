import { describe, expect, it } from 'vitest';
import { pauseProject, resumeProject } from '../../../functions/domain/projects/lifecycle.js';
import type { ProjectFence } from '../../../functions/domain/projects/ports.js';
import { newProject, type Project } from '../../../functions/domain/projects/project.js';
import { pausedInAnotherRegion, type ProjectDeps } from '../../../functions/domain/projects/use-cases.js';
import type { AuditEvent } from '../../../functions/domain/shared/audit.js';
import { ConflictError } from '../../../functions/shared/errors.js';

/**
 * A georedundant stage's pause and resume against the fence (issue 25): pauses are counted, a
 * resume ends those it read. One region's copy of the project here; the fence is shared, as the
 * MRSC table is, and `meanwhile` is what the other region does between a resume's read and write.
 */
class Stage {
  project: Project & { revision: number };
  readonly trail: AuditEvent[] = [];
  private readonly onceKeys = new Set<string>();
  pauses = 0;
  resumedThrough = 0;
  /** Runs once, between a resume's read of the fence and its write (a pause pressed in the other region). */
  meanwhile: (() => void) | undefined;

  constructor() {
    const created = newProject('prj', { title: 'T', organization: 'uio' }, { sub: 'ola', role: 'researcher', org: 'uio' }, '2030-01-01T00:00:00.000Z', true);
    this.project = { ...created, status: 'approved', revision: 0 };
  }

  readonly fence: ProjectFence = {
    notePause: async () => void (this.pauses += 1),
    noteResume: async () => {
      const read = this.pauses;
      if (read <= this.resumedThrough) return 'none';
      this.meanwhile?.();
      this.meanwhile = undefined;
      if (this.pauses !== read) return 'paused_again';
      this.resumedThrough = read;
      return 'ended';
    },
    pausesHeld: async (ids) => new Set(this.pauses > this.resumedThrough ? ids : []),
    noteApprovalReset: async () => undefined,
  };

  deps(): ProjectDeps {
    return {
      projects: {
        getProject: async () => ({ ...this.project }),
        saveProject: async (p: Project, expected: number) => {
          if (this.project.revision !== expected) throw new ConflictError('CONCURRENT_UPDATE', 'changed meanwhile');
          this.project = { ...p, revision: expected + 1 };
        },
        isMember: async () => false,
      },
      audit: {
        append: async (_scope: string, e: AuditEvent) => void this.trail.push(e),
        appendOnce: async (_scope: string, key: string, e: AuditEvent) => {
          if (this.onceKeys.has(key)) return;
          this.onceKeys.add(key);
          this.trail.push(e);
        },
      },
      citizens: { researchReservationReadable: () => true },
      fence: this.fence,
    } as unknown as ProjectDeps;
  }
}

const ops = { sub: 'ops-anna', role: 'operations', name: 'Anna Drift' } as const;

describe('pauses and resumes in the fence (georedundant stages)', () => {
  it('test_should_count_every_pause_in_the_fence_and_end_them_with_a_resume', async () => {
    const stage = new Stage();
    await pauseProject(stage.deps(), ops, 'prj', 'Klage');
    // Pressed again where this copy shows it paused already: counted all the same.
    await pauseProject(stage.deps(), ops, 'prj', 'Klage igjen');
    expect([stage.pauses, stage.resumedThrough]).toEqual([2, 0]);
    const resumed = await resumeProject(stage.deps(), ops, 'prj');
    expect(resumed.status).toBe('approved');
    expect([stage.pauses, stage.resumedThrough]).toEqual([2, 2]);
    expect(await pausedInAnotherRegion(stage.deps(), [resumed])).toEqual(new Set());
  });

  it('test_should_resume_a_project_the_fence_holds_though_this_regions_copy_is_not_paused', async () => {
    const stage = new Stage();
    // A pause pressed in the other region after a resume this copy shows: only the fence holds it.
    stage.pauses = 3;
    stage.resumedThrough = 2;
    expect(await pausedInAnotherRegion(stage.deps(), [stage.project])).toEqual(new Set(['prj']));
    const resumed = await resumeProject(stage.deps(), ops, 'prj');
    expect(resumed).toMatchObject({ status: 'approved', revision: 0 });
    expect(stage.resumedThrough).toBe(3);
    expect(stage.trail.map((e) => [e.action, e.details])).toEqual([['project.resumed', { status: 'approved', heldInAnotherRegion: true }]]);
  });

  it('test_should_refuse_a_resume_that_would_end_a_pause_recorded_in_the_fence_after_it_read_it', async () => {
    const stage = new Stage();
    await pauseProject(stage.deps(), ops, 'prj', 'Klage');
    // Between this resume's read of the fence and its write, a pause is pressed in the other region.
    stage.meanwhile = () => void (stage.pauses += 1);
    await expect(resumeProject(stage.deps(), ops, 'prj')).rejects.toMatchObject({ code: 'PAUSED_AGAIN', status: 409 });
    // Nothing ended: the fence holds both pauses, and this copy still shows the project paused.
    expect([stage.pauses, stage.resumedThrough]).toEqual([2, 0]);
    expect(stage.project.status).toBe('paused');
    expect(stage.trail.map((e) => e.action)).toEqual(['project.paused']);
  });

  it('test_should_refuse_to_resume_a_project_neither_paused_here_nor_held_in_the_fence', async () => {
    const stage = new Stage();
    await expect(resumeProject(stage.deps(), ops, 'prj')).rejects.toMatchObject({ code: 'PROJECT_NOT_PAUSED' });
    expect([stage.pauses, stage.resumedThrough]).toEqual([0, 0]);
  });
});
