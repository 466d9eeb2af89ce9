import { Match, type Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { apiRoutes, queueConsumers, routeKey } from '../../functions/handlers/routes.js';
import { dlqEnvVar } from '../../lib/constructs/data-access.js';
import { buckets, queues, tables, type QueueId } from '../../lib/resources.js';
import { HEALTH_ENTRY } from '../../lib/stateless-stack.js';
import { AUDIENCE, ISSUER, dlqIds, importedLogicalId, resourcesOf, synth } from './synth.js';

const real = synth();

/** Every queue consumed (the health handler stands in: bundling is skipped), plus a local-only route. */
const fixture = synth({
  areas: { alpha: HEALTH_ENTRY, beta: HEALTH_ENTRY, standIn: HEALTH_ENTRY },
  apiRoutes: [
    { method: 'GET', path: '/alpha', area: 'alpha' },
    { method: 'POST', path: '/alpha/{id}', area: 'alpha' },
    { method: 'DELETE', path: '/beta', area: 'beta' },
    { method: 'PUT', path: '/registry/population', area: 'standIn', localOnly: true },
  ],
  queueConsumers: Object.fromEntries(Object.keys(queues).map((id) => [id, HEALTH_ENTRY])) as Record<QueueId, string>,
});

const routesOf = (t: Template) => resourcesOf(t, 'AWS::ApiGatewayV2::Route').map(([, p]) => p);
const authorizerId = (t: Template): string => {
  const authorizers = resourcesOf(t, 'AWS::ApiGatewayV2::Authorizer');
  expect(authorizers).toHaveLength(1);
  return authorizers[0]![0];
};

describe('HTTP API', () => {
  it('has one route per non-local-only entry of apiRoutes, plus GET /health', () => {
    const deployed = apiRoutes.filter((r) => !r.localOnly);
    const keys = routesOf(real.stateless).map((p) => p.RouteKey);
    expect(keys).toHaveLength(deployed.length + 1);
    expect(new Set(keys)).toEqual(new Set([...deployed.map(routeKey), 'GET /health']));
  });

  it('leaves local-only routes out of the deployed API', () => {
    const keys = routesOf(fixture.stateless).map((p) => p.RouteKey);
    expect(keys.sort()).toEqual(['DELETE /beta', 'GET /alpha', 'GET /health', 'POST /alpha/{id}']);
    expect(keys.some((k) => String(k).startsWith('PUT /registry'))).toBe(false);
  });

  it('has no Lambda for an area that serves only local-only routes', () => {
    const descriptions = resourcesOf(fixture.stateless, 'AWS::Lambda::Function').map(([, p]) => p.Description);
    expect(descriptions).not.toContain('research-dispatch API: standIn');
    expect(descriptions).toContain('research-dispatch API: alpha');
  });

  it.each([
    ['the real routes', real.stateless],
    ['the fixture routes', fixture.stateless],
  ])('puts the JWT authorizer on every route except GET /health (%s)', (_, t) => {
    const id = authorizerId(t);
    for (const p of routesOf(t)) {
      // GET /health and the national services' callbacks (authenticated by API key in the handler).
      if (p.RouteKey === 'GET /health' || apiRoutes.some((r) => r.callback && routeKey(r) === p.RouteKey)) {
        expect(p.AuthorizationType ?? 'NONE').toBe('NONE');
        expect(p.AuthorizerId).toBeUndefined();
      } else {
        expect(p.AuthorizationType, String(p.RouteKey)).toBe('JWT');
        expect(p.AuthorizerId, String(p.RouteKey)).toEqual({ Ref: id });
      }
    }
  });

  it('takes the authorizer issuer and audience from context', () => {
    real.stateless.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: { Issuer: ISSUER, Audience: [AUDIENCE] },
    });
  });

  it('logs access on the $default stage and throttles it', () => {
    real.stateless.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
      DefaultRouteSettings: Match.objectLike({ ThrottlingRateLimit: Match.anyValue(), ThrottlingBurstLimit: Match.anyValue() }),
    });
  });
});

describe('Lambdas', () => {
  it('run nodejs22.x on arm64 with active tracing, JSON logs and a log group with retention', () => {
    const fns = resourcesOf(real.stateless, 'AWS::Lambda::Function');
    expect(fns.length).toBeGreaterThan(1);
    for (const [id, p] of fns) {
      expect(p.Runtime, id).toBe('nodejs22.x');
      expect(p.Architectures, id).toEqual(['arm64']);
      expect(p.TracingConfig, id).toEqual({ Mode: 'Active' });
      expect(p.LoggingConfig, id).toMatchObject({ LogFormat: 'JSON', LogGroup: { Ref: expect.any(String) } });
    }
    for (const [, p] of resourcesOf(real.stateless, 'AWS::Logs::LogGroup')) expect(p.RetentionInDays).toBeGreaterThan(0);
  });

  it('give every API and consumer Lambda the env vars of every table, queue, DLQ and bucket, and the hash-key secret ARN', () => {
    const expected = [
      ...Object.values(tables).map((d) => d.envVar),
      ...Object.values(queues).flatMap((d) => [d.envVar, dlqEnvVar(d.envVar)]),
      ...Object.values(buckets).map((d) => d.envVar),
      'CITIZEN_HASH_KEY_SECRET_ARN',
    ];
    for (const t of [real.stateless, fixture.stateless]) {
      for (const [id, p] of resourcesOf(t, 'AWS::Lambda::Function')) {
        if (p.Description === 'research-dispatch health check') continue;
        const vars = Object.keys((p.Environment as { Variables: Record<string, unknown> }).Variables);
        for (const name of expected) expect(vars, `${id} lacks ${name}`).toContain(name);
        expect(vars, 'the hash key itself never goes into the function configuration').not.toContain('CITIZEN_HASH_KEY');
      }
    }
  });
});

describe('queue consumers', () => {
  const checkConsumers = (t: Template, consumed: readonly QueueId[]) => {
    const mappings = resourcesOf(t, 'AWS::Lambda::EventSourceMapping');
    const dlqs = dlqIds(real.stateful);
    const fns = Object.fromEntries(resourcesOf(t, 'AWS::Lambda::Function'));
    const queueProps = Object.fromEntries(resourcesOf(real.stateful, 'AWS::SQS::Queue'));
    const seen = new Set<string>();
    for (const [id, m] of mappings) {
      const queueId = importedLogicalId(real.stateful, m.EventSourceArn);
      expect(queueId, `${id} reads a stateful queue`).toBeDefined();
      expect(dlqs.has(queueId!), `${id} must not consume a DLQ`).toBe(false);
      seen.add(queueId!);
      expect(m.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
      const def = Object.values(queues).find((d) => queueProps[queueId!]!.VisibilityTimeout === d.visibilityTimeoutSeconds)!;
      expect(m.BatchSize).toBe(def.consumer.batchSize);
      expect(m.ScalingConfig).toEqual({ MaximumConcurrency: def.consumer.maxConcurrency });
      // AWS: visibility timeout at least 6x the function timeout, or messages reappear mid-batch.
      const fnId = (m.FunctionName as { Ref: string }).Ref;
      const timeout = fns[fnId]!.Timeout as number;
      expect(timeout).toBe(def.consumer.timeoutSeconds);
      expect(queueProps[queueId!]!.VisibilityTimeout as number).toBeGreaterThanOrEqual(6 * timeout);
    }
    expect(seen.size).toBe(consumed.length);
    return seen;
  };

  it('wires every queue of resources.ts to its consumer: batch size, partial batch failures, max concurrency, 6x timeout', () => {
    const seen = checkConsumers(fixture.stateless, Object.keys(queues) as QueueId[]);
    const workQueues = resourcesOf(real.stateful, 'AWS::SQS::Queue').filter(([id]) => !dlqIds(real.stateful).has(id));
    for (const [id] of workQueues) expect(seen.has(id), `queue ${id} has no consumer`).toBe(true);
  });

  it('wires each entry of queueConsumers in the real app', () => {
    checkConsumers(real.stateless, Object.keys(queueConsumers) as QueueId[]);
  });

  // The pipeline adds its consumers to routes.ts; until the first one exists there is nothing to
  // require. From then on every work queue must have one.
  it.skipIf(Object.keys(queueConsumers).length === 0)('every work queue has a consumer in the real app', () => {
    for (const id of Object.keys(queues)) expect(queueConsumers[id as QueueId], `queue ${id} has no consumer`).toBeDefined();
  });
});

describe('alarms', () => {
  it('alarm on every DLQ as soon as one message is visible', () => {
    const dlqs = dlqIds(real.stateful);
    const alarmed = new Set(
      resourcesOf(real.stateless, 'AWS::CloudWatch::Alarm')
        .filter(
          ([, p]) =>
            p.MetricName === 'ApproximateNumberOfMessagesVisible' &&
            p.Namespace === 'AWS/SQS' &&
            p.Threshold === 0 &&
            p.ComparisonOperator === 'GreaterThanThreshold',
        )
        .map(([, p]) => importedLogicalId(real.stateful, (p.Dimensions as { Value: unknown }[])[0]!.Value)),
    );
    expect(dlqs.size).toBe(Object.keys(queues).length);
    for (const id of dlqs) expect(alarmed.has(id), `no alarm on DLQ ${id}`).toBe(true);
  });
});

describe('IAM', () => {
  type Statement = { Effect: string; Action?: string | string[]; Principal?: unknown };
  const statementsOf = (docs: unknown[]): Statement[] => docs.flatMap((d) => (d as { Statement: Statement[] }).Statement);
  const identityStatements = (t: Template) =>
    statementsOf([
      ...resourcesOf(t, 'AWS::IAM::Policy').map(([, p]) => p.PolicyDocument),
      ...resourcesOf(t, 'AWS::IAM::ManagedPolicy').map(([, p]) => p.PolicyDocument),
      ...resourcesOf(t, 'AWS::IAM::Role').flatMap(([, p]) =>
        ((p.Policies as { PolicyDocument: unknown }[] | undefined) ?? []).map((x) => x.PolicyDocument),
      ),
    ]);
  const resourceStatements = (t: Template) =>
    statementsOf([
      ...resourcesOf(t, 'AWS::S3::BucketPolicy').map(([, p]) => p.PolicyDocument),
      ...resourcesOf(t, 'AWS::SQS::QueuePolicy').map(([, p]) => p.PolicyDocument),
      ...resourcesOf(t, 'AWS::KMS::Key').map(([, p]) => p.KeyPolicy),
    ]);
  const actions = (s: Statement) => [s.Action ?? []].flat();
  const templates = [
    ['stateful', real.stateful],
    ['stateless', real.stateless],
    ['stateless with every consumer', fixture.stateless],
  ] as const;

  it.each(templates)('identity policies name every action: none contains a wildcard (%s)', (_, t) => {
    for (const s of identityStatements(t)) {
      for (const action of actions(s)) expect(action, JSON.stringify(s)).not.toContain('*');
    }
  });

  it('Lambda roles have identity policies at all (the check above is not vacuous)', () => {
    expect(identityStatements(real.stateless).filter((s) => s.Effect === 'Allow').length).toBeGreaterThan(5);
  });

  it.each(templates)('resource policies allow no "*" or "service:*" action (%s)', (_, t) => {
    for (const s of resourceStatements(t).filter((x) => x.Effect === 'Allow')) {
      for (const action of actions(s)) {
        // The key's default statement gives the account root kms:* so that IAM policies can grant
        // use of the key at all; without it the key could not even be administered.
        if (action === 'kms:*' && JSON.stringify(s.Principal).includes(':root')) continue;
        expect(action === '*' || /^[a-z0-9-]+:\*$/.test(action), JSON.stringify(s)).toBe(false);
      }
    }
  });

  it('attaches no AWS-managed policy to any role', () => {
    for (const [, t] of templates) {
      for (const [id, p] of resourcesOf(t, 'AWS::IAM::Role')) expect(p.ManagedPolicyArns, id).toBeUndefined();
    }
  });
});
