import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectPseudonym } from '../../../functions/domain/shared/citizen-key.js';
import { hashKeyring } from '../../../functions/shared/hash-keys.js';
import { startTestPlatform, type TestPlatform } from '../../setup/platform.js';
import { syntheticNins } from '../dispatch/flow.js';
import { completedFormTaskRound } from '../form-task-round.js';

/**
 * Issue 24: "keyed hashes (versioned keys) for lookups; rotation tested". A researcher joins a
 * round's report with the answers by pseudonym; a rotation of the citizen hash key between the
 * delivery and the reading must not break that join. The project's first release pins the key
 * version its pseudonyms are made under; the report, every answer (before or after the rotation)
 * and the trail use it.
 */
let p: TestPlatform;
beforeAll(async () => {
  p = await startTestPlatform();
});
afterAll(async () => {
  await p?.stop();
});

describe('a rotation of the citizen hash key during a project', () => {
  it('test_should_keep_one_pseudonym_per_person_in_the_round_report_and_the_answers_across_a_key_rotation', { timeout: 120_000 }, async () => {
    const [anne, bjorn] = syntheticNins(2, 671_000) as [string, string];
    const {
      researcher: r,
      projectId,
      formTaskId,
      roundId,
      counts,
    } = await completedFormTaskRound(p, {
      org: 'rotasjon',
      title: 'Rotasjonsstudien',
      question: 'Hvordan har du det?',
      recipients: [anne, bjorn],
    });
    expect(counts).toMatchObject({ planned: 2, sent: 2 });

    const answer = async (nin: string, text: string) => {
      const citizen = p.as({ sub: nin, role: 'citizen' });
      const [task] = ((await citizen.get('/citizen/tasks')).body.items as { taskId: string; projectId: string }[]).filter((t) => t.projectId === projectId);
      const res = await citizen.post(`/citizen/tasks/${task!.taskId}/answers`, { answers: { q1: text } });
      expect(res.status, res.text).toBeLessThan(300);
    };
    // Anne answers before the rotation; the operator then adds a version and makes it current (the old one stays live).
    const ring = hashKeyring();
    await answer(anne, 'Godt');
    const before = process.env.CITIZEN_HASH_KEY!;
    process.env.CITIZEN_HASH_KEY = JSON.stringify({ current: 'v8', keys: { ...ring.keys, v8: 'a-key-made-current-mid-project-0123456789' } });
    try {
      expect(hashKeyring().current).toBe('v8');
      // Bjørn answers after it.
      await answer(bjorn, 'Bra');

      const report = await r.get(`/projects/${projectId}/rounds/${roundId}/report?format=csv`);
      expect(report.status, report.text).toBe(200);
      const rows = report.text
        .trim()
        .split('\r\n')
        .slice(1)
        .map((line) => line.split(','));
      const answers = (await r.get(`/projects/${projectId}/form-tasks/${formTaskId}/responses`)).body.items as { recipient: string; answers: { q1: string } }[];
      // Both answers join the round report, each to its own row, under the version the release pinned.
      const pinned = (nin: string) => projectPseudonym(nin, projectId, ring);
      expect(rows.map((row) => row[0]).sort()).toEqual([pinned(anne), pinned(bjorn)].sort());
      expect(answers.map((a) => [a.answers.q1, a.recipient]).sort()).toEqual(
        [
          ['Bra', pinned(bjorn)],
          ['Godt', pinned(anne)],
        ].sort(),
      );
      expect(JSON.stringify([report.text, answers])).not.toMatch(/v8:/);
    } finally {
      process.env.CITIZEN_HASH_KEY = before;
    }
  });
});
