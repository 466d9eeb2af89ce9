import { DeleteCommand, DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawAdapters } from '../../../functions/adapters/index.js';
import { keys } from '../../../functions/adapters/dynamo/keys.js';
import { auditScope } from '../../../functions/domain/projects/use-cases.js';
import { auditEvent, hashEvent, OPERATIONS_SCOPE, sealAuditHead, type ChainedAuditEvent } from '../../../functions/domain/shared/audit.js';
import { runAuditVerify } from '../../../bin/audit-verify.js';
import { handler as auditSealer } from '../../../functions/handlers/audit-sealer/index.js';
import { startTestPlatform, type TestPlatform } from '../../setup/platform.js';

let p: TestPlatform;
let db: DynamoDBDocumentClient;
const researcher = { sub: 'res-audit', role: 'researcher' as const, org: 'org-audit' };
const ops = { sub: 'ops-audit', role: 'operations' as const };

const newProject = async (title: string): Promise<string> => {
  const res = await p.as(researcher).post('/projects', { title, organization: 'org-audit' });
  expect(res.status).toBe(201);
  return res.body.projectId;
};
const verify = async (projectId: string) => (await p.as(ops).get(`/projects/${projectId}/audit/verify`)).body;
const cli = (args: string[]) => runAuditVerify(args, p.env);

/** What an attacker with write access to the table can do: rewrite an event and re-hash the rest. */
const rewriteFrom = async (scope: string, events: ChainedAuditEvent[], fromSeq: number, change: (e: ChainedAuditEvent) => ChainedAuditEvent) => {
  let prev = events[fromSeq - 2]?.hash ?? '0'.repeat(64);
  for (const e of events.slice(fromSeq - 1)) {
    const changed = e.seq === fromSeq ? change(e) : e;
    const { hash: _, ...rest } = { ...changed, prevHash: prev };
    const hash = hashEvent(rest);
    await db.send(new PutCommand({ TableName: p.env.TABLE_AUDIT, Item: { ...keys.auditEvent(scope, e.seq), type: 'AUDIT_EVENT', ...rest, hash } }));
    prev = hash;
  }
  await db.send(new PutCommand({ TableName: p.env.TABLE_AUDIT, Item: { ...keys.auditHead(scope), type: 'AUDIT_HEAD', events: events.length, head: prev } }));
};

beforeAll(async () => {
  p = await startTestPlatform({ pollers: false });
  db = DynamoDBDocumentClient.from(p.dynamo);
});
afterAll(async () => p?.stop());

describe('the audit trail is a hash chain', () => {
  it('GET …/audit lists the events in chain order with seq, prevHash and hash; verify agrees', async () => {
    const projectId = await newProject('Chain');
    await p.as(researcher).post(`/projects/${projectId}/submit`);
    await p.as(researcher).post(`/projects/${projectId}/members`, { sub: 'res-2' });
    const audit = await p.as(researcher).get(`/projects/${projectId}/audit`);
    expect(audit.status).toBe(200);
    const items = audit.body.items as ChainedAuditEvent[];
    expect(items.map((e) => e.action)).toEqual(['project.created', 'project.submitted', 'project.member_added']);
    expect(items.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(items[0]!.prevHash).toBe('0'.repeat(64));
    expect(items[1]!.prevHash).toBe(items[0]!.hash);
    expect(items[2]!.prevHash).toBe(items[1]!.hash);
    expect(await verify(projectId)).toEqual({ ok: true, events: 3, head: items[2]!.hash, problems: [], sealed: null });
  });

  it('concurrent appends to one chain never fork it: every event follows exactly one other', async () => {
    const projectId = await newProject('Concurrent');
    const scope = auditScope(projectId);
    const appended = await Promise.all(Array.from({ length: 10 }, (_, i) => rawAdapters().audit.append(scope, auditEvent({ sub: `ops-${i}`, role: 'operations' }, 'test.concurrent', { i }))));
    const events = await rawAdapters().audit.list(scope);
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
    expect(new Set(events.map((e) => e.prevHash)).size).toBe(11);
    expect(new Set(appended.map((e) => e.seq)).size).toBe(10);
    const v = await verify(projectId);
    expect(v).toMatchObject({ ok: true, events: 11, head: events.at(-1)!.hash });
  });

  it('an event appended once under a key is in the chain once, however many append it at once and again; verify agrees', async () => {
    const projectId = await newProject('Once');
    const scope = auditScope(projectId);
    const trip = auditEvent({ sub: 'system:brake', role: 'operations' }, 'round.brake_tripped', { roundId: 'rnd-once' });
    const racing = await Promise.all(Array.from({ length: 6 }, () => rawAdapters().audit.appendOnce(scope, 'pause:once:1', trip)));
    expect(racing.filter((e) => e !== undefined).map((e) => e.seq)).toEqual([2]);
    expect(await rawAdapters().audit.appendOnce(scope, 'pause:once:1', trip)).toBeUndefined();
    // Another key is another entry; the keys' markers are no events.
    expect(await rawAdapters().audit.appendOnce(scope, 'pause:once:2', trip)).toMatchObject({ seq: 3 });
    expect((await rawAdapters().audit.list(scope)).map((e) => [e.seq, e.action])).toEqual([
      [1, 'project.created'],
      [2, 'round.brake_tripped'],
      [3, 'round.brake_tripped'],
    ]);
    expect(await verify(projectId)).toMatchObject({ ok: true, events: 3, problems: [] });
  });

  it('an event changed directly in DynamoDB makes verify false', async () => {
    const projectId = await newProject('Tamper');
    await p.as(researcher).post(`/projects/${projectId}/submit`);
    await db.send(
      new UpdateCommand({
        TableName: p.env.TABLE_AUDIT,
        Key: keys.auditEvent(auditScope(projectId), 1),
        UpdateExpression: 'SET actor = :a',
        ExpressionAttributeValues: { ':a': 'someone-else' },
      }),
    );
    const v = await verify(projectId);
    expect(v.ok).toBe(false);
    expect(v.problems).toContainEqual({ seq: 1, code: 'HASH_MISMATCH' });
  });

  it('an event removed from the middle, or from the end, makes verify false', async () => {
    const middle = await newProject('Remove middle');
    await p.as(researcher).post(`/projects/${middle}/submit`);
    await p.as(researcher).post(`/projects/${middle}/members`, { sub: 'res-3' });
    await db.send(new DeleteCommand({ TableName: p.env.TABLE_AUDIT, Key: keys.auditEvent(auditScope(middle), 2) }));
    expect(await verify(middle)).toMatchObject({ ok: false, events: 2 });

    const last = await newProject('Remove last');
    await p.as(researcher).post(`/projects/${last}/submit`);
    await db.send(new DeleteCommand({ TableName: p.env.TABLE_AUDIT, Key: keys.auditEvent(auditScope(last), 2) }));
    const v = await verify(last);
    expect(v.ok).toBe(false);
    expect(v.problems).toContainEqual({ seq: 2, code: 'HEAD_MISMATCH' });
  });

  it('two events swapped (reordered) make verify false', async () => {
    const projectId = await newProject('Reorder');
    await p.as(researcher).post(`/projects/${projectId}/submit`);
    await p.as(researcher).post(`/projects/${projectId}/members`, { sub: 'res-4' });
    const scope = auditScope(projectId);
    const [, second, third] = await rawAdapters().audit.list(scope);
    for (const [e, seq] of [
      [second!, 3],
      [third!, 2],
    ] as const) {
      await db.send(new PutCommand({ TableName: p.env.TABLE_AUDIT, Item: { ...keys.auditEvent(scope, seq), type: 'AUDIT_EVENT', ...e, seq } }));
    }
    expect((await verify(projectId)).ok).toBe(false);
  });
});

describe('sealed heads and npm run audit:verify', () => {
  it('a chain verifies against the heads sealed along it', async () => {
    const projectId = await newProject('Sealed');
    const first = await sealAuditHead(rawAdapters(), projectId, 'round rnd_a completed');
    await p.as(researcher).post(`/projects/${projectId}/submit`);
    await sealAuditHead(rawAdapters(), projectId, 'round rnd_b completed');
    // Sealing the same head again (a retried completion) is harmless.
    await sealAuditHead(rawAdapters(), projectId, 'round rnd_b completed');
    expect(first.events).toBe(1);
    const { status, result } = await cli(['--project', projectId]);
    expect(status).toBe(0);
    expect(result).toMatchObject({ ok: true, chain: projectId, events: 2, sealProblems: [] });
    expect(result!.sealedHeads).toBeGreaterThanOrEqual(2);
  });

  it('detects a rewritten chain that verifies on its own but no longer matches its sealed heads', async () => {
    const projectId = await newProject('Rewritten');
    await p.as(researcher).post(`/projects/${projectId}/submit`);
    await sealAuditHead(rawAdapters(), projectId, 'round rnd_c completed');
    await p.as(researcher).post(`/projects/${projectId}/members`, { sub: 'res-5' });
    const scope = auditScope(projectId);
    const events = await rawAdapters().audit.list(scope);
    await rewriteFrom(scope, events, 2, (e) => ({ ...e, actor: 'forged' }));

    // The chain alone is consistent again, but the head sealed at event 2 no longer matches:
    // the API's verify compares with the latest seal...
    const v = await verify(projectId);
    expect(v).toMatchObject({ ok: false, events: 3, sealed: { events: 2 } });
    expect(v.problems).toEqual([{ seq: 2, code: 'SEALED_HASH_MISMATCH' }]);
    // ...and so does the command, against every sealed head.
    const { status, result } = await cli(['--project', projectId]);
    expect(status).toBe(1);
    expect(result).toMatchObject({ ok: false, sealProblems: [{ events: 2, code: 'SEALED_HASH_MISMATCH' }] });
  });

  it('detects a chain cut back below a sealed head', async () => {
    const projectId = await newProject('Cut');
    await p.as(researcher).post(`/projects/${projectId}/submit`);
    await sealAuditHead(rawAdapters(), projectId, 'round rnd_d completed');
    const scope = auditScope(projectId);
    const [first] = await rawAdapters().audit.list(scope);
    await db.send(new DeleteCommand({ TableName: p.env.TABLE_AUDIT, Key: keys.auditEvent(scope, 2) }));
    await db.send(new PutCommand({ TableName: p.env.TABLE_AUDIT, Item: { ...keys.auditHead(scope), type: 'AUDIT_HEAD', events: 1, head: first!.hash } }));
    const { status, result } = await cli(['--project', projectId]);
    expect(status).toBe(1);
    expect(result!.sealProblems).toEqual([{ events: 2, code: 'SEALED_EVENT_MISSING' }]);
    const v = await verify(projectId);
    expect(v.ok).toBe(false);
    expect(v.problems).toContainEqual({ seq: 2, code: 'SEALED_EVENT_MISSING' });
  });

  it('checks the operations trail too', async () => {
    await rawAdapters().audit.append(OPERATIONS_SCOPE, auditEvent(ops, 'dispatch.halted', { reason: 'test' }));
    await sealAuditHead(rawAdapters(), OPERATIONS_SCOPE, 'daily');
    expect((await cli(['--operations'])).status).toBe(0);
  });

  it('refuses bad arguments with status 2, and runs as the npm script', async () => {
    expect((await cli([])).status).toBe(2);
    expect((await cli(['--project', 'a', '--operations'])).status).toBe(2);
    expect((await cli(['--project', '../x'])).status).toBe(2);
    const projectId = await newProject('Script');
    const run = promisify(execFile);
    const env = { ...process.env, ...p.env };
    const { stdout } = await run('npx', ['tsx', 'bin/audit-verify.ts', '--project', projectId], { env });
    expect(JSON.parse(stdout)).toMatchObject({ ok: true, events: 1 });
  });
});

describe('entries are never overwritten', () => {
  it('an append whose position is taken (a head set back) is refused and leaves the stored event as it was', async () => {
    const projectId = await newProject('No overwrite');
    await p.as(researcher).post(`/projects/${projectId}/submit`);
    const scope = auditScope(projectId);
    const [first, second] = await rawAdapters().audit.list(scope);
    // The head set back to event 1: the next append computes position 2 again.
    await db.send(new PutCommand({ TableName: p.env.TABLE_AUDIT, Item: { ...keys.auditHead(scope), type: 'AUDIT_HEAD', events: 1, head: first!.hash } }));
    await expect(rawAdapters().audit.append(scope, auditEvent(ops, 'test.overwrite'))).rejects.toThrow();
    expect((await rawAdapters().audit.list(scope))[1]).toEqual(second);
  });
});

describe('heads sealed on a schedule (the audit sealer)', () => {
  const sealsOf = async (chain: string) => rawAdapters().auditSeal.sealed(chain);

  it('seals the head of every chain changed since its last run, the operations chain included, and no new seal for an unchanged one', async () => {
    const changed = await newProject('Scheduled');
    const unchanged = await newProject('Unchanged');
    await rawAdapters().audit.append(OPERATIONS_SCOPE, auditEvent(ops, 'dispatch.halted', { reason: 'scheduled seal' }));
    await auditSealer();
    expect((await sealsOf(unchanged)).at(-1)).toMatchObject({ events: 1, reason: 'scheduled' });
    const opsHead = await rawAdapters().audit.head(OPERATIONS_SCOPE);
    expect((await sealsOf(OPERATIONS_SCOPE)).at(-1)).toMatchObject({ events: opsHead.events, head: opsHead.head });

    const before = (await sealsOf(unchanged)).length;
    await p.as(researcher).post(`/projects/${changed}/submit`);
    await auditSealer();
    const head = await rawAdapters().audit.head(auditScope(changed));
    expect((await sealsOf(changed)).at(-1)).toMatchObject({ events: 2, head: head.head, reason: 'scheduled' });
    expect(await sealsOf(unchanged)).toHaveLength(before);
  });

  it('a chain rewritten after the scheduled seal no longer verifies', async () => {
    const projectId = await newProject('Sealed by schedule');
    await p.as(researcher).post(`/projects/${projectId}/submit`);
    await auditSealer();
    const scope = auditScope(projectId);
    await rewriteFrom(scope, await rawAdapters().audit.list(scope), 1, (e) => ({ ...e, actor: 'forged' }));
    const v = await verify(projectId);
    expect(v).toMatchObject({ ok: false, sealed: { events: 2 } });
    expect(v.problems).toEqual([{ seq: 2, code: 'SEALED_HASH_MISMATCH' }]);
  });

  it('a mark of the last run set in the future does not stop sealing', async () => {
    await db.send(new PutCommand({ TableName: p.env.TABLE_AUDIT, Item: { ...keys.auditSealMark(), at: '2999-01-01T00:00:00.000Z' } }));
    const projectId = await newProject('Future mark');
    await auditSealer();
    expect((await sealsOf(projectId)).at(-1)).toMatchObject({ events: 1 });
  });
});
