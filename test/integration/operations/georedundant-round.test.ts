import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../../functions/adapters/dynamo/keys.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawAdapters } from '../../../functions/adapters/index.js';
import { DynamoBatchStore } from '../../../functions/adapters/dynamo/batch-store.js';
import { deltaOf, withFencedPlans, type Plan } from '../../../functions/domain/dispatch/batch.js';
import { dynamo, s3, sqs } from '../../../functions/shared/clients.js';
import { accessMatrix } from '../../../lib/access-matrix.js';
import { handler as roundWatch } from '../../../functions/handlers/round-watch/index.js';
import { recordAwsCalls, resourceNames, runAs, violations, type Recorder } from '../../../local/aws-call-recorder.js';
import { startTestPlatform, type TestPlatform } from '../../setup/platform.js';
import { completeChecklist } from '../checklist.js';
import { approvedProject, createRound, roundOf, sumOfCounts, syntheticNins, uploadList, waitFor } from '../dispatch/flow.js';

/**
 * A round on a georedundant stage (issue 25), the local platform as its home region eu-north-1:
 * release homes the round here at epoch 1 — through the same transactions as single-region, which
 * is why the tables are MREC (docs/georedundancy.md) — and the worker's home check lets it through.
 */
let p: TestPlatform;
let recorder: Recorder;
beforeAll(async () => {
  // A failover's ledger rebuild starts a lease after the fences moved (the old home's last waves end
  // first): a 12 s lease here instead of 60 s, so the test waits seconds, not a minute.
  p = await startTestPlatform({ env: { GEO_REGIONS: 'eu-north-1,eu-west-1', DISPATCH_LEASE_MS: '12000' } });
  recorder = recordAwsCalls({ dynamo: dynamo(), sqs: sqs(), s3: s3() });
});
afterAll(async () => {
  recorder?.stop();
  await p?.stop();
});

describe('a round on a georedundant stage', () => {
  it('is homed where it was released (epoch 1) and completes there', { timeout: 120_000 }, async () => {
    const a = await approvedProject(p, 'geo-round');
    const nins = syntheticNins(6, 710_000);
    const round = await createRound(a, await uploadList(a, nins));
    const released = await a.researcher.post(`/projects/${a.projectId}/rounds/${round.roundId}/release`);
    expect(released.status, released.text).toBe(202);

    const stored = await rawAdapters().rounds.getRound(a.projectId, round.roundId);
    expect(stored).toMatchObject({ homeRegion: 'eu-north-1', epoch: 1 });
    // …and its fence, in the fence table (MRSC when deployed), says the same: what the workers send by.
    expect(await fenceOf(a.projectId, round.roundId)).toMatchObject({ homeRegion: 'eu-north-1', epoch: 1 });

    const done = await completed(a, round.roundId);
    expect(sumOfCounts(done.counts)).toBe(done.counts.planned);
    expect(done.counts.sent).toBeGreaterThan(0);
    // Its waves were marked in flight in this region's item of the fence table, and each commit dropped its marker.
    const markedHere = (await dynamo().send(new GetCommand({ TableName: p.env.TABLE_FENCE, Key: { pk: 'INFLIGHT#eu-north-1' }, ConsistentRead: true }))).Item;
    expect(markedHere).toBeDefined();
    expect(Object.keys(markedHere!).filter((k) => k.startsWith(`${a.projectId}#`))).toEqual([]);
    // Each wave's plan is kept there too, numbered within its batch, and the batch item records the last one committed.
    const plans = (await dynamo().send(new GetCommand({ TableName: p.env.TABLE_FENCE, Key: { pk: `PLAN#${a.projectId}#${round.roundId}#0` }, ConsistentRead: true }))).Item;
    expect(Object.keys(plans ?? {}).filter((k) => k !== 'pk').length).toBeGreaterThan(0);
    const batch = (await dynamo().send(new GetCommand({ TableName: p.env.TABLE_DELIVERIES, Key: { roundId: round.roundId, deliveryId: 'B#000000' }, ConsistentRead: true }))).Item;
    expect(batch?.planSeq).toBeGreaterThan(0);
    // What a failover away from here would rebuild the ledger of, though not move: completed here since a time.
    const completedHere = async (since?: string) => (await rawAdapters().rounds.completedIn('eu-north-1', since)).map((h) => h.roundId);
    expect(await completedHere(new Date(Date.now() - 60_000).toISOString())).toContain(round.roundId);
    expect(await completedHere(new Date(Date.now() + 60_000).toISOString())).not.toContain(round.roundId);
    expect(await rawAdapters().rounds.completedIn('eu-west-1')).not.toContainEqual(expect.objectContaining({ roundId: round.roundId }));
  });

  it('failed over here after its home was lost: the ledger entries the loss took come back before it sends again', { timeout: 120_000 }, async () => {
    const { a, nins, round } = await canaryHeldRound('geo-rebuild', 720_000);
    const { rounds, contacts } = rawAdapters();
    const canary = nins.slice(0, 3);
    const sent = async () => contactsIn(contacts, canary, a.projectId, round.roundId);
    expect(await sent()).toBe(3);

    // Its home was eu-west-1 (epoch 1), lost before two of the canary's ledger entries replicated here.
    const db = dynamo();
    await db.send(
      new UpdateCommand({
        TableName: p.env.TABLE_MAIN,
        Key: { pk: `PROJECT#${a.projectId}`, sk: `ROUND#${round.roundId}` },
        UpdateExpression: 'SET homeRegion = :w',
        ExpressionAttributeValues: { ':w': 'eu-west-1' },
      }),
    );
    await setFence(a.projectId, round.roundId, 'eu-west-1', 1);
    for (const nin of canary.slice(1)) await db.send(new DeleteCommand({ TableName: p.env.TABLE_CITIZENS, Key: { pk: `CIT#${nin}`, sk: `LEDGER#${a.projectId}#${round.roundId}` } }));
    expect(await sent()).toBe(1);
    // …and the counter shard of the canary's last commit, while its batch item arrived.
    await db.send(
      new UpdateCommand({ TableName: p.env.TABLE_DELIVERIES, Key: { roundId: round.roundId, deliveryId: 'C#K' }, UpdateExpression: 'ADD sent :less', ExpressionAttributeValues: { ':less': -2 } }),
    );
    expect((await roundOf(a, round.roundId)).counts.sent).toBe(1);

    const opsA = p.as({ sub: 'ops-anna', role: 'operations' });
    const asked = await opsA.post('/operations/failover', { to: 'eu-north-1', roundId: round.roundId, reason: 'eu-west-1 lost' });
    expect(asked.status, asked.text).toBe(201);
    const confirmed = await p.as({ sub: 'ops-bjorn', role: 'operations' }).post(`/operations/failover/${asked.body.failoverId}/confirm`);
    expect([confirmed.status, confirmed.body.moved], confirmed.text).toEqual([200, 1]);

    // A lease after the confirmation, not before, the worker here rebuilds the two entries from the batch items, then lifts the hold.
    const confirmedAt = Date.now();
    const rebuilt = await waitFor(
      () => rounds.getRound(a.projectId, round.roundId),
      (r) => r?.ledgerRebuild === undefined,
      60_000,
      100,
    );
    expect(Date.now() - confirmedAt).toBeGreaterThanOrEqual(11_000);
    expect(rebuilt).toMatchObject({ homeRegion: 'eu-north-1', epoch: 2, status: 'canary_hold' });
    expect(await fenceOf(a.projectId, round.roundId)).toMatchObject({ homeRegion: 'eu-north-1', epoch: 2 });
    expect(await sent()).toBe(3);
    // The rebuild recounted the round from its batch items.
    expect((await roundOf(a, round.roundId)).counts).toMatchObject({ sent: 3, pending: 5 });
    const [entry] = await contacts.decisionsAbout(canary[1]!);
    expect(entry).toMatchObject({ outcome: 'sent', projectId: a.projectId, roundId: round.roundId, channel: expect.any(String) });

    // Confirmed, it completes in its new home, each recipient once.
    expect((await a.superuser.post(`/projects/${a.projectId}/rounds/${round.roundId}/confirm-canary`)).status).toBeLessThan(300);
    expect((await completed(a, round.roundId)).counts.sent).toBe(8);
    expect(await contactsIn(contacts, nins, a.projectId, round.roundId)).toBe(8);
  });

  it('test_should_send_nothing_here_once_the_rounds_fence_names_another_region_whatever_this_regions_copy_of_the_round_says', { timeout: 120_000 }, async () => {
    const { a, round } = await canaryHeldRound('geo-fence', 730_000);
    // A failover confirmed in eu-west-1 moved the fence (strongly consistent across regions); this
    // region's replica of the round has not heard of it yet and still says eu-north-1.
    await setFence(a.projectId, round.roundId, 'eu-west-1', 2);
    expect(await rawAdapters().rounds.getRound(a.projectId, round.roundId)).toMatchObject({ homeRegion: 'eu-north-1', epoch: 1 });
    await confirmedYetHeldHere(a, round.roundId);
    expect((await roundOf(a, round.roundId)).status).toBe('dispatching');

    // Failed back here (the fence home again, one epoch on): a resume sends the rest, each once.
    await setFence(a.projectId, round.roundId, 'eu-north-1', 3);
    expect((await a.operations.post(`/projects/${a.projectId}/pause`, { reason: 'fail-back' })).status).toBeLessThan(300);
    expect((await a.operations.post(`/projects/${a.projectId}/resume`, {})).status).toBeLessThan(300);
    expect((await completed(a, round.roundId)).counts.sent).toBe(8);
  });

  it('test_should_hold_every_round_here_while_the_fence_holds_a_halt_this_regions_replica_has_not_received', { timeout: 120_000 }, async () => {
    const { a, round } = await canaryHeldRound('geo-halt', 740_000);
    // Operations halt all sending: the halt goes to the fence table (MRSC when deployed) as well as the operations state.
    const halted = await a.operations.post('/operations/halt', { reason: 'Feil i brevmal' });
    expect(halted.status, halted.text).toBe(200);
    expect(await haltFence()).toMatchObject({ halted: true, reason: 'Feil i brevmal' });
    // Given in eu-west-1, say: this region's replica of the operations state has not received it yet.
    await dynamo().send(new PutCommand({ TableName: p.env.TABLE_MAIN, Item: { ...keys.opsState(), halted: false } }));
    expect((await a.operations.get('/operations/status')).body.halted).toBe(true);
    // (Without the fence's halt the rest of the round went out within about 2 s here.)
    await confirmedYetHeldHere(a, round.roundId);

    // The resume clears both, and the round goes on.
    expect((await a.operations.post('/operations/resume', {})).status).toBeLessThan(300);
    expect(await haltFence()).toMatchObject({ halted: false });
    expect((await completed(a, round.roundId)).counts.sent).toBe(8);
  });

  it('test_should_hold_the_projects_rounds_here_while_the_fence_holds_a_pause_this_regions_replica_has_not_received', { timeout: 120_000 }, async () => {
    const { a, round } = await canaryHeldRound('geo-pause', 750_000);
    // Operations pause the project: its pause goes to the fence table (MRSC when deployed) before it is acknowledged.
    const paused = await a.operations.post(`/projects/${a.projectId}/pause`, { reason: 'Klage' });
    expect(paused.status, paused.text).toBeLessThan(300);
    expect(await projectFence(a.projectId)).toMatchObject({ pauses: 1 });
    // Given in eu-west-1, say: this region's replica of the project has not received the pause yet.
    const key = keys.project(a.projectId);
    const stored = (await dynamo().send(new GetCommand({ TableName: p.env.TABLE_MAIN, Key: key, ConsistentRead: true }))).Item!;
    await dynamo().send(
      new UpdateCommand({ TableName: p.env.TABLE_MAIN, Key: key, UpdateExpression: 'SET #s = :a', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':a': 'approved' } }),
    );
    await confirmedYetHeldHere(a, round.roundId);

    // The replica catches up; the resume ends the pause in the fence too, and the round goes on.
    await dynamo().send(
      new UpdateCommand({ TableName: p.env.TABLE_MAIN, Key: key, UpdateExpression: 'SET #s = :p', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':p': stored.status } }),
    );
    expect((await a.operations.post(`/projects/${a.projectId}/resume`, {})).status).toBeLessThan(300);
    expect((await completed(a, round.roundId)).counts.sent).toBe(8);
  });

  it('test_should_hold_the_projects_rounds_here_while_the_fence_holds_an_approval_reset_this_regions_replica_has_not_received', { timeout: 120_000 }, async () => {
    const { a, round } = await canaryHeldRound('geo-review', 760_000);
    // The researcher changes the link domains: the project goes back to review, and the reset goes to
    // the fence table (MRSC when deployed) before the answer.
    const changed = await a.researcher.put(`/projects/${a.projectId}/link-domains`, { allowedLinkDomains: ['helse-forskning.no'] });
    expect(changed.status, changed.text).toBe(200);
    expect(changed.body.status).toBe('in_review');
    expect((await projectFence(a.projectId))?.approvalResetAt).toBe(changed.body.submittedAt);
    // Changed in eu-west-1, say: this region's replica of the project still says approved.
    const key = keys.project(a.projectId);
    const setStatus = (status: string) =>
      dynamo().send(
        new UpdateCommand({ TableName: p.env.TABLE_MAIN, Key: key, UpdateExpression: 'SET #s = :s', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':s': status } }),
      );
    await setStatus('approved');
    await confirmedYetHeldHere(a, round.roundId);

    // The replica catches up, a superuser approves the project again, and the round goes on.
    await setStatus('in_review');
    const approved = await a.superuser.post(`/projects/${a.projectId}/approve`, { comment: 'Godkjent', checklist: await completeChecklist(a.superuser, a.projectId) });
    expect(approved.status, approved.text).toBe(200);
    expect((await completed(a, round.roundId)).counts.sent).toBe(8);
  });

  it('test_should_hold_the_projects_rounds_when_a_pause_is_pressed_after_a_resume_elsewhere_whatever_the_hosts_clocks_and_show_the_hold_until_a_resume', { timeout: 120_000 }, async () => {
    const { a, round } = await canaryHeldRound('geo-repause', 770_000);
    const key = keys.project(a.projectId);
    const item = async () => (await dynamo().send(new GetCommand({ TableName: p.env.TABLE_MAIN, Key: key, ConsistentRead: true }))).Item!;
    const put = (stored: Record<string, unknown>) => dynamo().send(new PutCommand({ TableName: p.env.TABLE_MAIN, Item: stored }));
    expect((await a.operations.post(`/projects/${a.projectId}/pause`, { reason: 'Klage' })).status).toBe(200);
    const paused = await item();
    // Resumed in eu-north-1 (here, the round's home), by a host whose clock ran 5 s ahead…
    expect((await a.operations.post(`/projects/${a.projectId}/resume`, {})).status).toBe(200);
    const resumed = { ...(await item()), resumedAt: new Date(Date.now() + 5_000).toISOString() };
    // …while eu-west-1's replica has not received the resume and still shows the first pause. An
    // operator there presses pause after the resume: that replica says "already paused", and that
    // host's clock says a time before the resume's. The pause must hold here all the same.
    await put(paused);
    const again = await a.operations.post(`/projects/${a.projectId}/pause`, { reason: 'Ny klage' });
    expect(again.status, again.text).toBe(200);
    // Here the replica shows the resume: the fence's later pause holds the round all the same…
    await put(resumed);
    await confirmedYetHeldHere(a, round.roundId);
    // …and the project says so, though its own record says approved.
    const shown = await a.operations.get(`/projects/${a.projectId}`);
    expect(shown.body).toMatchObject({ status: 'approved', pausedInAnotherRegion: true });
    expect((await a.operations.get('/projects')).body.items.find((x: { projectId: string }) => x.projectId === a.projectId)).toMatchObject({ pausedInAnotherRegion: true });
    // …and operations' status lists it among the paused projects.
    const status = await a.operations.get('/operations/status');
    expect(status.body.pausedProjects.find((x: { projectId: string }) => x.projectId === a.projectId)).toMatchObject({ pausedInAnotherRegion: true });

    // One resume lifts it, and the round goes on.
    const lifted = await a.operations.post(`/projects/${a.projectId}/resume`, {});
    expect(lifted.status, lifted.text).toBe(200);
    expect((await a.operations.get(`/projects/${a.projectId}`)).body.pausedInAnotherRegion).toBeUndefined();
    expect((await completed(a, round.roundId)).counts.sent).toBe(8);
  });

  it('test_should_give_the_next_claim_a_wave_plan_the_fence_keeps_when_the_batch_item_lost_it_with_its_region', { timeout: 60_000 }, async () => {
    const store = new DynamoBatchStore(dynamo(), { main: p.env.TABLE_MAIN!, deliveries: p.env.TABLE_DELIVERIES! }, undefined, {
      table: p.env.TABLE_FENCE!,
      region: 'eu-west-1',
      regions: ['eu-north-1', 'eu-west-1'],
    });
    const ref = { projectId: 'prj-geo-plan', roundId: `rnd-geo-plan-${Date.now()}`, batchNo: 3 };
    // In eu-west-1 (the round's home then): a claim, and a wave's plan bound — in the batch item and in the fence.
    const first = await store.claim(ref, 4, 'lease-west', Date.now() + 60_000, Date.now());
    expect(first.kind).toBe('claimed');
    const plan: Plan = new Map([
      [0, [{ deliveryId: '000003-0000', channel: 'helsenorge' }]],
      [2, [{ deliveryId: '000003-0002', channel: 'digital-mailbox' }]],
    ]);
    await store.bindPlan(ref, 'lease-west', plan, 1);
    // eu-west-1 is lost before its batch item's writes replicated here: this replica never saw them.
    await dynamo().send(new DeleteCommand({ TableName: p.env.TABLE_DELIVERIES, Key: { roundId: ref.roundId, deliveryId: 'B#000003' } }));
    // The next claim (here, the new home) finds the plan in the fence: those letters may have left.
    const next = await store.claim(ref, 4, 'lease-north', Date.now() + 60_000, Date.now());
    if (next.kind !== 'claimed') throw new Error(`expected a claim, got ${next.kind}`);
    expect(next.state.sending).toBeUndefined();
    const bound = withFencedPlans(next.state, next.fenced ?? []);
    expect(bound).toEqual({ sending: plan, planSeq: 1 });
    // Its recovery commits past that plan: the claim after it finds nothing more to learn.
    await store.commit(ref, 'lease-north', { outcomes: next.state.outcomes, chained: true, planSeq: bound.planSeq }, deltaOf(next.state.outcomes, next.state.outcomes), { canary: false });
    const after = await store.claim(ref, 4, 'lease-north-2', Date.now() + 60_000, Date.now());
    if (after.kind !== 'claimed') throw new Error(`expected a claim, got ${after.kind}`);
    expect(withFencedPlans(after.state, after.fenced ?? [])).toEqual({ planSeq: 1 });
  });

  it('test_should_acknowledge_a_pause_only_once_the_other_regions_wave_in_flight_has_ended', { timeout: 120_000 }, async () => {
    const a = await approvedProject(p, 'geo-inflight');
    // A wave of this project in flight in eu-west-1 (the home of another of its rounds), marked in the
    // fence table (MRSC when deployed) before that worker read its gate: this region's replicas know
    // nothing of it.
    const marker = `${a.projectId}#round-homed-in-eu-west-1#4`;
    const db = dynamo();
    await db.send(
      new UpdateCommand({
        TableName: p.env.TABLE_FENCE,
        Key: { pk: 'INFLIGHT#eu-west-1' },
        UpdateExpression: 'SET #m = :w',
        ExpressionAttributeNames: { '#m': marker },
        ExpressionAttributeValues: { ':w': { lease: 'lease-west', letters: 8, until: Date.now() + 60_000 } },
      }),
    );
    // Its channel calls end 1.5 s from now, and its commit drops the marker (from the moment it starts to).
    const ended = new Promise<number>((resolve) =>
      setTimeout(() => {
        const at = Date.now();
        void db
          .send(new UpdateCommand({ TableName: p.env.TABLE_FENCE, Key: { pk: 'INFLIGHT#eu-west-1' }, UpdateExpression: 'REMOVE #m', ExpressionAttributeNames: { '#m': marker } }))
          .then(() => resolve(at));
      }, 1_500),
    );
    const paused = await a.operations.post(`/projects/${a.projectId}/pause`, { reason: 'Klage' });
    const answeredAt = Date.now();
    expect(paused.status, paused.text).toBeLessThan(300);
    // The acknowledgement ("0 in flight", confirmed) came only after that wave ended.
    expect(paused.body.inFlight).toBe(0);
    expect(paused.body.pauseConfirmedAt).toBeDefined();
    expect(answeredAt).toBeGreaterThanOrEqual(await ended);
  });

  it('test_should_remove_this_regions_in_flight_markers_of_dead_workers_from_the_fence_once_their_deadline_is_long_past', { timeout: 60_000 }, async () => {
    const item = { pk: 'INFLIGHT#eu-north-1' };
    const now = Date.now();
    const db = dynamo();
    // A worker that died mid-wave (its deadline 6 minutes ago), one whose deadline just passed, and a live one.
    await db.send(
      new UpdateCommand({
        TableName: p.env.TABLE_FENCE,
        Key: item,
        UpdateExpression: 'SET #dead = :dead, #recent = :recent, #live = :live',
        ExpressionAttributeNames: { '#dead': 'prj-sweep#rnd#1', '#recent': 'prj-sweep#rnd#2', '#live': 'prj-sweep#rnd#3' },
        ExpressionAttributeValues: {
          ':dead': { lease: 'lease-dead', letters: 25, until: now - 6 * 60_000 },
          ':recent': { lease: 'lease-recent', letters: 25, until: now - 10_000 },
          ':live': { lease: 'lease-live', letters: 25, until: now + 60_000 },
        },
      }),
    );
    await runAs('roundWatch', () => roundWatch());
    const left = (await db.send(new GetCommand({ TableName: p.env.TABLE_FENCE, Key: item, ConsistentRead: true }))).Item ?? {};
    expect(
      Object.keys(left)
        .filter((k) => k.startsWith('prj-sweep#'))
        .sort(),
    ).toEqual(['prj-sweep#rnd#2', 'prj-sweep#rnd#3']);
  });

  it('the release, the failover, the rebuild, the halt, the pause and the worker stay inside their rows of the access matrix', () => {
    const calls = recorder.calls.filter((c) => ['consumer:dispatch', 'operations', 'dispatch', 'projects', 'roundWatch'].includes(c.fn));
    // The rebuild's conditional puts (the engine writes the ledger with BatchWriteItem only).
    expect(calls.some((c) => c.fn === 'consumer:dispatch' && c.service === 'dynamodb' && c.action === 'PutItem')).toBe(true);
    // The fence: written at release, moved by the failover, read by the worker.
    const onFence = (fn: string, action: string) => calls.some((c) => c.fn === fn && c.service === 'dynamodb' && c.action === action && c.table === p.env.TABLE_FENCE);
    expect([onFence('dispatch', 'PutItem'), onFence('operations', 'UpdateItem'), onFence('consumer:dispatch', 'GetItem')]).toEqual([true, true, true]);
    // …the halt written by operations, a pause by the projects function (which a resume reads the halt from).
    expect([onFence('operations', 'PutItem'), onFence('projects', 'UpdateItem'), onFence('projects', 'GetItem')]).toEqual([true, true, true]);
    // …each wave marked in flight there by the worker (never in the main table), counted there by a pause or halt.
    expect(onFence('consumer:dispatch', 'UpdateItem')).toBe(true);
    // …and each wave's plan kept there, read back at every claim.
    const onPlans = (action: string) =>
      calls.some((c) => c.fn === 'consumer:dispatch' && c.service === 'dynamodb' && c.action === action && c.table === p.env.TABLE_FENCE && (c.leadingKeys ?? []).some((k) => k.startsWith('PLAN#')));
    expect([onPlans('UpdateItem'), onPlans('GetItem')]).toEqual([true, true]);
    expect(calls.some((c) => c.fn === 'consumer:dispatch' && c.service === 'dynamodb' && c.table === p.env.TABLE_MAIN && (c.leadingKeys ?? []).includes('INFLIGHT'))).toBe(false);
    expect(violations(calls, accessMatrix, resourceNames(p.env))).toEqual([]);
  });
});

const contactsIn = async (contacts: ReturnType<typeof rawAdapters>['contacts'], nins: readonly string[], projectId: string, roundId: string): Promise<number> =>
  [...(await contacts.contactsIn(nins, projectId, [roundId])).values()].length;

/** A released round of 8 whose canary of 3 went out: it waits for a person to confirm it, still active. */
const canaryHeldRound = async (org: string, firstNin: number) => {
  const a = await approvedProject(p, org);
  const nins = syntheticNins(8, firstNin);
  const round = await createRound(a, await uploadList(a, nins), { canary: { size: 3 } });
  expect((await a.researcher.post(`/projects/${a.projectId}/rounds/${round.roundId}/release`)).status).toBe(202);
  await waitFor(
    () => roundOf(a, round.roundId),
    (r) => r.status === 'canary_hold',
    90_000,
    250,
  );
  return { a, nins, round };
};

/**
 * The canary of a canary-held round confirmed while a stop only the fence holds stands: the worker
 * takes the round's batches, reads the fence with its gate (three reads: home, halt, the project's
 * pause) and lets them go — 5 s later nothing more has left here than the canary's 3.
 */
const confirmedYetHeldHere = async (a: Awaited<ReturnType<typeof approvedProject>>, roundId: string) => {
  const fenceReads = () => recorder.calls.filter((c) => c.fn === 'consumer:dispatch' && c.service === 'dynamodb' && c.action === 'GetItem' && c.table === p.env.TABLE_FENCE).length;
  const before = fenceReads();
  expect((await a.superuser.post(`/projects/${a.projectId}/rounds/${roundId}/confirm-canary`)).status).toBeLessThan(300);
  await waitFor(
    async () => fenceReads(),
    (n) => n >= before + 3,
    30_000,
    50,
  );
  await new Promise((r) => setTimeout(r, 5_000));
  expect((await roundOf(a, roundId)).counts.sent).toBe(3);
};

const completed = (a: Awaited<ReturnType<typeof approvedProject>>, roundId: string) =>
  waitFor(
    () => roundOf(a, roundId),
    (r) => r.status === 'completed',
    90_000,
    250,
  );

const projectFence = async (projectId: string) => (await dynamo().send(new GetCommand({ TableName: p.env.TABLE_FENCE, Key: { pk: `PROJECT#${projectId}` }, ConsistentRead: true }))).Item;

const haltFence = async () => (await dynamo().send(new GetCommand({ TableName: p.env.TABLE_FENCE, Key: { pk: 'HALT' }, ConsistentRead: true }))).Item;

const fenceOf = async (projectId: string, roundId: string) =>
  (await dynamo().send(new GetCommand({ TableName: p.env.TABLE_FENCE, Key: { pk: `ROUND#${projectId}#${roundId}` }, ConsistentRead: true }))).Item;

/** What a failover confirmed in another region would have written to the (MRSC) fence. */
const setFence = async (projectId: string, roundId: string, homeRegion: string, epoch: number) =>
  dynamo().send(
    new UpdateCommand({
      TableName: p.env.TABLE_FENCE,
      Key: { pk: `ROUND#${projectId}#${roundId}` },
      UpdateExpression: 'SET homeRegion = :h, epoch = :e',
      ExpressionAttributeValues: { ':h': homeRegion, ':e': epoch },
    }),
  );
