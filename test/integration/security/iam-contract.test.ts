import { readFileSync } from 'node:fs';
import type { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { BatchWriteCommand, DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../../functions/adapters/dynamo/keys.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawAdapters } from '../../../functions/adapters/index.js';
import { signCallback } from '../../../functions/domain/letters/form-callbacks.js';
import { createTaskForDelivery } from '../../../functions/domain/letters/form-tasks.js';
import { handler as nationalJobs } from '../../../functions/handlers/national-jobs/index.js';
import { handler as roundWatch } from '../../../functions/handlers/round-watch/index.js';
import { handler as auditSealer } from '../../../functions/handlers/audit-sealer/index.js';
import { dynamo, s3, sqs } from '../../../functions/shared/clients.js';
import { noteSecretRead } from '../../../functions/shared/secret-reads.js';
import { accessMatrix } from '../../../lib/access-matrix.js';
import { geoStackName } from '../../../bin/build-app.js';
import { GEO_DEFAULTS } from '../../../lib/georedundancy.js';
import { physicalName, tables } from '../../../lib/resources.js';
import { resourcesOf, synth } from '../../infra/synth.js';
import { apiRoutes, areas } from '../../../functions/handlers/routes.js';
import { recordAwsCalls, resourceNames, runAs, unusedGrants, violations, type Recorder } from '../../../local/aws-call-recorder.js';
import { request, startTestPlatform, type TestPlatform } from '../../setup/platform.js';
import { ninBornOn } from '../../fixtures/people.js';
import { completeChecklist } from '../checklist.js';
import { approvedProject, createRound, roundOf, syntheticNins, uploadList, waitFor } from '../dispatch/flow.js';

/**
 * The IAM contract (issue 24): every DynamoDB, SQS, S3 and secret call the code makes, recorded per
 * function identity while the use cases of every deployed function run on the local platform,
 * must be allowed by that function's row of lib/access-matrix.ts. DynamoDB Local enforces no IAM,
 * so this is where "the role lacks the grant" (500 or 503 on AWS only) shows up.
 */
/** Secrets a row grants that this flow does not read, each with the path that does. */
const SECRETS_UNREAD_HERE: Record<string, string> = {
  'nationalJobs secret digipostKey': 'polls Digipost for receipts of hand-overs awaiting one; none here',
};

const LOCAL_ONLY = Object.keys(areas).filter((a) => apiRoutes.filter((r) => r.area === a).every((r) => r.localOnly));

let p: TestPlatform;
let recorder: Recorder;
beforeAll(async () => {
  p = await startTestPlatform();
  recorder = recordAwsCalls({ dynamo: dynamo(), sqs: sqs(), s3: s3() });
});
afterAll(async () => {
  recorder?.stop();
  await p?.stop();
});

describe('the IAM contract: the code’s own calls against the access matrix', () => {
  it('should allow every call each function makes in its use cases, by its own row', { timeout: 240_000 }, async () => {
    const a = await approvedProject(p, 'iam-contract');
    const nins = syntheticNins(12, 640_000);
    // Two who do not use the portal: their letters go on paper through Digipost.
    expect((await a.operations.put('/registry/population', { nins: nins.slice(10, 12), digitallyActive: false })).status).toBe(200);
    const listId = await uploadList(a, nins);
    const round = await createRound(a, listId);
    expect((await a.researcher.get(`/projects/${a.projectId}/rounds/${round.roundId}/preview?count=2`)).status).toBe(200);
    const released = await a.researcher.post(`/projects/${a.projectId}/rounds/${round.roundId}/release`);
    expect(released.status, released.text).toBe(202);
    await waitFor(
      () => roundOf(a, round.roundId),
      (r) => r.status === 'completed',
      120_000,
      250,
    );
    expect((await a.researcher.get(`/projects/${a.projectId}/rounds/${round.roundId}/report`)).status).toBe(200);
    expect((await a.researcher.get(`/projects/${a.projectId}/rounds/${round.roundId}/report?format=csv`)).status).toBe(200);
    expect((await a.researcher.get(`/projects/${a.projectId}/audit/verify`)).status).toBe(200);

    // A second round released for a time: the scheduler releases it; a third is cancelled.
    const later = await createRound(a, await uploadList(a, syntheticNins(4, 641_000)), { onlyNonResponders: false });
    expect((await a.researcher.post(`/projects/${a.projectId}/rounds/${later.roundId}/release`, { at: new Date(Date.now() + 2_000).toISOString() })).status).toBe(202);
    await waitFor(
      () => roundOf(a, later.roundId),
      (r) => r.status === 'completed',
      120_000,
      250,
    );
    const third = await createRound(a, await uploadList(a, syntheticNins(2, 642_000)));
    expect((await a.researcher.post(`/projects/${a.projectId}/rounds/${third.roundId}/cancel`)).status).toBe(200);
    // A round over a list above the inline limit: prepared in chunks by the prepare consumer (issue 22).
    const national = await createRound(a, await uploadList(a, syntheticNins(5_001, 650_000)));
    expect(national.preflight.total).toBe(5_001);
    // A test send, a presigned upload.
    expect((await a.researcher.post(`/projects/${a.projectId}/letters/${a.letterId}/test-send`, { nins: syntheticNins(1, 643_000) })).status).toBe(202);
    const url = await a.researcher.post(`/projects/${a.projectId}/recipient-lists/upload-url`);
    expect(url.status).toBe(201);
    expect((await fetch(url.body.uploadUrl, { method: 'PUT', body: `nin\r\n${syntheticNins(2, 644_000).join('\r\n')}\r\n` })).status).toBe(200);
    expect((await a.researcher.post(`/projects/${a.projectId}/recipient-lists`, { objectKey: url.body.objectKey })).status).toBe(201);

    // Operations: status, statistics, the complaint lookup, halt and resume, pause and resume.
    expect((await a.operations.get('/operations/status')).status).toBe(200);
    expect((await a.operations.get('/operations/statistics?from=2026-01&to=2026-12')).status).toBe(200);
    expect((await a.operations.post('/operations/contacts/lookup', { nin: nins[0] })).status).toBe(200);
    expect((await a.operations.post('/operations/halt', { reason: 'Kontroll av IAM: alt stanses' })).status).toBe(200);
    expect((await a.operations.post('/operations/resume')).status).toBe(200);
    expect((await a.operations.post(`/projects/${a.projectId}/pause`, { reason: 'Kontroll av IAM' })).status).toBe(200);
    expect((await a.operations.post(`/projects/${a.projectId}/resume`)).status).toBe(200);

    // Citizens: the reservation, a withdrawal, their tasks.
    const citizen = p.as({ sub: nins[1]!, role: 'citizen' });
    expect((await citizen.put('/citizen/reservations/research')).status).toBe(200);
    expect((await citizen.post(`/citizen/projects/${a.projectId}/withdraw`)).status).toBeLessThan(300);
    expect((await citizen.get('/citizen/tasks')).status).toBe(200);

    // An external form task (its callback secret) and the form system's signed callback.
    const project = await a.researcher.post('/projects', { title: 'Skjema', organization: 'iam-contract', allowedLinkDomains: ['skjema.example.org'] });
    const created = await a.researcher.post(`/projects/${project.body.projectId}/form-tasks`, { title: 'Skjema', form: { type: 'external', url: 'https://skjema.example.org/s/1' } });
    expect(created.status, created.text).toBe(201);
    const task = await createTaskForDelivery(rawAdapters(), {
      nin: nins[2]!,
      projectId: project.body.projectId,
      formTaskId: created.body.formTaskId,
      deliveryId: 'dlv_iam',
      language: 'nb',
      now: new Date().toISOString(),
    });
    const raw = JSON.stringify({ token: task.task.token, status: 'completed', at: new Date().toISOString() });
    const cb = await request(`${p.url}/form-callbacks/${created.body.formTaskId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-signature': signCallback(created.body.callbackSecret, raw) },
      body: raw,
    });
    expect(cb.status, cb.text).toBe(204);

    // An internal form task answered by a citizen (the pseudonymous response), and the researcher reading the responses.
    const internal = await a.researcher.post(`/projects/${project.body.projectId}/form-tasks`, {
      title: 'Intern',
      form: { type: 'internal', questions: [{ id: 'q', text: { nb: 'Hvordan har du det?' }, type: 'text', required: true }] },
    });
    expect(internal.status, internal.text).toBe(201);
    await createTaskForDelivery(rawAdapters(), {
      nin: nins[4]!,
      projectId: project.body.projectId,
      formTaskId: internal.body.formTaskId,
      deliveryId: 'dlv_iam2',
      language: 'nb',
      now: new Date().toISOString(),
    });
    const answered = await p.as({ sub: nins[4]!, role: 'citizen' }).post(`/citizen/tasks/${internal.body.formTaskId}/answers`, { answers: { q: 'Bra' } });
    expect(answered.status, answered.text).toBeLessThan(300);
    expect((await a.researcher.get(`/projects/${project.body.projectId}/form-tasks/${internal.body.formTaskId}/responses`)).status).toBe(200);
    // Operations' redrive of a round with nothing failed.
    expect((await a.operations.post('/operations/redrive', { roundId: round.roundId })).status).toBe(200);

    // The privacy component's callback (ePROM's receipts came in by themselves during the round).
    const key = readFileSync(p.env.EPROM_CALLBACK_KEY_FILE!, 'utf8');
    for (const status of ['RES', 'IRES']) {
      const res = await fetch(`${p.url}/api/PersonvernInnstilling`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', authorization: `Basic ${key}` },
        body: JSON.stringify({ nationalId: nins[3], id: 'local-research-reservation', name: 'Reservasjon', status }),
      });
      expect(res.status).toBe(200);
    }

    // The scheduled functions, as EventBridge would call them.
    await runAs('nationalJobs', () => nationalJobs());
    await runAs('roundWatch', () => roundWatch());
    await runAs('auditSealer', () => auditSealer());

    const names = resourceNames(p.env);
    // The local stand-ins (registry seeding, the inbox) have no Lambda and no role to check.
    const deployed = recorder.calls.filter((c) => !LOCAL_ONLY.includes(c.fn));
    expect(violations(deployed, accessMatrix, names)).toEqual([]);
    // Nothing the matrix grants of a secret goes unread here without a written reason.
    const unused = unusedGrants(deployed, accessMatrix, names);
    if (process.env.PRINT_UNUSED) console.log(JSON.stringify(unused, null, 1));
    expect(unused.filter((g) => g.includes(' secret ') && !(g in SECRETS_UNREAD_HERE))).toEqual([]);
    for (const g of Object.keys(SECRETS_UNREAD_HERE)) expect(unused, `${g} is read now: drop its reason`).toContain(g);
    // It did record the functions it claims to check, each by its own identity.
    const seen = new Set(deployed.map((c) => c.fn));
    for (const fn of [
      'projects',
      'letters',
      'lists',
      'rounds',
      'roundPreview',
      'dispatch',
      'consumer:dispatch',
      'releaseScheduler',
      'operations',
      'statistics',
      'citizens',
      'citizenTasks',
      'formTasks',
      'formCallbacks',
      'callbacks',
      'nationalJobs',
      'roundWatch',
      'auditSealer',
    ]) {
      expect(seen, fn).toContain(fn);
    }
    expect(recorder.calls.some((c) => c.fn === 'lists' && c.service === 's3')).toBe(true);

    // Georedundancy (issue 25): MRSC global tables refuse TransactWriteItems/TransactGetItems
    // (docs/georedundancy.md), so no table the code transacts on may be MRSC in the georedundant
    // synth: the tables transacted on come from the recorded calls, the MRSC ones from the template.
    const transacted = new Set(deployed.flatMap((c) => (c.service === 'dynamodb' && c.transaction ? [names.tables.get(c.table) ?? c.table] : [])));
    expect(transacted, 'the flow records the transactions of release and dispatch').toContain('main');
    const geo = synth(undefined, { georedundant: 'true', account: '111111111111', stage: 'prod' });
    const home = geo.app.node.findChild(geoStackName('Stateful', GEO_DEFAULTS.homeRegion)) as Stack;
    const globals = resourcesOf(Template.fromStack(home), 'AWS::DynamoDB::GlobalTable');
    const mrsc = Object.values(tables).filter((def) => globals.some(([, g]) => g.TableName === physicalName('prod', def.id) && g.MultiRegionConsistency === 'STRONG'));
    expect(globals.length, 'the georedundant synth has a global table per table').toBe(Object.keys(tables).length);
    expect(
      mrsc.filter((def) => transacted.has(def.id)).map((def) => def.id),
      'MRSC tables the code transacts on',
    ).toEqual([]);
    const secrets = (fn: string) => new Set(recorder.calls.filter((c) => c.fn === fn && c.service === 'secret').map((c) => (c as { secret: string }).secret));
    expect(secrets('rounds').has('maskinportenKey')).toBe(true);
    // No integration secret beyond its own two; the hash key because the privacy mirror is keyed by keyed hash (issue 24 #5).
    expect([...secrets('callbacks')].sort()).toEqual(['citizenHashKey', 'epromApiKey', 'epromCallbackKey']);
  });

  it('should allow the calls of a guardians round (minors policy, guardian letters) by each function’s row', { timeout: 180_000 }, async () => {
    const live = recordAwsCalls({ dynamo: dynamo(), sqs: sqs(), s3: s3() });
    try {
      const org = 'iam-minors';
      const researcher = p.as({ sub: `researcher@${org}`, role: 'researcher', org });
      const setter = p.as({ sub: `superuser1@${org}`, role: 'superuser', org });
      const approver = p.as({ sub: `superuser2@${org}`, role: 'superuser', org });
      const projectId = (await researcher.post('/projects', { title: 'Barn og IAM', organization: org })).body.projectId as string;
      expect((await setter.put(`/projects/${projectId}/settings`, { minors: 'guardians' })).status).toBe(200);
      const letter = await researcher.post(`/projects/${projectId}/letters`, {
        title: 'Invitasjon',
        kind: 'letter',
        content: { nb: { subject: 'Invitasjon', body: 'Vi inviterer barnet ditt til å delta.' } },
      });
      expect(letter.status, letter.text).toBe(201);
      expect((await researcher.post(`/projects/${projectId}/submit`)).status).toBe(200);
      expect((await approver.post(`/projects/${projectId}/approve`, { comment: 'Godkjent', checklist: await completeChecklist(approver, projectId) })).status).toBe(200);
      const today = new Date();
      const child = ninBornOn(new Date(Date.UTC(today.getUTCFullYear() - 9, today.getUTCMonth(), today.getUTCDate() - 10)).toISOString().slice(0, 10), 7);
      const [mother, father] = syntheticNins(2, 646_000);
      expect((await p.as({ sub: 'operations@nhn', role: 'operations' }).put('/registry/population', { nins: [child], guardians: [mother, father] })).status).toBe(200);
      const list = await researcher.post(`/projects/${projectId}/recipient-lists`, { recipients: [{ nin: child }, { nin: syntheticNins(1, 647_000)[0] }] });
      expect(list.status, list.text).toBe(201);
      const round = await researcher.post(`/projects/${projectId}/rounds`, { letterId: letter.body.letterId, listId: list.body.listId });
      expect(round.status, round.text).toBe(201);
      expect((await researcher.post(`/projects/${projectId}/rounds/${round.body.roundId}/release`)).status).toBe(202);
      const done = await waitFor(
        () => roundOf({ projectId, researcher } as Parameters<typeof roundOf>[0], round.body.roundId),
        (r) => r.status === 'completed',
        120_000,
        250,
      );
      expect(done.counts).toMatchObject({ planned: 2, sent: 2 });
    } finally {
      live.stop();
    }
    const deployed = live.calls.filter((c) => !LOCAL_ONLY.includes(c.fn));
    expect(violations(deployed, accessMatrix, resourceNames(p.env))).toEqual([]);
    // The guardian letters' delivery ids are keyed hashes: the worker reads the key here.
    expect(deployed.some((c) => c.fn === 'consumer:dispatch' && c.service === 'secret' && c.secret === 'citizenHashKey')).toBe(true);
  });

  it('test_should_refuse_the_dispatch_worker_any_write_of_a_citizens_own_reservation_or_withdrawal_while_it_writes_their_ledger', async () => {
    const live = recordAwsCalls({ dynamo: dynamo(), sqs: sqs(), s3: s3() });
    const nin = 'iam-probe';
    try {
      await runAs('consumer:dispatch', async () => {
        // What the worker writes: a ledger entry under the citizen's key (allowed) ...
        await dynamo().send(new PutCommand({ TableName: p.env.TABLE_CITIZENS!, Item: { pk: `CIT#${nin}`, sk: 'LEDGER#prj#rnd' } }));
        // ... and what it may never write, in every way it has: the citizen's own choices.
        await dynamo().send(new PutCommand({ TableName: p.env.TABLE_CITIZENS!, Item: { ...keys.ownSettings(nin), reserved: false } }));
        await dynamo().send(
          new UpdateCommand({ TableName: p.env.TABLE_CITIZENS!, Key: keys.ownSettings(nin), UpdateExpression: 'DELETE withdrawnFrom :p', ExpressionAttributeValues: { ':p': new Set(['prj']) } }),
        );
        await dynamo().send(new BatchWriteCommand({ RequestItems: { [p.env.TABLE_CITIZENS!]: [{ PutRequest: { Item: { ...keys.ownWithdrawal(nin, 'prj') } } }] } }));
      });
      // The citizens function writes them; it writes nothing else of the citizen's.
      await runAs('citizens', () => dynamo().send(new PutCommand({ TableName: p.env.TABLE_CITIZENS!, Item: { ...keys.ownSettings(nin), reserved: true } })));
      await runAs('citizens', () => dynamo().send(new PutCommand({ TableName: p.env.TABLE_CITIZENS!, Item: { pk: `CIT#${nin}`, sk: 'LEDGER#prj#rnd' } })));
    } finally {
      live.stop();
    }
    expect(violations(live.calls, accessMatrix, resourceNames(p.env))).toEqual([
      'citizens: dynamodb:PutItem on citizens [CIT#…]',
      'consumer:dispatch: dynamodb:BatchWriteItem on citizens [OWN#…]',
      'consumer:dispatch: dynamodb:PutItem on citizens [OWN#…]',
      'consumer:dispatch: dynamodb:UpdateItem on citizens [OWN#…]',
    ]);
  });

  it('should catch a call outside the caller’s row (the recorder and the check are live)', async () => {
    const live = recordAwsCalls({ dynamo: dynamo(), sqs: sqs(), s3: s3() });
    try {
      // The inbox stand-in writing a project item, the statistics function reading the hash key.
      await runAs('inbox', () => dynamo().send(new PutCommand({ TableName: p.env.TABLE_MAIN!, Item: { pk: 'PROJECT#iam-probe', sk: 'X' } })));
      runAs('statistics', () => noteSecretRead('citizenHashKey'));
      // The dispatch worker deleting a citizen's own record (a reservation): only the mirror is its to delete (issue 24 #5).
      await runAs('consumer:dispatch', () => dynamo().send(new DeleteCommand({ TableName: p.env.TABLE_CITIZENS!, Key: { pk: 'CIT#iam-probe', sk: 'RESERVATION' } })));
      await runAs('consumer:dispatch', () => dynamo().send(new DeleteCommand({ TableName: p.env.TABLE_CITIZENS!, Key: { pk: 'PVKMIRROR#iam-probe', sk: 'HASH#v1:x' } })));
      runAs('callbacks', () => noteSecretRead('maskinportenKey'));
      // Outside any function (test set-up): not a function's call.
      await dynamo().send(new PutCommand({ TableName: p.env.TABLE_MAIN!, Item: { pk: 'PROJECT#iam-probe', sk: 'Y' } }));
    } finally {
      live.stop();
    }
    expect(violations(live.calls, accessMatrix, resourceNames(p.env))).toEqual([
      'callbacks: secret maskinportenKey',
      'consumer:dispatch: dynamodb:DeleteItem on citizens [CIT#…]',
      'inbox: dynamodb:PutItem on main [PROJECT#…]',
      'statistics: secret citizenHashKey',
    ]);
  });
});
