import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectPseudonym } from '../../../functions/domain/shared/citizen-key.js';
import { hashKeyring } from '../../../functions/shared/hash-keys.js';
import { ninBornOn } from '../../fixtures/people.js';
import { startTestPlatform, type TestPlatform } from '../../setup/platform.js';
import { syntheticNins } from '../dispatch/flow.js';
import { completedFormTaskRound } from '../form-task-round.js';

/**
 * Issue 24 for the data written before it: a guardian's task about a child that names the child
 * only by the round's reference, and an answer to it that named the child in a way that joins with
 * nothing in the round report. A guardians round runs on DynamoDB Local; its tasks are put back the
 * way the code before wrote them; one guardian answers then; `npm run
 * ops:backfill-child-pseudonyms` runs as an operator would, against this platform's runtime file.
 */
let p: TestPlatform;
let dataDir: string;
beforeAll(async () => {
  p = await startTestPlatform();
  dataDir = await mkdtemp(join(tmpdir(), 'rd-child-backfill-'));
  await writeFile(join(dataDir, 'runtime.json'), JSON.stringify({ url: p.url, env: p.env }), { mode: 0o600 });
});
afterAll(async () => {
  await p?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const org = 'barneskjema';
const setter = { sub: `superuser1@${org}`, role: 'superuser', org } as const;
const operations = { sub: 'operations@nhn', role: 'operations' } as const;

/** The operator's command, run on the project's Node as `npm run` would; its output is parsed JSON. */
const backfill = async (...args: string[]): Promise<{ report: Record<string, unknown>; stdout: string; stderr: string }> => {
  const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'ops/backfill-child-pseudonyms.ts', '--data-dir', dataDir, ...args], { cwd: process.cwd() });
  return { report: JSON.parse(stdout) as Record<string, unknown>, stdout, stderr };
};

describe('backfill of the child a guardian answered about', () => {
  it('test_should_name_the_child_of_tasks_and_answers_from_before_by_the_childs_row_in_the_round_report', { timeout: 180_000 }, async () => {
    const [mum, dad, grownUp] = syntheticNins(3, 666_000) as [string, string, string];
    const kid = ninBornOn(`${new Date().getUTCFullYear() - 9}-03-04`, 5);
    expect((await p.as(operations).put('/registry/population', { nins: [kid], guardians: [mum, dad] })).status).toBe(200);
    const {
      researcher: r,
      projectId,
      formTaskId,
      roundId,
      counts,
    } = await completedFormTaskRound(p, {
      org,
      title: 'Barneskjema',
      question: 'Hvordan sover barnet?',
      recipients: [kid, grownUp],
      beforeSubmit: async (id) => {
        expect((await p.as(setter).put(`/projects/${id}/settings`, { minors: 'guardians' })).status).toBe(200);
      },
    });
    expect(counts).toMatchObject({ planned: 2, sent: 2 });

    // The guardians' tasks as the code before wrote them: the child's reference, not their pseudonym.
    const db = DynamoDBDocumentClient.from(p.dynamo);
    const taskOf = async (nin: string) => {
      const items = (await p.as({ sub: nin, role: 'citizen' }).get('/citizen/tasks')).body.items as { taskId: string; projectId: string }[];
      const [task] = items.filter((t) => t.projectId === projectId);
      expect(task).toBeDefined();
      return task!.taskId;
    };
    for (const nin of [mum, dad]) {
      await db.send(
        new UpdateCommand({
          TableName: p.env.TABLE_CITIZENS!,
          Key: { pk: `CIT#${nin}`, sk: `TASK#${await taskOf(nin)}` },
          UpdateExpression: 'REMOVE childPseudonym',
          ConditionExpression: 'attribute_exists(childPseudonym)',
        }),
      );
    }
    // The mother answers such a task: her answer names the child the old way.
    const answer = async (nin: string, text: string) => {
      const res = await p.as({ sub: nin, role: 'citizen' }).post(`/citizen/tasks/${await taskOf(nin)}/answers`, { answers: { q1: text } });
      expect(res.status, res.text).toBeLessThan(300);
    };
    await answer(mum, 'Godt');

    // What the researcher joins: the child's row of the round report and the answers about the child.
    const childRow = projectPseudonym(kid, projectId, hashKeyring());
    const report = await r.get(`/projects/${projectId}/rounds/${roundId}/report?format=csv`);
    expect(report.status, report.text).toBe(200);
    expect(report.text).toContain(`${childRow},sent,`);
    const exported = async () =>
      ((await r.get(`/projects/${projectId}/form-tasks/${formTaskId}/responses`)).body.items as { recipient: string; aboutChild?: string; answers: { q1: string } }[]).map((i) => [
        i.answers.q1,
        i.aboutChild,
      ]);
    const before = await exported();
    expect(before).toHaveLength(1);
    expect(before[0]![1]).not.toBe(childRow);

    // A dry run counts and writes nothing.
    const dry = await backfill('--dry-run');
    expect(dry.report).toMatchObject({ dryRun: true, tasks: 2, answered: 1, resolved: 2, oldAnswers: 1, answersRewritten: 0, tasksUpdated: 0 });
    expect(await exported()).toEqual(before);

    const run = await backfill('--segments', '3');
    expect(run.report).toMatchObject({ dryRun: false, tasks: 2, answered: 1, resolved: 2, oldAnswers: 1, answersRewritten: 1, tasksUpdated: 2, changedMeanwhile: 0 });
    expect(await exported()).toEqual([['Godt', childRow]]);
    // The father's task, answered after the backfill, names the child the same way.
    await answer(dad, 'Bra');
    expect((await exported()).sort()).toEqual([
      ['Bra', childRow],
      ['Godt', childRow],
    ]);
    const csv = (await r.get(`/projects/${projectId}/form-tasks/${formTaskId}/responses?format=csv`)).text.split('\r\n');
    expect(csv[0]).toBe('recipient,aboutChild,answeredAt,language,q1');
    expect(csv.filter((line) => line.split(',')[1] === childRow)).toHaveLength(2);

    // Again: nothing left to do. And no ID in anything the command printed.
    const again = await backfill();
    expect(again.report).toMatchObject({ tasks: 0, tasksUpdated: 0, answersRewritten: 0 });
    for (const out of [dry, run, again]) for (const nin of [kid, mum, dad, grownUp]) expect(out.stdout + out.stderr).not.toContain(nin);
  });
});
