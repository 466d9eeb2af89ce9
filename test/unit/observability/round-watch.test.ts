import { describe, expect, it } from 'vitest';
import { roundsExpectedToProgress } from '../../../functions/domain/operations/round-watch.js';
import type { ProjectStatus } from '../../../functions/domain/projects/project.js';

const r = (projectId: string, roundId: string, status: string, test?: boolean) => ({ projectId, roundId, status, ...(test ? { test } : {}) });
const rounds = [r('p1', 'r1', 'dispatching'), r('p1', 'r2', 'canary_hold'), r('p2', 'r3', 'dispatching'), r('p3', 'r4', 'completed')];
const statuses = (entries: Record<string, ProjectStatus>) => new Map(Object.entries(entries));
const approved = statuses({ p1: 'approved', p2: 'approved', p3: 'approved' });

describe('roundsExpectedToProgress (the gauge behind the stall alarm)', () => {
  it('counts dispatching rounds of projects that are not paused', () => {
    expect(roundsExpectedToProgress(rounds, false, approved).map((x) => x.roundId)).toEqual(['r1', 'r3']);
    expect(roundsExpectedToProgress(rounds, false, statuses({ p1: 'approved', p2: 'paused', p3: 'approved' })).map((x) => x.roundId)).toEqual(['r1']);
  });
  it('expects nothing while dispatch is halted: standing still is then the point', () => {
    expect(roundsExpectedToProgress(rounds, true, approved)).toEqual([]);
  });
  it('test_should_not_expect_a_round_to_progress_while_its_project_is_back_in_review_but_its_test_sends_yes', () => {
    // The link domains changed mid-round: the round's batches park until a superuser approves again.
    const inReview = statuses({ p1: 'in_review', p2: 'approved', p3: 'approved' });
    const withTest = [...rounds, r('p1', 'r5', 'dispatching', true)];
    expect(roundsExpectedToProgress(withTest, false, inReview).map((x) => x.roundId)).toEqual(['r3', 'r5']);
    // A project that cannot be read counts as one whose rounds should progress: the alarm stays armed.
    expect(roundsExpectedToProgress(rounds, false, new Map()).map((x) => x.roundId)).toEqual(['r1', 'r3']);
  });
});
