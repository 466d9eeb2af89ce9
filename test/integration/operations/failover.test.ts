import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adapters, rawAdapters } from '../../../functions/adapters/index.js';
import { handler as roundWatch } from '../../../functions/handlers/round-watch/index.js';
import { dynamo, s3, sqs } from '../../../functions/shared/clients.js';
import { accessMatrix } from '../../../lib/access-matrix.js';
import { recordAwsCalls, resourceNames, runAs, violations, type Recorder } from '../../../local/aws-call-recorder.js';
import { startTestPlatform, type TestPlatform } from '../../setup/platform.js';

/**
 * Failover over HTTP on a georedundant stage (issue 25, API.md, docs/api-additions.md): the local
 * platform runs as the home region (eu-north-1) of a two-region stage.
 */
let p: TestPlatform;
let recorder: Recorder;
beforeAll(async () => {
  p = await startTestPlatform({ pollers: false, env: { GEO_REGIONS: 'eu-north-1,eu-west-1' } });
  recorder = recordAwsCalls({ dynamo: dynamo(), sqs: sqs(), s3: s3() });
});
afterAll(async () => {
  recorder?.stop();
  await p?.stop();
});

const opsA = { sub: 'ops-anna', role: 'operations', name: 'Anna Drift' } as const;
const opsB = { sub: 'ops-bjorn', role: 'operations', name: 'Bjørn Drift' } as const;
const researcher = { sub: 'ola', role: 'researcher', org: 'uio' } as const;

describe('failover routes (georedundant stage)', () => {
  it('status lists each region with its health (heartbeat of its round watch) and the rounds it is home of', async () => {
    const before = await p.as(opsA).get('/operations/status');
    expect(before.status, before.text).toBe(200);
    expect(before.body.regions).toEqual([
      { name: 'eu-north-1', healthy: false, homeOf: [] },
      { name: 'eu-west-1', healthy: false, homeOf: [] },
    ]);
    await runAs('roundWatch', () => roundWatch());
    const after = await p.as(opsA).get('/operations/status');
    expect(after.body.regions.map((r: { name: string; healthy: boolean }) => [r.name, r.healthy])).toEqual([
      ['eu-north-1', true],
      ['eu-west-1', false],
    ]);
  });

  it('asks (201, pending), refuses the asker and other roles, confirms once (200), then FAILOVER_DONE', async () => {
    expect((await p.as(researcher).post('/operations/failover', { to: 'eu-west-1', reason: 'Frankfurt lost' })).status).toBe(403);
    const bad = await p.as(opsA).post('/operations/failover', { to: 'eu-central-1', reason: 'Frankfurt lost' });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);

    // Asked here for the other region: confirming it here would put the work on the wrong queue.
    const elsewhere = await p.as(opsA).post('/operations/failover', { to: 'eu-west-1', reason: 'Stockholm lost' });
    expect(elsewhere.status, elsewhere.text).toBe(201);
    const wrong = await p.as(opsB).post(`/operations/failover/${elsewhere.body.failoverId}/confirm`);
    expect([wrong.status, wrong.body.error.code]).toEqual([409, 'CONFIRM_IN_TARGET_REGION']);

    // This platform is eu-north-1: a fail-back to it is confirmed here.
    const asked = await p.as(opsA).post('/operations/failover', { to: 'eu-north-1', reason: 'fail back after drill' });
    expect(asked.status, asked.text).toBe(201);
    expect(asked.body).toMatchObject({ to: 'eu-north-1', reason: 'fail back after drill', requestedBy: 'ops-anna', requestedByName: 'Anna Drift', status: 'pending' });
    const id = asked.body.failoverId as string;

    const self = await p.as(opsA).post(`/operations/failover/${id}/confirm`);
    expect([self.status, self.body.error.code]).toEqual([403, 'FOUR_EYES']);
    expect((await p.as(researcher).post(`/operations/failover/${id}/confirm`)).status).toBe(403);
    expect((await p.as(opsB).post('/operations/failover/no-such-id/confirm')).status).toBe(404);

    const done = await p.as(opsB).post(`/operations/failover/${id}/confirm`);
    expect(done.status, done.text).toBe(200);
    expect(done.body).toMatchObject({ failoverId: id, status: 'executed', confirmedBy: 'ops-bjorn', confirmedByName: 'Bjørn Drift', moved: 0 });
    // As stored: the name survives the read (the console's confirmation line, the audit of who moved what).
    expect(await adapters().failover.failovers.get(id)).toMatchObject({ requestedByName: 'Anna Drift', confirmedByName: 'Bjørn Drift' });
    const again = await p.as(opsB).post(`/operations/failover/${id}/confirm`);
    expect([again.status, again.body.error.code]).toEqual([409, 'FAILOVER_DONE']);
  });
});

describe('the fencing compare-and-set (the round and its fence in the MRSC fence table)', () => {
  const put = (table: string, item: Record<string, unknown>) => dynamo().send(new PutCommand({ TableName: table, Item: item }));
  const get = async (table: string, key: Record<string, unknown>) => (await dynamo().send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }))).Item;
  const roundKey = (roundId: string) => ({ pk: 'PROJECT#fence-p', sk: `ROUND#${roundId}` });
  const fenceKey = (roundId: string) => ({ pk: `ROUND#fence-p#${roundId}` });
  /** A round homed in eu-west-1 at `epoch`, and its fence as a failover may have left it. */
  const given = async (roundId: string, epoch: number, fence?: { homeRegion: string; epoch: number }) => {
    await put(p.env.TABLE_MAIN!, { ...roundKey(roundId), homeRegion: 'eu-west-1', epoch });
    if (fence) await put(p.env.TABLE_FENCE!, { ...fenceKey(roundId), ...fence });
  };
  const move = (roundId: string, epoch: number) => rawAdapters().rounds.moveHome({ projectId: 'fence-p', roundId, homeRegion: 'eu-west-1', epoch }, 'eu-north-1');
  const state = async (roundId: string) => [await get(p.env.TABLE_MAIN!, roundKey(roundId)), await get(p.env.TABLE_FENCE!, fenceKey(roundId))].map((i) => i && [i.homeRegion, i.epoch]);

  it('moves the fence first, then the round; finishes a move that stopped between them; refuses a stale epoch; gives a fenceless round its fence', async () => {
    await given('clean', 4, { homeRegion: 'eu-west-1', epoch: 4 });
    expect(await move('clean', 4)).toBe(true);
    expect(await state('clean')).toEqual([
      ['eu-north-1', 5],
      ['eu-north-1', 5],
    ]);
    // A confirmation that moved the fence and died before the round: the next try finishes it.
    await given('half', 1, { homeRegion: 'eu-north-1', epoch: 2 });
    expect(await move('half', 1)).toBe(true);
    expect(await state('half')).toEqual([
      ['eu-north-1', 2],
      ['eu-north-1', 2],
    ]);
    // The fence moved on elsewhere meanwhile (another failover): nothing moves.
    await given('stale', 1, { homeRegion: 'eu-central-1', epoch: 3 });
    expect(await move('stale', 1)).toBe(false);
    expect(await state('stale')).toEqual([
      ['eu-west-1', 1],
      ['eu-central-1', 3],
    ]);
    // Homed but without a fence (it sends nowhere): the failover writes one.
    await given('bare', 1);
    expect(await move('bare', 1)).toBe(true);
    expect(await state('bare')).toEqual([
      ['eu-north-1', 2],
      ['eu-north-1', 2],
    ]);
  });
});

describe('GET /operations/failovers?status=pending (the second person picks the request to confirm)', () => {
  it('lists the pending requests oldest first (operations only); a confirmed one leaves the list', async () => {
    const first = await p.as(opsA).post('/operations/failover', { to: 'eu-north-1', reason: 'drill: move home' });
    const second = await p.as(opsA).post('/operations/failover', { to: 'eu-west-1', roundId: 'r-any', reason: 'drill: move away' });
    expect([first.status, second.status], first.text + second.text).toEqual([201, 201]);
    const ids = [first.body.failoverId as string, second.body.failoverId as string];

    const listed = await p.as(opsB).get('/operations/failovers?status=pending');
    expect(listed.status, listed.text).toBe(200);
    const items = listed.body.items as { failoverId: string; status: string }[];
    expect(items.every((f) => f.status === 'pending')).toBe(true);
    expect(items.filter((f) => ids.includes(f.failoverId))).toEqual([first.body, second.body]);

    expect((await p.as(researcher).get('/operations/failovers?status=pending')).status).toBe(403);
    expect((await p.as({ sub: 'siri', role: 'superuser', org: 'uio' }).get('/operations/failovers?status=pending')).status).toBe(403);
    const bad = await p.as(opsB).get('/operations/failovers?status=executed');
    expect([bad.status, bad.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);

    expect((await p.as(opsB).post(`/operations/failover/${ids[0]}/confirm`)).status).toBe(200);
    const after = await p.as(opsA).get('/operations/failovers');
    expect(after.status, after.text).toBe(200);
    const left = (after.body.items as { failoverId: string }[]).map((f) => f.failoverId);
    expect(left).not.toContain(ids[0]);
    expect(left).toContain(ids[1]);
  });
});

describe('the IAM contract on a georedundant stage', () => {
  it('the heartbeat and the failover calls stay inside the rows of roundWatch and operations', () => {
    const calls = recorder.calls.filter((c) => c.fn === 'roundWatch' || c.fn === 'operations');
    expect(calls.some((c) => c.fn === 'roundWatch' && c.service === 'dynamodb' && c.action === 'PutItem')).toBe(true);
    expect(calls.some((c) => c.fn === 'operations' && c.service === 'dynamodb' && c.action === 'UpdateItem')).toBe(true);
    expect(violations(calls, accessMatrix, resourceNames(p.env))).toEqual([]);
  });
});
