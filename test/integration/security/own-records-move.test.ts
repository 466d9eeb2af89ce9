import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoReservationRegistry, OWN_RECORDS_MOVED, OwnRecordsMoveState } from '../../../functions/adapters/dynamo/citizen-registry.js';
import { keys } from '../../../functions/adapters/dynamo/keys.js';
import { moveOwnRecords } from '../../../functions/adapters/dynamo/own-records-move.js';
import { globalCitizenKey } from '../../../functions/domain/shared/citizen-key.js';
import { dynamo } from '../../../functions/shared/clients.js';
import { hashKeyring } from '../../../functions/shared/hash-keys.js';
import { startTestPlatform, type TestPlatform } from '../../setup/platform.js';
import { approvedProject, syntheticNins } from '../dispatch/flow.js';

/**
 * Issue 24 #5 for records written before it: a citizen's reservation and withdrawals lived under
 * `CIT#<id>`, the partition the dispatch worker writes contacts and tasks to. They now live under
 * `OWN#<id>`, which the worker may only read; until the move is marked done on the table every
 * reader reads both places. Here the old records are written as the code before wrote them, read
 * before, moved (`npm run ops:move-own-records`, as an operator runs it) and read after.
 */
let p: TestPlatform;
let dataDir: string;
beforeAll(async () => {
  p = await startTestPlatform({ pollers: false });
  dataDir = await mkdtemp(join(tmpdir(), 'rd-move-'));
  await writeFile(join(dataDir, 'runtime.json'), JSON.stringify({ url: p.url, env: p.env }), { mode: 0o600 });
});
afterAll(async () => {
  await p?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const [reserved, unreservedSince, withdrew, nobody] = syntheticNins(4, 667_000);
const project = 'prj-move';
const table = () => p.env.TABLE_CITIZENS!;

/** The operator's command, run on the project's Node as `npm run` would; its output is parsed JSON. */
const moveCommand = async (...args: string[]): Promise<Record<string, unknown>> => {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'ops/move-own-records.ts', '--data-dir', dataDir, ...args], { cwd: process.cwd() });
  return JSON.parse(stdout) as Record<string, unknown>;
};

/** What a function of a fresh process reads (its own view of whether the move is done). */
const freshReader = () => new DynamoReservationRegistry(dynamo(), table(), () => hashKeyring(), new OwnRecordsMoveState(dynamo(), table()));
const readAll = async () => {
  const r = freshReader();
  const own = await r.ownAmong([reserved!, unreservedSince!, withdrew!, nobody!], project);
  return {
    reserved: [...own.reserved].sort(),
    withdrawn: [...own.withdrawn].sort(),
    fromProject: [...(await r.withdrawnFromProject(project))].sort(),
    withdrawals: (await r.withdrawalsOf(withdrew!)).map((w) => w.projectId),
    unreservedSince: (await r.reservationOf(unreservedSince!)).reserved,
  };
};
const item = async (key: Record<string, unknown>) => (await dynamo().send(new GetCommand({ TableName: table(), Key: key, ConsistentRead: true }))).Item;

describe('the move of the citizens’ own records out of the partition the dispatch worker writes', () => {
  it('test_should_find_every_reservation_and_withdrawal_before_and_after_the_move_and_keep_a_setting_made_since', { timeout: 120_000 }, async () => {
    const db = dynamo();
    // The records as the code before this release wrote them, on a stage whose move has not run.
    await db.send(new DeleteCommand({ TableName: table(), Key: keys.migration(OWN_RECORDS_MOVED) }));
    await db.send(new PutCommand({ TableName: table(), Item: { ...keys.legacyReservation(reserved!), reserved: true, updatedAt: '2026-01-01T00:00:00.000Z' } }));
    await db.send(new PutCommand({ TableName: table(), Item: { ...keys.legacyReservation(unreservedSince!), reserved: true, updatedAt: '2026-01-01T00:00:00.000Z' } }));
    await db.send(
      new PutCommand({
        TableName: table(),
        Item: {
          ...keys.legacyWithdrawal(withdrew!, project),
          ...keys.projectWithdrawal(project, globalCitizenKey(withdrew!, hashKeyring())),
          projectId: project,
          withdrawnAt: '2026-02-01T00:00:00.000Z',
        },
      }),
    );
    // Since this release, one of them lifted their reservation (written in the new place only).
    await freshReader().setReservation(unreservedSince!, false);

    const expected = { reserved: [reserved], withdrawn: [withdrew], fromProject: [withdrew], withdrawals: [project], unreservedSince: false };
    expect(await readAll()).toEqual(expected);
    // Asked only who reserved, a reader reads the old reservations too, and no withdrawal (of no project).
    const asked: { RequestItems?: Record<string, { Keys: { sk: string }[] }> }[] = [];
    const spying = { send: (c: { input: (typeof asked)[number] }) => (asked.push(c.input), db.send(c as never)) } as unknown as typeof db;
    const onlyReservations = new DynamoReservationRegistry(spying, table(), () => hashKeyring(), new OwnRecordsMoveState(dynamo(), table()));
    expect([...(await onlyReservations.reservedAmong([reserved!, unreservedSince!, withdrew!]))]).toEqual([reserved]);
    const sortKeys = asked.flatMap((i) => Object.values(i.RequestItems ?? {}).flatMap((r) => r.Keys.map((k) => k.sk)));
    expect(sortKeys.filter((sk) => sk.startsWith('WITHDRAWN'))).toEqual([]);
    expect(sortKeys.filter((sk) => sk === 'RESERVATION')).toHaveLength(3);

    // A dry run counts and changes nothing.
    expect(await moveCommand('--dry-run')).toMatchObject({ dryRun: true, found: { reservations: 2, withdrawals: 1 }, moved: 0, done: false });
    expect(await item(keys.legacyReservation(reserved!))).toBeDefined();
    expect(await readAll()).toEqual(expected);

    expect(await moveCommand('--segments', '2')).toMatchObject({ dryRun: false, found: { reservations: 2, withdrawals: 1 }, moved: 3, newerKept: 1, done: true });
    for (const key of [keys.legacyReservation(reserved!), keys.legacyReservation(unreservedSince!), keys.legacyWithdrawal(withdrew!, project)]) expect(await item(key)).toBeUndefined();
    expect(await item(keys.ownSettings(reserved!))).toMatchObject({ reserved: true, reservationUpdatedAt: '2026-01-01T00:00:00.000Z' });
    expect(await item(keys.ownSettings(unreservedSince!))).toMatchObject({ reserved: false });
    expect(await item(keys.ownWithdrawal(withdrew!, project))).toMatchObject({ projectId: project, withdrawnAt: '2026-02-01T00:00:00.000Z', gsi1pk: `WITHDRAWN#${project}` });
    // Readers now read the new place only, and find the same people.
    expect(await item(keys.migration(OWN_RECORDS_MOVED))).toMatchObject({ done: true });
    expect(await readAll()).toEqual(expected);

    // Again: nothing left to move. The local runtime's start does not even scan a table marked moved.
    expect(await moveOwnRecords(db, table())).toMatchObject({ found: { reservations: 0, withdrawals: 0 }, moved: 0, done: true });
    await db.send(new PutCommand({ TableName: table(), Item: { ...keys.legacyReservation(nobody!), reserved: true, updatedAt: '2026-03-01T00:00:00.000Z' } }));
    expect(await moveOwnRecords(db, table(), { unlessDone: true })).toMatchObject({ found: { reservations: 0, withdrawals: 0 }, done: true });
    await db.send(new DeleteCommand({ TableName: table(), Key: keys.legacyReservation(nobody!) }));
  });

  it('test_should_write_the_citizens_own_choices_only_in_their_own_partition_through_the_api', async () => {
    const a = await approvedProject(p, 'own-records');
    const citizen = p.as({ sub: nobody!, role: 'citizen' });
    expect((await citizen.put('/citizen/reservations/research')).status).toBeLessThan(300);
    expect((await citizen.post(`/citizen/projects/${a.projectId}/withdraw`)).status).toBeLessThan(300);
    expect(await item(keys.ownSettings(nobody!))).toMatchObject({ reserved: true, withdrawnFrom: new Set([a.projectId]) });
    expect(await item(keys.legacyReservation(nobody!))).toBeUndefined();
    expect(await item(keys.legacyWithdrawal(nobody!, a.projectId))).toBeUndefined();
    const own = await freshReader().ownAmong([nobody!], a.projectId);
    expect([own.reserved.has(nobody!), own.withdrawn.has(nobody!)]).toEqual([true, true]);
  });
});
