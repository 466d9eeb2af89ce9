import { DynamoDBDocumentClient, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfillIndexKeys } from '../../../functions/adapters/dynamo/index-key-backfill.js';
import { globalCitizenKey } from '../../../functions/domain/shared/citizen-key.js';
import { hashKeyring } from '../../../functions/shared/hash-keys.js';
import { startTestPlatform, type TestPlatform } from '../../setup/platform.js';
import { approvedProject, createRound, releaseAndComplete, syntheticNins, uploadList } from '../dispatch/flow.js';

/**
 * Issue 24 #5 for the rows written before it: ledger entries and withdrawals whose index sort key
 * is the national ID in clear. A round and a withdrawal run on DynamoDB Local; their index keys are
 * then put back the way the code before the hashed index wrote them (gsi1sk = the ID, the ledger
 * shard from the ID's last digits); `npm run ops:backfill-index-keys` runs as an operator would,
 * against this platform's runtime file.
 */
let p: TestPlatform;
let dataDir: string;
beforeAll(async () => {
  p = await startTestPlatform();
  dataDir = await mkdtemp(join(tmpdir(), 'rd-backfill-'));
  await writeFile(join(dataDir, 'runtime.json'), JSON.stringify({ url: p.url, env: p.env }), { mode: 0o600 });
});
afterAll(async () => {
  await p?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const nins = syntheticNins(6, 664_000);
const withdrawn = nins[5]!;

/** The operator's command, run on the project's Node as `npm run` would; its output is parsed JSON. */
const backfill = async (...args: string[]): Promise<{ report: Record<string, unknown>; stdout: string; stderr: string }> => {
  const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'ops/backfill-index-keys.ts', '--data-dir', dataDir, ...args], { cwd: process.cwd() });
  return { report: JSON.parse(stdout) as Record<string, unknown>, stdout, stderr };
};

const indexed = async (db: DynamoDBDocumentClient): Promise<Record<string, unknown>[]> => {
  const out: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(new ScanCommand({ TableName: p.env.TABLE_CITIZENS!, ExclusiveStartKey: start, ConsistentRead: true }));
    out.push(...(page.Items ?? []).filter((i) => i.gsi1sk !== undefined && /^(LEDGER|WITHDRAWN)#/.test(String(i.sk))));
    start = page.LastEvaluatedKey;
  } while (start);
  return out;
};
const ninOf = (i: Record<string, unknown>) => String(i.pk).slice('CIT#'.length);
const inClear = (items: readonly Record<string, unknown>[]) => items.filter((i) => i.gsi1sk === ninOf(i));

describe('backfill of index keys written with the ID in clear', () => {
  it('test_should_rehash_every_ledger_and_withdrawal_index_key_that_holds_an_id_in_clear_while_readers_find_the_same_people', { timeout: 180_000 }, async () => {
    const a = await approvedProject(p, 'backfill');
    expect((await p.as({ sub: withdrawn, role: 'citizen' }).post(`/citizen/projects/${a.projectId}/withdraw`)).status).toBeLessThan(300);
    const round = await createRound(a, await uploadList(a, nins));
    const done = await releaseAndComplete(a, round.roundId);
    expect(done.counts).toMatchObject({ planned: 6, sent: 5, skippedWithdrawn: 1 });

    // The rows as the code before the hashed index wrote them.
    const db = DynamoDBDocumentClient.from(p.dynamo);
    const rows = await indexed(db);
    expect(rows).toHaveLength(6);
    for (const i of rows) {
      const nin = ninOf(i);
      const old = String(i.sk).startsWith('LEDGER#') ? { pk: `LEDGER#${a.projectId}#${round.roundId}#${Number(nin.slice(-4)) % 16}`, sk: nin } : { pk: `WITHDRAWN#${a.projectId}`, sk: nin };
      await db.send(
        new UpdateCommand({
          TableName: p.env.TABLE_CITIZENS!,
          Key: { pk: i.pk, sk: i.sk },
          UpdateExpression: 'SET gsi1pk = :pk, gsi1sk = :sk',
          ExpressionAttributeValues: { ':pk': old.pk, ':sk': old.sk },
        }),
      );
    }
    expect(inClear(await indexed(db))).toHaveLength(6);
    const before = (await createRound(a, await uploadList(a, nins))).preflight;
    expect(before).toMatchObject({ total: 6, withdrawn: 1, alreadySent: 5 });

    // A dry run counts and writes nothing.
    const dry = await backfill('--dry-run');
    expect(dry.report).toMatchObject({ dryRun: true, clear: { ledger: 5, withdrawals: 1 }, rewritten: 0 });
    expect(inClear(await indexed(db))).toHaveLength(6);

    const run = await backfill('--segments', '3');
    expect(run.report).toMatchObject({ dryRun: false, scanned: 6, clear: { ledger: 5, withdrawals: 1 }, rewritten: 6, changedMeanwhile: 0 });
    const after = await indexed(db);
    expect(inClear(after)).toEqual([]);
    // Each key is the one the current code writes: the versioned keyed hash of the person.
    for (const i of after) expect(i.gsi1sk).toBe(globalCitizenKey(ninOf(i), hashKeyring()));
    // Readers find the same people through the rewritten index.
    expect((await createRound(a, await uploadList(a, nins))).preflight).toMatchObject({ total: 6, withdrawn: 1, alreadySent: 5 });

    // Again: nothing left to do. And no ID in anything the command printed.
    const again = await backfill();
    expect(again.report).toMatchObject({ clear: { ledger: 0, withdrawals: 0 }, rewritten: 0 });
    for (const out of [dry, run, again]) for (const nin of nins) expect(out.stdout + out.stderr).not.toContain(nin);
  });

  it('test_should_leave_a_row_rewritten_between_the_read_and_the_write_as_it_now_is', { timeout: 60_000 }, async () => {
    const db = DynamoDBDocumentClient.from(p.dynamo);
    const table = p.env.TABLE_CITIZENS!;
    const [nin] = syntheticNins(1, 665_000) as [string];
    const key = { pk: `CIT#${nin}`, sk: 'WITHDRAWN#prj-meanwhile' };
    await db.send(
      new UpdateCommand({
        TableName: table,
        Key: key,
        UpdateExpression: 'SET gsi1pk = :pk, gsi1sk = :sk, projectId = :p',
        ExpressionAttributeValues: { ':pk': 'WITHDRAWN#prj-meanwhile', ':sk': nin, ':p': 'prj-meanwhile' },
      }),
    );
    // Someone else writes the row after the backfill read it and before its write.
    const meanwhile = 'v1:written-meanwhile';
    const racing = {
      send: async (command: unknown) => {
        if (command instanceof UpdateCommand && (command.input.Key as typeof key).pk === key.pk) {
          await db.send(new UpdateCommand({ TableName: table, Key: key, UpdateExpression: 'SET gsi1sk = :s', ExpressionAttributeValues: { ':s': meanwhile } }));
        }
        return db.send(command as ScanCommand);
      },
    } as unknown as DynamoDBDocumentClient;
    const report = await backfillIndexKeys(racing, table, hashKeyring(), { segments: 2, pageSize: 3 });
    expect(report).toMatchObject({ clear: { withdrawals: 1 }, rewritten: 0, changedMeanwhile: 1 });
    const now = await db.send(new ScanCommand({ TableName: table, ConsistentRead: true, FilterExpression: 'pk = :pk AND sk = :sk', ExpressionAttributeValues: { ':pk': key.pk, ':sk': key.sk } }));
    expect(now.Items?.[0]?.gsi1sk).toBe(meanwhile);
  });
});
