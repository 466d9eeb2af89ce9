import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Stack, type CfnElement } from 'aws-cdk-lib';
import { accessMatrixTable, withGeneratedMatrix } from '../../lib/access-matrix-doc.js';
import type { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import * as routes from '../../functions/handlers/routes.js';
import { accessMatrix, type Access, type AccessPrincipal } from '../../lib/access-matrix.js';
import { buckets, queues, tables, type QueueId, type TableId } from '../../lib/resources.js';
import { importedLogicalId, INTEGRATIONS, resourcesOf, synth } from './synth.js';
import { INTEGRATION_SECRETS, type IntegrationSecret } from '../../lib/access-matrix.js';

/** The national integrations' secret ARNs of the synthesised stage, by the matrix's names. */
const INTEGRATION_SECRET_ARNS: Record<IntegrationSecret, string> = {
  maskinportenKey: INTEGRATIONS.maskinportenKeySecretArn,
  epromApiKey: INTEGRATIONS.epromApiKeySecretArn,
  epromCallbackKey: INTEGRATIONS.epromCallbackKeySecretArn,
  digipostKey: INTEGRATIONS.digipostKeySecretArn,
};

/**
 * The permission matrix (lib/access-matrix.ts) read back from the synthesised template: for every
 * deployed function, what its role may do on which resource, under which dynamodb:LeadingKeys
 * condition. Two kinds of checks: the template grants exactly what the matrix rows say (no more,
 * no less), and the rules the matrix promises hold for whatever the rows say — shown to be live by
 * running them on a matrix that breaks each rule.
 */

type Grant = { action: string; resource: string; leadingKeys?: string };
type Effective = Map<string, Grant[]>;

const CITIZEN_FACING = ['citizens', 'citizenTasks', 'inbox'] as const;
/** Areas that serve only local stand-ins: no Lambda, so no role to check. */
const LOCAL_ONLY = Object.keys(routes.areas).filter((a) => {
  const own = routes.apiRoutes.filter((r) => r.area === a);
  return own.length > 0 && own.every((r) => r.localOnly);
});
const WRITES = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];
const DLQ_ONLY = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:StartMessageMoveTask', 'sqs:ListMessageMoveTasks'];

/** Logical ids of the stateful stack's resources, named as the checks speak of them. */
const labelsOf = (built: ReturnType<typeof synth>): Map<string, string> => {
  const { data } = built.stacks.stateful;
  const id = (c: { node: { defaultChild?: unknown } }) => Stack.of(built.stacks.stateful).getLogicalId(c.node.defaultChild as CfnElement);
  const labels = new Map<string, string>();
  for (const t of Object.keys(tables) as TableId[]) labels.set(id(data.tables[t]), `table:${t}`);
  for (const q of Object.keys(queues) as QueueId[]) {
    labels.set(id(data.queues[q].queue), `queue:${q}`);
    labels.set(id(data.queues[q].dlq), `dlq:${q}`);
  }
  labels.set(id(data.key), 'key');
  labels.set(id(data.citizenHashKey), 'secret');
  labels.set(id(data.callbackSealKey), 'sealKey');
  return labels;
};

const resourceLabel = (stateful: Template, labels: Map<string, string>, r: unknown): string => {
  if (r === '*') return '*';
  const direct = importedLogicalId(stateful, r);
  if (direct) return labels.get(direct) ?? `stateful:${direct}`;
  const text = JSON.stringify(r);
  const join = (r as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join) {
    const parts = join[1];
    const base = parts.map((p) => importedLogicalId(stateful, p)).find(Boolean);
    const suffix = parts.filter((p): p is string => typeof p === 'string').join('');
    if (base) return `${labels.get(base) ?? base}${suffix}`;
  }
  for (const [name, arn] of Object.entries(INTEGRATION_SECRET_ARNS)) if (r === arn) return `integration:${name}`;
  for (const def of Object.values(buckets)) {
    if (text.includes(`research-dispatch-${def.id.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}-`)) return `bucket:${def.id}/*`;
  }
  return `other:${text}`;
};

/** Function principal (area or consumer:<queue>) → its allowed (action, resource, condition) triples. */
const effectiveGrants = (built: ReturnType<typeof synth>): Effective => {
  const labels = labelsOf(built);
  const roleOf = new Map<string, string>();
  for (const [, p] of resourcesOf(built.stateless, 'AWS::Lambda::Function')) {
    const d = String(p.Description);
    const principal =
      d === 'research-dispatch round watch'
        ? 'roundWatch'
        : d === 'research-dispatch release scheduler'
          ? 'releaseScheduler'
          : d === 'research-dispatch national jobs'
            ? 'nationalJobs'
            : d === 'research-dispatch audit sealer'
              ? 'auditSealer'
              : d.startsWith('research-dispatch API: ')
                ? d.slice('research-dispatch API: '.length)
                : /consumer of the (\w+) queue/.exec(d)
                  ? `consumer:${/consumer of the (\w+) queue/.exec(d)![1]}`
                  : undefined;
    if (principal) roleOf.set((p.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0], principal);
  }
  const out: Effective = new Map([...roleOf.values()].map((p) => [p, []]));
  for (const [, p] of resourcesOf(built.stateless, 'AWS::IAM::Policy')) {
    const principals = (p.Roles as { Ref: string }[]).map((r) => roleOf.get(r.Ref)).filter((x): x is string => !!x);
    const doc = p.PolicyDocument as { Statement: { Effect: string; Action: string | string[]; Resource: unknown; Condition?: Record<string, Record<string, unknown>> }[] };
    const roleIds = (p.Roles as { Ref: string }[]).map((r) => r.Ref);
    for (const s of doc.Statement) {
      expect(s.Effect).toBe('Allow');
      const lk = s.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'];
      for (const action of [s.Action].flat()) {
        for (const resource of [s.Resource].flat()) {
          // A function's own log group (same construct as its role) is the one stateless resource.
          const logsId = (resource as { 'Fn::GetAtt'?: [string] })['Fn::GetAtt']?.[0];
          const ownLogs = !!logsId && roleIds.some((r) => logsId.startsWith(r.replace(/Role[0-9A-F]{8}$/, 'Logs')));
          const g: Grant = { action, resource: ownLogs ? 'own-log-group' : resourceLabel(built.stateful, labels, resource), ...(lk ? { leadingKeys: [lk].flat().sort().join(',') } : {}) };
          for (const pr of principals) out.get(pr)!.push(g);
        }
      }
    }
  }
  return out;
};

const has = (grants: Grant[], action: string, resource: string) => grants.filter((g) => g.action === action && g.resource === resource);

/** A citizen-facing grant on the citizens table: only the person's own partitions, and the own-records move's marker to read. */
const byOwnKeys = (g: { action: string; leadingKeys?: string }): boolean =>
  (g.leadingKeys ?? '').split(',').every((k) => k === 'CIT#*' || k === 'OWN#*' || (k === 'MIGRATION' && ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'].includes(g.action)));

/** The rules the matrix promises (lib/access-matrix.ts, docs/access-matrix.md). */
const violations = (effective: Effective): string[] => {
  const v: string[] = [];
  for (const [fn, grants] of effective) {
    const citizenFacing = (CITIZEN_FACING as readonly string[]).includes(fn);
    for (const g of grants) {
      const at = `${fn}: ${g.action} on ${g.resource}${g.leadingKeys ? ` [${g.leadingKeys}]` : ''}`;
      if (g.resource.startsWith('table:audit') && ['dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:Scan'].includes(g.action)) {
        v.push(`${at}: the audit is append-only`);
      }
      if (g.resource === '*' && g.action.startsWith('dynamodb:')) v.push(`${at}: DynamoDB on "*"`);
      if (citizenFacing) {
        if (g.resource.startsWith('table:main') && WRITES.includes(g.action) && !(g.action === 'dynamodb:PutItem' && g.leadingKeys === 'RESPONSES#*')) {
          v.push(`${at}: citizen-facing functions write no project, approval, round or operations item`);
        }
        if (g.resource.startsWith('table:main') && !g.leadingKeys) v.push(`${at}: citizen-facing main-table access is limited by leading keys`);
        if (g.resource.startsWith('table:audit') && g.action !== 'dynamodb:GetItem' && g.action !== 'dynamodb:Query' && g.action !== 'dynamodb:PutItem') v.push(`${at}: audit beyond append`);
        if (g.resource.startsWith('table:audit') && g.leadingKeys !== 'AUDIT#project:*') v.push(`${at}: citizen-facing audit appends only to project scopes`);
        if (g.resource.startsWith('table:citizens') && !byOwnKeys(g)) v.push(`${at}: citizen records only by their own keys (CIT#, OWN#; the move's marker read only)`);
        if (/^table:(deliveries|recipients)/.test(g.resource)) v.push(`${at}: citizen-facing functions touch no deliveries or recipient lists`);
        if (g.action === 'sqs:SendMessage') v.push(`${at}: citizen-facing functions enqueue nothing`);
      }
      if (g.resource.startsWith('table:deliveries') && g.action === 'dynamodb:UpdateItem' && fn !== 'consumer:dispatch' && fn !== 'operations') {
        v.push(`${at}: only the dispatch worker commits deliveries (operations' redrive excepted)`);
      }
      if (g.resource.startsWith('table:citizens') && g.action === 'dynamodb:DeleteItem' && g.leadingKeys !== 'PVKMIRROR#*') {
        v.push(`${at}: deletes in the citizens table only in the privacy mirror (never a reservation, withdrawal or ledger entry)`);
      }
      if (g.resource.startsWith('dlq:') && fn !== 'operations') v.push(`${at}: only operations works on dead-letter queues`);
      if (g.resource.startsWith('queue:') && DLQ_ONLY.includes(g.action) && !fn.startsWith('consumer:')) v.push(`${at}: only a queue's consumer receives from it`);
      if (g.resource.startsWith('bucket:') && fn !== 'lists') v.push(`${at}: only the lists function touches the list bucket`);
      if (g.resource === 'secret' && ['letters', 'lists', 'inbox'].includes(fn)) v.push(`${at}: makes no keyed hash, needs no hash key`);
    }
  }
  return v;
};

/** What the rows say, as the same triples (independent of how data-access.ts builds statements). */
const expectedTableGrants = (fn: string, access: Access): string[] =>
  Object.entries(access.tables).flatMap(([table, grants]) =>
    grants.flatMap((g) =>
      g.actions.flatMap((a) => {
        const lk = g.leadingKeys ? ` [${[...g.leadingKeys].sort().join(',')}]` : '';
        const onIndexes = g.indexes ? tables[table as TableId].indexes.map((ix) => `dynamodb:${a} on table:${table}/index/${ix.name}${lk}`) : [];
        return [`dynamodb:${a} on table:${table}${lk}`, ...onIndexes];
      }),
    ),
  );

const built = synth();
const effective = effectiveGrants(built);

describe('the access matrix on the synthesised template', () => {
  it('has a row for every deployed function and a function for every row that deploys one', () => {
    const deployed = [...effective.keys()].sort();
    for (const fn of deployed) expect(accessMatrix, fn).toHaveProperty(fn);
    const rows = Object.keys(accessMatrix).filter((r) => !LOCAL_ONLY.includes(r));
    expect(rows.sort()).toEqual(deployed);
  });

  it.each(Object.keys(accessMatrix).filter((r) => !LOCAL_ONLY.includes(r)))('grants %s exactly its DynamoDB row, with its leading-key conditions', (fn) => {
    const got = effective
      .get(fn)!
      .filter((g) => g.action.startsWith('dynamodb:'))
      .map((g) => `${g.action} on ${g.resource}${g.leadingKeys ? ` [${g.leadingKeys}]` : ''}`);
    expect(new Set(got)).toEqual(new Set(expectedTableGrants(fn, accessMatrix[fn as AccessPrincipal])));
  });

  it.each(Object.keys(accessMatrix).filter((r) => !LOCAL_ONLY.includes(r)))('grants %s its queues, dead letters, bucket and hash key as the row says, nothing more', (fn) => {
    const row = accessMatrix[fn as AccessPrincipal];
    const grants = effective.get(fn)!;
    for (const q of Object.keys(queues) as QueueId[]) {
      expect(has(grants, 'sqs:SendMessage', `queue:${q}`).length > 0, `${fn} send ${q}`).toBe(!!row.queues[q]?.send);
      expect(has(grants, 'sqs:ReceiveMessage', `dlq:${q}`).length > 0, `${fn} dlq ${q}`).toBe(!!row.queues[q]?.deadLetters);
    }
    const objects = grants.filter((g) => g.resource.startsWith('bucket:')).map((g) => g.action.replace('s3:', ''));
    expect(new Set(objects)).toEqual(new Set(row.buckets.recipientLists ?? []));
    expect(has(grants, 'secretsmanager:GetSecretValue', 'secret').length > 0).toBe(row.hashKey);
    const env = resourcesOf(built.stateless, 'AWS::Lambda::Function').find(([, p]) =>
      fn === 'roundWatch'
        ? p.Description === 'research-dispatch round watch'
        : fn === 'releaseScheduler'
          ? p.Description === 'research-dispatch release scheduler'
          : fn === 'nationalJobs'
            ? p.Description === 'research-dispatch national jobs'
            : fn === 'auditSealer'
              ? p.Description === 'research-dispatch audit sealer'
              : String(p.Description).endsWith(fn.startsWith('consumer:') ? `the ${fn.slice(9)} queue` : `API: ${fn}`),
    )![1];
    const vars = (env.Environment as { Variables: Record<string, unknown> }).Variables;
    // Its ARN makes the middleware fetch the secret: present exactly where reading it is allowed.
    expect('CITIZEN_HASH_KEY_SECRET_ARN' in vars, `${fn} secret ARN`).toBe(row.hashKey);
    // The callback seal key likewise: its grant and its ARN exactly where the row says (issue 24 #6).
    expect(has(grants, 'secretsmanager:GetSecretValue', 'sealKey').length > 0, `${fn} callback seal key`).toBe(!!row.callbackSealKey);
    expect('CALLBACK_SEAL_KEY_SECRET_ARN' in vars, `${fn} callback seal key ARN`).toBe(!!row.callbackSealKey);
    // Nothing grants on "*" but X-Ray (which has no resource-level permissions).
    for (const g of grants.filter((x) => x.resource === '*')) expect(g.action, fn).toMatch(/^xray:/);
    // Beyond the stacks' own resources only two kinds of grant: writing sealed audit heads (the
    // row's `seals`) and reading the national integrations' secrets, configured ARNs (i13).
    const SEAL = ['s3:PutObject', 's3:PutObjectRetention'];
    const READ_SEALS = ['s3:GetObject', 's3:ListBucket'];
    for (const g of grants) {
      expect(g.resource, `${fn} ${g.action}`).not.toMatch(/^stateful:/);
      if (!g.resource.startsWith('other:')) continue;
      expect([...SEAL, ...READ_SEALS], `${fn} ${g.action} on ${g.resource}`).toContain(g.action);
      if (SEAL.includes(g.action)) expect(row.seals, `${fn} seals audit heads`).toBe(true);
      else expect(row.readSeals, `${fn} reads sealed heads`).toBe(true);
    }
    // Each national-integration secret exactly where the row names it (least privilege: the
    // public callbacks function holds the callback key and nothing else).
    const secrets = new Set(grants.filter((g) => g.action === 'secretsmanager:GetSecretValue' && g.resource.startsWith('integration:')).map((g) => g.resource.slice('integration:'.length)));
    expect(secrets, `${fn} integration secrets`).toEqual(new Set(row.integrationSecrets));
    if (row.seals)
      expect(
        grants.some((g) => g.action === 's3:PutObject' && g.resource.startsWith('other:')),
        `${fn} may seal`,
      ).toBe(true);
  });

  it('gives the functions that read registry facts the secrets they read, and the public callbacks only the callback key and the ePROM key (to confirm a removal)', () => {
    for (const fn of ['rounds', 'roundPreview', 'consumer:dispatch'] as const) {
      expect(accessMatrix[fn].integrationSecrets, fn).toEqual(expect.arrayContaining(['maskinportenKey', 'epromApiKey']));
      // A stale privacy mirror is refreshed inline: its own partitions are writable.
      expect(
        has(effective.get(fn)!, 'dynamodb:PutItem', 'table:citizens').some((g) => !g.leadingKeys || g.leadingKeys.includes('PVKMIRROR#*')),
        fn,
      ).toBe(true);
    }
    expect([...accessMatrix.callbacks.integrationSecrets].sort()).toEqual(['epromApiKey', 'epromCallbackKey']);
    // Sealing and opening callback secrets: the form-task functions only.
    expect(
      Object.entries(accessMatrix)
        .filter(([, row]) => row.callbackSealKey)
        .map(([fn]) => fn)
        .sort(),
    ).toEqual(['formCallbacks', 'formTasks']);
    expect(Object.keys(accessMatrix.formCallbacks.tables)).toContain('audit');
    const callbacks = effective.get('callbacks')!.filter((g) => WRITES.includes(g.action));
    // Writes only in receipts (parked ones included) and the privacy mirror: never halt state, approvals or citizens' records.
    for (const g of callbacks)
      for (const k of (g.leadingKeys ?? '').split(','))
        expect(k, `${g.action} on ${g.resource}`).toMatch(/^(RECEIPT#\*|RECEIPTREF#\*|RECEIPTCOUNT#\*|RECEIPTPARK#\*|RECEIPTPOLL|RECEIPTPOLL#\*|PVKMIRROR#\*)$/);
    expect(callbacks.some((g) => g.resource === 'table:citizens' && g.action === 'dynamodb:PutItem' && g.leadingKeys === 'PVKMIRROR#*')).toBe(true);
    for (const s of INTEGRATION_SECRETS)
      expect(
        Object.values(accessMatrix).some((row) => row.integrationSecrets.includes(s)),
        `${s} is read somewhere`,
      ).toBe(true);
  });

  it('keeps every rule of the matrix (citizen-facing, audit, deliveries, DLQs, bucket, hash key)', () => {
    expect(violations(effective)).toEqual([]);
  });

  it('the rules are live: a matrix that breaks each of them is caught', () => {
    const bad: Record<string, Access> = {
      ...accessMatrix,
      citizens: { ...accessMatrix.citizens, tables: { main: [{ actions: ['PutItem'], leadingKeys: ['PROJECT#*'] }], deliveries: [{ actions: ['GetItem'] }] } },
      letters: { ...accessMatrix.letters, hashKey: true, tables: { audit: [{ actions: ['UpdateItem', 'DeleteItem'] }] } },
      rounds: { ...accessMatrix.rounds, tables: { deliveries: [{ actions: ['UpdateItem'] }] }, queues: { dispatch: { deadLetters: true } } },
      formTasks: { ...accessMatrix.formTasks, buckets: { recipientLists: ['GetObject'] } },
      'consumer:dispatch': { ...accessMatrix['consumer:dispatch'], tables: { citizens: [{ actions: ['GetItem', 'DeleteItem'] }] } },
    };
    const broken = effectiveGrants(synth(routingWith(bad)));
    const found = violations(broken).join('\n');
    for (const rule of [
      'citizens: dynamodb:PutItem on table:main [PROJECT#*]: citizen-facing functions write no project',
      'citizens: dynamodb:GetItem on table:deliveries: citizen-facing functions touch no deliveries',
      'letters: dynamodb:UpdateItem on table:audit: the audit is append-only',
      'letters: dynamodb:DeleteItem on table:audit: the audit is append-only',
      'letters: secretsmanager:GetSecretValue on secret: makes no keyed hash',
      'rounds: dynamodb:UpdateItem on table:deliveries: only the dispatch worker commits deliveries',
      'rounds: sqs:ReceiveMessage on dlq:dispatch: only operations works on dead-letter queues',
      'formTasks: s3:GetObject on bucket:recipientLists/*: only the lists function',
      'consumer:dispatch: dynamodb:DeleteItem on table:citizens: deletes in the citizens table only in the privacy mirror',
    ]) {
      expect(found).toContain(rule);
    }
  });

  it('docs/access-matrix.md holds the matrix as generated from the rows (npm run docs:access-matrix), not a hand copy', () => {
    const doc = readFileSync(join(import.meta.dirname, '../../docs/access-matrix.md'), 'utf8');
    expect(doc).toBe(withGeneratedMatrix(doc, accessMatrix));
    expect(doc).toContain(accessMatrixTable(accessMatrix));
  });

  it('no statement in either stack lets anyone update, delete or batch-write the audit table', () => {
    const auditId = Stack.of(built.stacks.stateful).getLogicalId(built.stacks.stateful.data.tables.audit.node.defaultChild as CfnElement);
    for (const t of [built.stateful, built.stateless]) {
      for (const [, p] of [...resourcesOf(t, 'AWS::IAM::Policy'), ...resourcesOf(t, 'AWS::IAM::ManagedPolicy')]) {
        for (const s of (p.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] }).Statement) {
          const onAudit = [s.Resource].flat().some((r) => r === '*' || JSON.stringify(r).includes(auditId) || importedLogicalId(built.stateful, r) === auditId);
          if (!onAudit) continue;
          for (const a of [s.Action].flat()) expect(['dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:*', '*']).not.toContain(a);
        }
      }
    }
  });
});

/** The real routes with a different matrix. */
const routingWith = (access: Record<string, Access>) => ({ areas: routes.areas, apiRoutes: routes.apiRoutes, queueConsumers: routes.queueConsumers, access });
