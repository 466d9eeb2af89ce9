import { describe, expect, it } from 'vitest';
import { roundsExpectedToProgress } from '../../../functions/domain/operations/round-watch.js';

const r = (projectId: string, roundId: string, status: string) => ({ projectId, roundId, status });
const rounds = [r('p1', 'r1', 'dispatching'), r('p1', 'r2', 'canary_hold'), r('p2', 'r3', 'dispatching'), r('p3', 'r4', 'completed')];

describe('roundsExpectedToProgress (the gauge behind the stall alarm)', () => {
  it('counts dispatching rounds of projects that are not paused', () => {
    expect(roundsExpectedToProgress(rounds, false, new Set()).map((x) => x.roundId)).toEqual(['r1', 'r3']);
    expect(roundsExpectedToProgress(rounds, false, new Set(['p2'])).map((x) => x.roundId)).toEqual(['r1']);
  });
  it('expects nothing while dispatch is halted: standing still is then the point', () => {
    expect(roundsExpectedToProgress(rounds, true, new Set())).toEqual([]);
  });
});
