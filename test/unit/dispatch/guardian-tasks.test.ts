import { describe, expect, it } from 'vitest';
import type { EngineDeps } from '../../../functions/domain/dispatch/ports.js';
import { formTaskIssuer } from '../../../functions/domain/dispatch/task-issuer.js';
import type { CitizenTask, FormTask } from '../../../functions/domain/letters/form-task.js';
import { answerTask, formResponses, guardianAwaitingKey, guardiansAwaitingAnswer, listCitizenTasks, nonResponders, responsesCsv, responsesJson } from '../../../functions/domain/letters/form-tasks.js';
import { roundReportCsv } from '../../../functions/domain/dispatch/report-csv.js';
import { projectPseudonym } from '../../../functions/domain/shared/citizen-key.js';
import type { Route } from '../../../functions/domain/citizens/minors.js';
import { childrenAwaiting } from '../../../functions/domain/rounds/reminders.js';
import type { CitizenTaskRepository, FormResponse, FormTaskRepository } from '../../../functions/domain/letters/ports.js';
import type { ReleasedRound } from '../../../functions/domain/rounds/round.js';
import type { Principal } from '../../../functions/shared/principal.js';
import { work, World } from '../../fixtures/engine-world.js';
import { ninBornOn } from '../../fixtures/people.js';

/** Citizens' tasks and form tasks in memory, keyed as the DynamoDB adapters key them (task under the citizen's own ID). */
class Tasks {
  readonly byCitizen = new Map<string, Map<string, CitizenTask>>();
  readonly responses = new Map<string, FormResponse>();
  readonly form: FormTask = {
    projectId: 'prj',
    formTaskId: 'ft',
    title: 'Spørreskjema',
    form: { type: 'internal', questions: [{ id: 'q1', text: { nb: 'Hvordan går det?' }, type: 'text', required: true }] },
    deadlineDays: 30,
    createdBy: 'ria',
    createdAt: '2023-01-01T00:00:00.000Z',
  };

  readonly formTasks: FormTaskRepository = {
    createFormTask: async () => undefined,
    getFormTask: async (projectId, formTaskId) => (projectId === this.form.projectId && formTaskId === this.form.formTaskId ? this.form : undefined),
    listFormTasks: async () => [this.form],
    listResponses: async () => [...this.responses.values()],
  };

  readonly citizenTasks: CitizenTaskRepository = {
    putTaskIfAbsent: async (nin, task) => {
      const mine = this.byCitizen.get(nin) ?? new Map<string, CitizenTask>();
      this.byCitizen.set(nin, mine);
      const existing = mine.get(task.taskId);
      if (existing) return { task: existing, created: false };
      mine.set(task.taskId, task);
      return { task, created: true };
    },
    getTask: async (nin, taskId) => this.byCitizen.get(nin)?.get(taskId),
    listTasks: async (nin) => [...(this.byCitizen.get(nin)?.values() ?? [])],
    findByToken: async () => undefined,
    tasksOf: async (nins, taskId) => new Map(nins.flatMap((n) => (this.byCitizen.get(n)?.get(taskId) ? [[n, this.byCitizen.get(n)!.get(taskId)!] as const] : []))),
    recordAnswer: async (nin, taskId, response, now) => {
      const task = this.byCitizen.get(nin)?.get(taskId);
      const key = `${response.projectId}#${response.formTaskId}#${response.recipient}#${response.aboutChild ?? ''}`;
      if (!task || task.status !== 'sent' || task.deadline <= now || this.responses.has(key)) return false;
      this.byCitizen.get(nin)!.set(taskId, { ...task, status: 'answered', answeredAt: now });
      this.responses.set(key, response);
      return true;
    },
    markCompleted: async () => false,
  };

  /** What answering a task needs besides the tasks: no project or audit is read by it here. */
  get answerDeps() {
    return {
      formTasks: this.formTasks,
      citizenTasks: this.citizenTasks,
      projects: {} as never,
      audit: { append: async () => undefined } as never,
      hashKeys: () => ({ current: 'v1', keys: { v1: 'a-long-enough-test-key' } }),
    };
  }

  /** A reminder round's reads of who has not answered, as the composition root wires them, at the world's time. */
  reminderReads(world: World): Pick<EngineDeps, 'nonResponders' | 'guardiansAwaiting'> {
    const at = () => new Date(world.now).toISOString();
    return {
      nonResponders: (projectId, formTaskId, nins) => nonResponders(this, projectId, formTaskId, nins, at()),
      guardiansAwaiting: (projectId, formTaskId, asked) => guardiansAwaitingAnswer(this, projectId, formTaskId, asked, at()),
    };
  }
}

const guardiansWorld = (seed: number) => {
  const world = new World({ recipients: 3, batchSize: 3, seed });
  world.project = {
    ...world.project,
    settings: { ...world.project.settings, minors: 'guardians' },
    minorsApproval: { policy: 'guardians', by: 'sara', at: 'then' },
  } as unknown as typeof world.project;
  world.version = { ...world.version, kind: 'form-task', formTaskId: 'ft' };
  return world;
};

const drain = async (world: World, deps: EngineDeps) => {
  for (let i = 0; i < 200 && world.queue.length > 0; i++) await work(world, deps, world.queue.shift()!);
};

const citizen = (sub: string): Principal => ({ sub, role: 'citizen', name: 'c' }) as unknown as Principal;

/** What the project's researcher reads of the world's round: the round report's CSV rows, and the form task's answers. */
const researcherReads = async (world: World, deps: EngineDeps, tasks: Tasks) => {
  const researcher: Principal = { sub: 'kari', role: 'researcher', org: 'uio' };
  const reads = {
    projects: { getProject: async () => world.project, isMember: async () => true },
    rounds: { getRound: async () => world.round },
    progress: { progress: async () => ({ counts: world.counts(), skipReasons: {} }) },
    lists: { slice: async (_listId: string, start: number, end: number) => world.nins.slice(start, end).map((nin) => ({ nin })) },
    batches: deps.batches,
    hashKeys: () => world.keyring,
    formTasks: tasks.formTasks,
  };
  const report = await roundReportCsv(reads as unknown as Parameters<typeof roundReportCsv>[0], researcher, 'prj', 'rnd');
  return { report, ...(await formResponses(reads as unknown as Parameters<typeof formResponses>[0], researcher, 'prj', 'ft')) };
};

describe("a guardian's form task about a child", () => {
  it('test_should_store_a_guardians_task_under_the_guardian_with_the_child_it_is_about_never_the_childs_id', async () => {
    const world = guardiansWorld(21);
    const child = ninBornOn('2016-05-04');
    const parent = ninBornOn('1980-02-03');
    world.nins[0] = child;
    world.facts.set(child, { guardians: [parent] });
    const tasks = new Tasks();
    const deps: EngineDeps = { ...world.deps(), tasks: formTaskIssuer(tasks.formTasks, tasks.citizenTasks) };
    await world.control().start(world.round as ReleasedRound);
    await drain(world, deps);

    expect(tasks.byCitizen.has(child)).toBe(false);
    const theirs = [...(tasks.byCitizen.get(parent)?.values() ?? [])];
    expect(theirs).toHaveLength(1);
    // The same reference the ledger keys the guardian's entry by (`#G#<child ref>`), never the ID.
    const ledgerRef = [...world.ledger.values()].find((e) => e.nin === parent)?.aboutChild;
    expect(ledgerRef).toBeDefined();
    expect(theirs[0]!.aboutChild).toBe(ledgerRef);
    expect(JSON.stringify(theirs)).not.toContain(child);

    // Where the guardian reads their tasks: on behalf of a minor, about which child.
    const view = await listCitizenTasks({ formTasks: tasks.formTasks, citizenTasks: tasks.citizenTasks }, citizen(parent));
    expect(view).toHaveLength(1);
    expect(view[0]).toMatchObject({ onBehalfOfMinor: true, aboutChild: ledgerRef });
    expect(JSON.stringify(view)).not.toContain(child);
    expect(await listCitizenTasks({ formTasks: tasks.formTasks, citizenTasks: tasks.citizenTasks }, citizen(child))).toHaveLength(0);
  });

  it('test_should_give_a_guardian_of_two_children_one_task_per_child_and_their_own_task_apart', async () => {
    const world = guardiansWorld(22);
    const first = ninBornOn('2016-05-04');
    const second = ninBornOn('2014-07-08');
    const parent = ninBornOn('1980-02-03');
    world.nins[0] = first;
    world.nins[1] = second;
    world.nins[2] = parent;
    world.facts.set(first, { guardians: [parent] });
    world.facts.set(second, { guardians: [parent] });
    const tasks = new Tasks();
    const deps: EngineDeps = { ...world.deps(), tasks: formTaskIssuer(tasks.formTasks, tasks.citizenTasks) };
    await world.control().start(world.round as ReleasedRound);
    await drain(world, deps);

    const theirs = [...(tasks.byCitizen.get(parent)?.values() ?? [])];
    expect(theirs).toHaveLength(3);
    expect(new Set(theirs.map((t) => t.taskId)).size).toBe(3);
    // Every task id can travel in the answer's path (the HTTP layer takes ids of these characters only).
    for (const t of theirs) expect(t.taskId).toMatch(/^[A-Za-z0-9_-]{1,128}$/);
    expect(theirs.filter((t) => t.aboutChild === undefined)).toHaveLength(1);
    expect(new Set(theirs.flatMap((t) => (t.aboutChild ? [t.aboutChild] : []))).size).toBe(2);

    // Each can be answered: one answer per child (and the guardian's own), none refused as "already answered".
    const fullDeps = tasks.answerDeps;
    for (const t of theirs) await answerTask(fullDeps, citizen(parent), t.taskId, { q1: 'fint' }, '2023-11-15T00:00:00.000Z');
    expect(tasks.responses.size).toBe(3);
    const csv = responsesCsv(tasks.form, [...tasks.responses.values()]);
    expect(csv.split('\r\n')[0]).toBe('recipient,aboutChild,answeredAt,language,q1');
    for (const nin of [first, second, parent]) expect(csv).not.toContain(nin);
    // The export names the child by the project's pseudonym, not by the global reference the guardian's records carry.
    for (const t of theirs) if (t.aboutChild) expect(csv).not.toContain(t.aboutChild);
  });

  it('test_should_name_the_child_in_the_responses_export_by_the_same_pseudonym_as_the_childs_row_in_the_round_report', async () => {
    const world = guardiansWorld(28);
    const child = ninBornOn('2016-05-04');
    const parent = ninBornOn('1980-02-03');
    world.nins[0] = child;
    world.facts.set(child, { guardians: [parent] });
    const tasks = new Tasks();
    const deps: EngineDeps = { ...world.deps(), tasks: formTaskIssuer(tasks.formTasks, tasks.citizenTasks) };
    await world.control().start(world.round as ReleasedRound);
    await drain(world, deps);
    expect(world.outcomes()[0]).toMatchObject({ kind: 'sent', guardians: 1 });
    const [task] = [...tasks.byCitizen.get(parent)!.values()];
    await answerTask({ ...tasks.answerDeps, hashKeys: () => world.keyring }, citizen(parent), task!.taskId, { q1: 'fint' }, new Date(world.now).toISOString());

    // What the project's researcher reads: the round report's CSV, and the guardians' answers.
    const { report, formTask, responses } = await researcherReads(world, deps, tasks);

    // The child's one pseudonym in the project: their own row of the report (as in the project's audit).
    const childRow = report.find((row) => row[0] === projectPseudonym(child, 'prj', world.keyring));
    expect(childRow).toEqual([projectPseudonym(child, 'prj', world.keyring), 'sent', expect.any(String)]);
    expect(responses).toHaveLength(1);
    expect(responses[0]!.aboutChild).toBe(childRow![0]);
    const [header, row] = responsesCsv(formTask, responses)
      .split('\r\n')
      .map((line) => line.split(','));
    expect(row![header!.indexOf('aboutChild')]).toBe(childRow![0]);
    expect(responsesJson(formTask, responses).items).toEqual([expect.objectContaining({ recipient: projectPseudonym(parent, 'prj', world.keyring), aboutChild: childRow![0] })]);
    // Neither names the child (nor the guardian) by ID.
    for (const nin of [child, parent]) expect(JSON.stringify([report, responses])).not.toContain(nin);
  });

  it('test_should_keep_the_report_and_the_answers_joinable_when_the_hash_key_is_rotated_between_delivery_and_reading', async () => {
    const world = guardiansWorld(29);
    const child = ninBornOn('2016-05-04');
    const parent = ninBornOn('1980-02-03');
    const adult = world.nins[1]!;
    world.nins[0] = child;
    world.facts.set(child, { guardians: [parent] });
    // The project's pseudonyms are made under the key version its first release pinned.
    world.project = { ...world.project, pseudonymKeyVersion: 'v1' };
    const before = world.keyring;
    const tasks = new Tasks();
    const deps: EngineDeps = { ...world.deps(), tasks: formTaskIssuer(tasks.formTasks, tasks.citizenTasks) };
    await world.control().start(world.round as ReleasedRound);
    await drain(world, deps);
    expect(world.outcomes()[0]).toMatchObject({ kind: 'sent', guardians: 1 });

    // The citizen hash key is rotated (v1 kept live); then the guardian and an adult answer, and the researcher reads.
    world.keyring = { current: 'v2', keys: { ...before.keys, v2: 'engine-world-key-0002' } };
    const at = new Date(world.now).toISOString();
    const answerDeps = { ...tasks.answerDeps, hashKeys: () => world.keyring };
    await answerTask(answerDeps, citizen(parent), [...tasks.byCitizen.get(parent)!.values()][0]!.taskId, { q1: 'fint' }, at);
    await answerTask(answerDeps, citizen(adult), [...tasks.byCitizen.get(adult)!.values()][0]!.taskId, { q1: 'bra' }, at);
    const { report, responses } = await researcherReads(world, deps, tasks);

    // One pseudonym per person for the project's life: the report's rows, the guardian's answer
    // about the child and the adult's own answer all under v1, whatever the current version.
    const rowOf = (nin: string) => report.find((row) => row[0] === projectPseudonym(nin, 'prj', before));
    expect(rowOf(child)).toBeDefined();
    expect(rowOf(adult)).toBeDefined();
    expect(responses.find((r) => r.aboutChild)?.aboutChild).toBe(rowOf(child)![0]);
    expect(responses.map((r) => r.recipient)).toContain(rowOf(adult)![0]);
    expect(report.slice(1).every((row) => row[0]!.startsWith('v1:'))).toBe(true);
  });

  it('test_should_remind_the_guardian_who_has_not_answered_about_the_child_never_the_child_nor_the_guardian_who_did', async () => {
    const child = ninBornOn('2016-05-04');
    const mother = ninBornOn('1980-02-03');
    const father = ninBornOn('1979-03-04');
    const tasks = new Tasks();
    const setUp = (seed: number) => {
      const world = guardiansWorld(seed);
      world.nins[0] = child;
      world.facts.set(child, { guardians: [mother, father] });
      return world;
    };
    const at = (world: World) => new Date(world.now).toISOString();
    // The first round: a task for each guardian about the child.
    const first = setUp(23);
    await first.control().start(first.round as ReleasedRound);
    await drain(first, { ...first.deps(), tasks: formTaskIssuer(tasks.formTasks, tasks.citizenTasks) });
    const fullDeps = tasks.answerDeps;
    const [motherTask] = [...tasks.byCitizen.get(mother)!.values()];
    await answerTask(fullDeps, citizen(mother), motherTask!.taskId, { q1: 'fint' }, at(first));

    // The reminder round over the same list, its non-responders read as the composition root reads them.
    const reminder = setUp(24);
    reminder.round = { ...reminder.round, roundId: 'rnd-reminder', onlyNonResponders: true, formTaskId: 'ft' };
    const deps: EngineDeps = {
      ...reminder.deps(),
      tasks: formTaskIssuer(tasks.formTasks, tasks.citizenTasks),
      ...tasks.reminderReads(reminder),
    };
    await reminder.control().start(reminder.round as ReleasedRound);
    await drain(reminder, deps);

    const to = reminder.deliveries.map((d) => d.nin);
    expect(to).toContain(father);
    expect(to).not.toContain(mother);
    expect(to).not.toContain(child);
    expect(reminder.outcomes()[0]).toMatchObject({ kind: 'sent', guardians: 1 });

    // Once the father has answered too, nobody is reminded about the child.
    const [fatherTask] = [...tasks.byCitizen.get(father)!.values()];
    await answerTask(fullDeps, citizen(father), fatherTask!.taskId, { q1: 'bra' }, at(reminder));
    const again = setUp(25);
    again.round = { ...again.round, roundId: 'rnd-reminder-2', onlyNonResponders: true, formTaskId: 'ft' };
    await again.control().start(again.round as ReleasedRound);
    await drain(again, {
      ...again.deps(),
      ...tasks.reminderReads(again),
    });
    expect(again.deliveries.map((d) => d.nin).filter((n) => [child, mother, father].includes(n))).toEqual([]);
    expect(again.outcomes()[0]).toMatchObject({ kind: 'skipped', reason: 'not_awaiting_answer' });
  });

  it('test_should_remind_the_guardian_still_to_answer_after_the_citizen_hash_key_was_rotated', async () => {
    const child = ninBornOn('2016-05-04');
    const mother = ninBornOn('1980-02-03');
    const father = ninBornOn('1979-03-04');
    const tasks = new Tasks();
    const setUp = (seed: number) => {
      const world = guardiansWorld(seed);
      world.nins[0] = child;
      world.facts.set(child, { guardians: [mother, father] });
      return world;
    };
    const first = setUp(26);
    await first.control().start(first.round as ReleasedRound);
    await drain(first, { ...first.deps(), tasks: formTaskIssuer(tasks.formTasks, tasks.citizenTasks) });
    const [motherTask] = [...tasks.byCitizen.get(mother)!.values()];
    await answerTask(tasks.answerDeps, citizen(mother), motherTask!.taskId, { q1: 'fint' }, new Date(first.now).toISOString());

    // The key is rotated; the reminder round is released under v2, the guardians' tasks carry v1's reference.
    const reminder = setUp(27);
    reminder.keyring = { current: 'v2', keys: { v1: first.keyring.keys.v1!, v2: 'engine-world-key-0002' } };
    const released = reminder.round as ReleasedRound;
    const rotated: ReleasedRound = { ...released, roundId: 'rnd-reminder-rotated', onlyNonResponders: true, formTaskId: 'ft', release: { ...released.release, hashKeyVersion: 'v2' } };
    reminder.round = rotated;
    await reminder.control().start(rotated);
    await drain(reminder, { ...reminder.deps(), tasks: formTaskIssuer(tasks.formTasks, tasks.citizenTasks), ...tasks.reminderReads(reminder) });
    const to = reminder.deliveries.map((d) => d.nin);
    expect(to).toContain(father);
    expect(to).not.toContain(mother);
    expect(to).not.toContain(child);
  });

  it('test_should_look_a_child_up_under_every_live_key_version', async () => {
    const person = (nin: string) => ({ nin, facts: {} as never, age: 40, allowedChannels: new Set(['helsenorge' as const]) });
    const routes = new Map<string, Route>([['child', { kind: 'guardians', childAge: 8, guardians: [person('mother')], excluded: {}, ignoredGuardianIds: 0 }]]);
    const open = new Set([guardianAwaitingKey('mother', 'old-ref')]);
    const { children } = await childrenAwaiting(
      routes,
      () => ['new-ref', 'old-ref'],
      async () => open,
    );
    expect([...children]).toEqual(['child']);
  });

  it('test_should_count_a_reminder_pre_flight_as_it_sends_children_through_the_guardians_still_to_answer_only', async () => {
    // What the pre-flight and the send-time gate both ask (rounds/prepare.ts, dispatch/stages/gather.ts).
    const person = (nin: string) => ({ nin, facts: {} as never, age: 40, allowedChannels: new Set(['helsenorge' as const]) });
    const guardians = (...nins: string[]): Route => ({ kind: 'guardians', childAge: 8, guardians: nins.map(person), excluded: {}, ignoredGuardianIds: 0 });
    const routes = new Map<string, Route>([
      ['child-a', guardians('mother-a', 'father-a')],
      ['child-b', guardians('mother-b')],
      ['adult', { kind: 'self', recipient: person('adult') } as unknown as Route],
    ]);
    const asked: unknown[] = [];
    const open = new Set([guardianAwaitingKey('father-a', 'ref-child-a')]);
    const { children, routes: narrowed } = await childrenAwaiting(
      routes,
      (nin) => [`ref-${nin}`],
      async (a) => {
        asked.push(...a);
        return open;
      },
    );
    expect(asked).toEqual([
      { guardian: 'mother-a', aboutChild: 'ref-child-a' },
      { guardian: 'father-a', aboutChild: 'ref-child-a' },
      { guardian: 'mother-b', aboutChild: 'ref-child-b' },
    ]);
    expect([...children]).toEqual(['child-a']);
    expect((narrowed.get('child-a') as Extract<Route, { kind: 'guardians' }>).guardians.map((g) => g.nin)).toEqual(['father-a']);
    // A child nobody is to be reminded about keeps its route; the decision skips it (not awaiting an answer).
    expect(narrowed.get('child-b')).toBe(routes.get('child-b'));
    expect(narrowed.get('adult')).toBe(routes.get('adult'));
  });
});
