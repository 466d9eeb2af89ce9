import { describe, expect, it } from 'vitest';
import { keepingReleasedRounds } from '../../../functions/adapters/caching/released-rounds.js';
import type { Round } from '../../../functions/domain/rounds/round.js';

const round = (roundId: string) => ({ roundId }) as unknown as Round;

describe('keepingReleasedRounds', () => {
  it('test_should_read_a_projects_released_rounds_once_per_release_sequence_and_again_when_it_moves', async () => {
    const reads: string[] = [];
    let fail = false;
    const inner = {
      projectRounds: async (projectId: string, seq: number) => {
        reads.push(`${projectId}#${seq}`);
        if (fail) throw new Error('throttled');
        return [round(`${projectId}-r${seq}`)];
      },
      other: () => 'kept as it is',
    };
    const kept = keepingReleasedRounds(inner, 2);
    expect(kept.other()).toBe('kept as it is');
    // Every batch of a round asks; one read answers them all.
    const answers = await Promise.all([kept.projectRounds('p1', 1), kept.projectRounds('p1', 1), kept.projectRounds('p1', 1)]);
    expect(answers.map((a) => a[0]!.roundId)).toEqual(['p1-r1', 'p1-r1', 'p1-r1']);
    expect(reads).toEqual(['p1#1']);
    // A release moves the sequence: read again.
    expect((await kept.projectRounds('p1', 2))[0]!.roundId).toBe('p1-r2');
    expect(reads).toEqual(['p1#1', 'p1#2']);
    // Bounded: a third answer puts out the oldest.
    await kept.projectRounds('p2', 1);
    await kept.projectRounds('p1', 1);
    expect(reads).toEqual(['p1#1', 'p1#2', 'p2#1', 'p1#1']);
    // A failed read is not kept: the next ask reads again.
    fail = true;
    await expect(kept.projectRounds('p3', 1)).rejects.toThrow('throttled');
    fail = false;
    expect((await kept.projectRounds('p3', 1))[0]!.roundId).toBe('p3-r1');
    expect(reads.filter((r) => r === 'p3#1')).toHaveLength(2);
  });
});
