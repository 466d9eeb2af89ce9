import { UpdateCommand, type DynamoDBDocumentClient, type ScanCommandInput } from '@aws-sdk/lib-dynamodb';
import { pseudonymsOfChild } from '../../domain/citizens/minors.js';
import { legacyChildPseudonyms } from '../../domain/letters/form-tasks.js';
import { projectPseudonym, type HashKeyring } from '../../domain/shared/citizen-key.js';
import { mapLimited } from '../../domain/shared/concurrency.js';
import { batchGetAll, queryAll, scanSegments } from './batch.js';
import { isConditionFailure } from './errors.js';
import { keys } from './keys.js';

/** What a backfill found and did: counts only, never a person. */
export interface ChildPseudonymBackfillReport {
  /** Guardians' tasks about a child that lack the child's own pseudonym; of those, answered. */
  readonly tasks: number;
  readonly answered: number;
  /** Of those tasks, whose child was found (by the child's own entry in the project's contact ledger). */
  readonly resolved: number;
  /** Answers to those that name the child the old way; of those, rewritten to the child's own pseudonym (0 on a dry run). */
  readonly oldAnswers: number;
  readonly answersRewritten: number;
  /** Tasks given the child's own pseudonym (0 on a dry run). */
  readonly tasksUpdated: number;
  /** Changed by someone else between the read and the write (a task answered meanwhile): left for the next run. */
  readonly changedMeanwhile: number;
}

export interface ChildPseudonymBackfillOptions {
  /** Parallel scan segments (DynamoDB's TotalSegments). */
  readonly segments?: number;
  /** Count, write nothing. */
  readonly dryRun?: boolean;
  /** Items per scan page (tests use small pages to cross page boundaries). */
  readonly pageSize?: number;
}

/** Writes in flight: well inside a table's on-demand write rate. */
const WRITES_IN_FLIGHT = 16;

interface OldTask {
  readonly key: { readonly pk: unknown; readonly sk: unknown };
  readonly projectId: string;
  readonly formTaskId: string;
  readonly ref: string;
  readonly status: string;
}

const at = (projectId: string, value: string): string => `${projectId}\n${value}`;

/**
 * Issue 24 for the tasks written before a guardian's task carried the child's own pseudonym in the
 * project (`childPseudonym`, the child's row in the round report): such a task names the child
 * only by the round's reference, and an answer to it named the child by a pseudonym of that
 * reference (legacyChildPseudonym), which joins with nothing a researcher reads. The child's ID is
 * in neither; it is found through the child's own entries in the contact ledger (kept five years):
 * the entry whose person has the task's reference (under a live key version) in the same project.
 *
 * Per task: first the answers (the form task's responses naming the child the old way are
 * rewritten, conditional on the old value), then the task (conditional on it still lacking the
 * pseudonym and still having the status read). A task answered meanwhile is left as it is and found
 * again by the next run, which then rewrites its answer first; a second run finds nothing to do.
 * A task whose child has no ledger entry left stays as it is (counted: tasks − resolved).
 */
export const backfillChildPseudonyms = async (
  db: DynamoDBDocumentClient,
  tables: { readonly citizens: string; readonly main: string },
  ring: HashKeyring,
  opts: ChildPseudonymBackfillOptions = {},
): Promise<ChildPseudonymBackfillReport> => {
  const segments = Math.max(1, Math.floor(opts.segments ?? 4));
  const scan = (input: Omit<ScanCommandInput, 'TableName' | 'Segment' | 'TotalSegments' | 'ExclusiveStartKey' | 'Limit'>, each: (items: Record<string, unknown>[]) => void): Promise<void> =>
    scanSegments(db, { TableName: tables.citizens, ...input }, { segments, pageSize: opts.pageSize }, each);

  // 1. Guardians' tasks about a child without the child's own pseudonym.
  const tasks: OldTask[] = [];
  await scan(
    {
      FilterExpression: 'begins_with(sk, :task) AND attribute_exists(aboutChild) AND attribute_not_exists(childPseudonym)',
      ProjectionExpression: 'pk, sk, projectId, formTaskId, aboutChild, #s',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':task': 'TASK#' },
    },
    (items) => {
      for (const i of items) tasks.push({ key: { pk: i.pk, sk: i.sk }, projectId: String(i.projectId), formTaskId: String(i.formTaskId), ref: String(i.aboutChild), status: String(i.status) });
    },
  );
  const totals = { oldAnswers: 0, answersRewritten: 0, tasksUpdated: 0, changedMeanwhile: 0 };
  const answered = tasks.filter((t) => t.status === 'answered');
  if (tasks.length === 0) return { tasks: 0, answered: 0, resolved: 0, ...totals };

  // 2. Their children: each person with an entry of their own in one of those projects' ledgers,
  // whose reference in that project is one of the tasks'.
  const wanted = new Set(tasks.map((t) => at(t.projectId, t.ref)));
  const projects = new Set(tasks.map((t) => t.projectId));
  // Each project's pseudonyms are made under the key version its first release pinned (as its round reports are).
  const pinned = new Map(
    (
      await batchGetAll(
        db,
        tables.main,
        [...projects].map((id) => keys.project(id)),
        { projection: 'projectId, pseudonymKeyVersion' },
      )
    ).map((p) => [String(p.projectId), p.pseudonymKeyVersion as string | undefined]),
  );
  const pseudonymOf = new Map<string, string>();
  await scan(
    {
      FilterExpression: 'begins_with(sk, :ledger) AND NOT contains(sk, :guardian)',
      ProjectionExpression: 'pk, projectId',
      ExpressionAttributeValues: { ':ledger': 'LEDGER#', ':guardian': '#G#' },
    },
    (items) => {
      for (const i of items) {
        const projectId = String(i.projectId);
        if (!projects.has(projectId)) continue;
        const nin = String(i.pk).slice('CIT#'.length);
        for (const ref of pseudonymsOfChild(nin, ring)) {
          if (wanted.has(at(projectId, ref)) && !pseudonymOf.has(at(projectId, ref))) pseudonymOf.set(at(projectId, ref), projectPseudonym(nin, projectId, ring, pinned.get(projectId)));
        }
      }
    },
  );
  const resolved = tasks.filter((t) => pseudonymOf.has(at(t.projectId, t.ref)));

  // 3. The answers first: a form task's responses naming a resolved child the old way.
  const byForm = new Map<string, Map<string, string>>();
  for (const t of resolved) {
    if (t.status !== 'answered') continue;
    const form = byForm.get(at(t.projectId, t.formTaskId)) ?? byForm.set(at(t.projectId, t.formTaskId), new Map()).get(at(t.projectId, t.formTaskId))!;
    for (const old of legacyChildPseudonyms(t.ref, t.projectId, ring)) form.set(old, pseudonymOf.get(at(t.projectId, t.ref))!);
  }
  await mapLimited([...byForm], WRITES_IN_FLIGHT, async ([form, renamed]) => {
    const [projectId, formTaskId] = form.split('\n') as [string, string];
    const responses = await queryAll(db, {
      TableName: tables.main,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.formResponse(projectId, formTaskId, '').pk },
      ProjectionExpression: 'pk, sk, aboutChild',
      ConsistentRead: true,
    });
    for (const r of responses) {
      const next = typeof r.aboutChild === 'string' ? renamed.get(r.aboutChild) : undefined;
      if (next === undefined) continue;
      totals.oldAnswers++;
      if (opts.dryRun) continue;
      try {
        await db.send(
          new UpdateCommand({
            TableName: tables.main,
            Key: { pk: r.pk, sk: r.sk },
            UpdateExpression: 'SET aboutChild = :next',
            ConditionExpression: 'aboutChild = :old',
            ExpressionAttributeValues: { ':next': next, ':old': r.aboutChild },
          }),
        );
        totals.answersRewritten++;
      } catch (e) {
        if (!isConditionFailure(e)) throw e;
        totals.changedMeanwhile++;
      }
    }
  });

  // 4. Then the tasks, as they were read: one answered meanwhile waits for the next run.
  if (!opts.dryRun) {
    await mapLimited(resolved, WRITES_IN_FLIGHT, async (t) => {
      try {
        await db.send(
          new UpdateCommand({
            TableName: tables.citizens,
            Key: t.key,
            UpdateExpression: 'SET childPseudonym = :p',
            ConditionExpression: 'attribute_not_exists(childPseudonym) AND aboutChild = :ref AND #s = :seen',
            ExpressionAttributeNames: { '#s': 'status' },
            ExpressionAttributeValues: { ':p': pseudonymOf.get(at(t.projectId, t.ref)), ':ref': t.ref, ':seen': t.status },
          }),
        );
        totals.tasksUpdated++;
      } catch (e) {
        if (!isConditionFailure(e)) throw e;
        totals.changedMeanwhile++;
      }
    });
  }
  return { tasks: tasks.length, answered: answered.length, resolved: resolved.length, ...totals };
};
