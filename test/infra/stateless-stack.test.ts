import { Match, type Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { apiRoutes, dataFreeAreas, operationsLane, queueConsumers, routeKey } from '../../functions/handlers/routes.js';
import { accessMatrix } from '../../lib/access-matrix.js';
import { METRIC, METRICS_NAMESPACE, SERVICE_NAME } from '../../functions/shared/metric-names.js';
import { dlqEnvVar } from '../../lib/constructs/data-access.js';
import { buckets, queues, tables, type QueueId } from '../../lib/resources.js';
import { AREA_MEMORY_MB, HEALTH_ENTRY, OPERATIONS_LANE_THROTTLE } from '../../lib/stateless-stack.js';
import { THROUGHPUT_ENV, throughput } from '../../lib/throughput.js';
import { dispatchSettings } from '../../functions/adapters/index.js';
import { channelThroughput } from '../../functions/adapters/national/config.js';
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
  queueConsumers: Object.fromEntries(Object.keys(queues).map((id) => [id, HEALTH_ENTRY])),
  access: { ...accessMatrix, alpha: accessMatrix.projects, beta: accessMatrix.inbox, standIn: accessMatrix.registry },
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

  it('does not serve GET /citizen/inbox deployed: it reads a local stand-in (API.md), and no inbox Lambda exists', () => {
    const keys = routesOf(real.stateless).map((p) => String(p.RouteKey));
    expect(keys).not.toContain('GET /citizen/inbox');
    const descriptions = resourcesOf(real.stateless, 'AWS::Lambda::Function').map(([, p]) => p.Description);
    expect(descriptions).not.toContain('research-dispatch API: inbox');
  });

  it('reserves concurrency for the functions of the operations lane, so a flood elsewhere cannot throttle halt or pause', () => {
    const fns = resourcesOf(real.stateless, 'AWS::Lambda::Function');
    const reserved = (area: string) => fns.find(([, p]) => p.Description === `research-dispatch API: ${area}`)![1].ReservedConcurrentExecutions;
    const laneAreas = new Set(apiRoutes.filter((r) => operationsLane.includes(routeKey(r))).map((r) => r.area));
    expect([...laneAreas].sort()).toEqual(['operations', 'projects']);
    for (const area of laneAreas) expect(reserved(area), area).toBeGreaterThanOrEqual(2);
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
  ])('puts the JWT authorizer on every route except GET /health and the routes marked public (%s)', (_, t) => {
    const id = authorizerId(t);
    const open = new Set(['GET /health', ...apiRoutes.filter((r) => r.public).map(routeKey)]);
    for (const p of routesOf(t)) {
      if (open.has(String(p.RouteKey))) {
        expect(p.AuthorizationType ?? 'NONE').toBe('NONE');
        expect(p.AuthorizerId).toBeUndefined();
      } else {
        expect(p.AuthorizationType, String(p.RouteKey)).toBe('JWT');
        expect(p.AuthorizerId, String(p.RouteKey)).toEqual({ Ref: id });
      }
    }
  });

  it('leaves exactly the callback and API-description routes open, besides /health', () => {
    const open = routesOf(real.stateless)
      .filter((p) => (p.AuthorizationType ?? 'NONE') === 'NONE')
      .map((p) => p.RouteKey);
    expect(open.sort()).toEqual(['GET /health', 'GET /openapi.json', 'POST /form-callbacks/{formTaskId}', 'PUT /api/MessageToCitizen', 'PUT /api/PersonvernInnstilling']);
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

describe('operations lane', () => {
  it('gives every operations route and the project pause a throttle of its own on the stage', () => {
    const [[id, stage]] = resourcesOf(real.stateless, 'AWS::ApiGatewayV2::Stage') as [[string, Record<string, unknown>]];
    const settings = stage.RouteSettings as Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }>;
    expect(Object.keys(settings).sort()).toEqual([...operationsLane].sort());
    expect(operationsLane).toEqual(expect.arrayContaining(['POST /operations/halt', 'POST /operations/resume', 'POST /projects/{projectId}/pause']));
    for (const v of Object.values(settings)) {
      expect(v).toEqual({ ThrottlingRateLimit: OPERATIONS_LANE_THROTTLE.rateLimit, ThrottlingBurstLimit: OPERATIONS_LANE_THROTTLE.burstLimit });
    }
    // The public routes keep the stage default, which is not the lane's.
    expect((stage.DefaultRouteSettings as { ThrottlingRateLimit: number }).ThrottlingRateLimit).toBe(50);
    // A setting for a route that does not exist yet fails the deployment: the stage waits for them.
    const dependsOn = (real.stateless.toJSON().Resources[id].DependsOn ?? []) as string[];
    const routeIds = new Map(resourcesOf(real.stateless, 'AWS::ApiGatewayV2::Route').map(([rid, p]) => [String(p.RouteKey), rid]));
    for (const key of operationsLane) expect(dependsOn, key).toContain(routeIds.get(key));
  });

  it('names the operations function in an output, for npm run ops:halt', () => {
    const outputs = real.stateless.toJSON().Outputs as Record<string, { Value: { Ref?: string } }>;
    const fnId = resourcesOf(real.stateless, 'AWS::Lambda::Function').find(([, p]) => p.Description === 'research-dispatch API: operations')![0];
    expect(outputs.OperationsFunctionName?.Value).toEqual({ Ref: fnId });
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

  it('gives the lists function the memory to parse a 1,000,000-row list (~815 MB peak measured; the default is 512 MB)', () => {
    const fns = resourcesOf(real.stateless, 'AWS::Lambda::Function');
    const lists = fns.find(([, p]) => p.Description === 'research-dispatch API: lists');
    expect(lists).toBeDefined();
    expect(lists![1].MemorySize).toBeGreaterThanOrEqual(2048);
    expect(lists![1].MemorySize).toBe(AREA_MEMORY_MB.lists);
  });

  it('give every API and consumer Lambda the env vars of every table, queue, DLQ and bucket (names; access is in the matrix)', () => {
    const expected = [...Object.values(tables).map((d) => d.envVar), ...Object.values(queues).flatMap((d) => [d.envVar, dlqEnvVar(d.envVar)]), ...Object.values(buckets).map((d) => d.envVar)];
    for (const t of [real.stateless, fixture.stateless]) {
      for (const [id, p] of resourcesOf(t, 'AWS::Lambda::Function')) {
        if (p.Description === 'research-dispatch health check') continue;
        const vars = Object.keys((p.Environment as { Variables: Record<string, unknown> } | undefined)?.Variables ?? {});
        if (dataFreeAreas.some((a) => p.Description === `research-dispatch API: ${a}`)) {
          // Serves a static document: no table, queue, bucket or secret to reach.
          for (const name of expected) expect(vars, `${id} has ${name}`).not.toContain(name);
          continue;
        }
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

describe('throughput settings (lib/throughput.ts)', () => {
  const envOf = (p: Record<string, unknown>) => (p.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
  /** Functions whose row of the access matrix may send to the dispatch queue, by their description. */
  const fnsSendingToDispatch = () => {
    const descriptions = Object.entries(accessMatrix)
      .filter(([, a]) => a.queues.dispatch?.send)
      .map(([principal]) =>
        principal === 'consumer:dispatch'
          ? 'research-dispatch consumer of the dispatch queue'
          : principal === 'releaseScheduler'
            ? 'research-dispatch release scheduler'
            : `research-dispatch API: ${principal}`,
      );
    return resourcesOf(real.stateless, 'AWS::Lambda::Function').filter(([, p]) => descriptions.includes(String(p.Description)));
  };

  it('deploys the prepare consumer (background pre-flights) one chunk a message, with bounded concurrency, and lets only it and the rounds API send to its queue', () => {
    const fns = Object.fromEntries(resourcesOf(real.stateless, 'AWS::Lambda::Function'));
    const mapping = resourcesOf(real.stateless, 'AWS::Lambda::EventSourceMapping').find(
      ([, m]) => fns[(m.FunctionName as { Ref: string }).Ref]?.Description === 'research-dispatch consumer of the prepare queue',
    );
    expect(mapping).toBeDefined();
    expect(mapping![1]).toMatchObject({ BatchSize: 1, ScalingConfig: { MaximumConcurrency: queues.prepare.consumer.maxConcurrency } });
    const senders = Object.entries(accessMatrix)
      .filter(([, a]) => a.queues.prepare?.send)
      .map(([p]) => p);
    // operations sends only to redrive the prepare dead letters back (POST /operations/redrive).
    expect(senders.sort()).toEqual(['consumer:prepare', 'operations', 'rounds']);
  });

  it('deploys the dispatch consumer with the maximum concurrency, in-flight calls, wave width and channel rates of lib/throughput.ts', () => {
    const fns = Object.fromEntries(resourcesOf(real.stateless, 'AWS::Lambda::Function'));
    const mapping = resourcesOf(real.stateless, 'AWS::Lambda::EventSourceMapping').find(
      ([, m]) => fns[(m.FunctionName as { Ref: string }).Ref]?.Description === 'research-dispatch consumer of the dispatch queue',
    );
    expect(mapping![1].ScalingConfig).toEqual({ MaximumConcurrency: throughput.dispatchMaxConcurrency });
    const fnId = (mapping![1].FunctionName as { Ref: string }).Ref;
    const consumer = fns[fnId]!;
    expect(envOf(consumer)).toMatchObject({
      DISPATCH_WINDOW: String(throughput.roundWindow),
      CHANNEL_IN_FLIGHT: String(throughput.channelInFlight),
      DISPATCH_WAVE_WIDTH: String(throughput.waveWidth),
      CHANNEL_RATE_EPROM: String(throughput.channelRatePerSecond.eprom),
      CHANNEL_RATE_DIGIPOST: String(throughput.channelRatePerSecond.digipost),
    });
  });

  it('gives every function that puts batches on the dispatch queue the same round window', () => {
    const fns = fnsSendingToDispatch();
    expect(fns.length).toBe(Object.values(accessMatrix).filter((a) => a.queues.dispatch?.send).length);
    for (const [id, p] of fns) expect(envOf(p).DISPATCH_WINDOW, id).toBe(String(throughput.roundWindow));
  });

  it('is what the functions fall back to when no variable is set', () => {
    const saved = Object.fromEntries(Object.values(THROUGHPUT_ENV).map((k) => [k, process.env[k]]));
    for (const k of Object.values(THROUGHPUT_ENV)) delete process.env[k];
    try {
      expect(dispatchSettings()).toMatchObject({ window: throughput.roundWindow, waveWidth: throughput.waveWidth });
      // A wave is one round trip (a pause waits for one channel call): all of it in flight at once.
      expect(throughput.waveWidth).toBeLessThanOrEqual(throughput.channelInFlight);
      expect(channelThroughput({})).toEqual({ channelInFlight: throughput.channelInFlight, ratePerSecond: throughput.channelRatePerSecond });
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v !== undefined) process.env[k] = v;
    }
  });
});

describe('alarms', () => {
  it('alarm on every DLQ as soon as one message is visible', () => {
    const dlqs = dlqIds(real.stateful);
    const alarmed = new Set(
      resourcesOf(real.stateless, 'AWS::CloudWatch::Alarm')
        .filter(([, p]) => p.MetricName === 'ApproximateNumberOfMessagesVisible' && p.Namespace === 'AWS/SQS' && p.Threshold === 0 && p.ComparisonOperator === 'GreaterThanThreshold')
        .map(([, p]) => importedLogicalId(real.stateful, (p.Dimensions as { Value: unknown }[])[0]!.Value)),
    );
    expect(dlqs.size).toBe(Object.keys(queues).length);
    for (const id of dlqs) expect(alarmed.has(id), `no alarm on DLQ ${id}`).toBe(true);
  });

  const mathAlarm = (t: Template, metricName: string) =>
    resourcesOf(t, 'AWS::CloudWatch::Alarm').find(([, p]) =>
      ((p.Metrics as { MetricStat?: { Metric: { MetricName: string } } }[] | undefined) ?? []).some((m) => m.MetricStat?.Metric.MetricName === metricName),
    )?.[1];
  const exprOf = (alarm: Record<string, unknown>) => (alarm.Metrics as { Expression?: string }[]).find((m) => m.Expression)!.Expression;
  const dims = (alarm: Record<string, unknown>) =>
    (alarm.Metrics as { MetricStat?: { Metric: { Namespace: string; Dimensions: { Name: string; Value: string }[] } } }[]).flatMap((m) => (m.MetricStat ? [m.MetricStat.Metric] : []));

  it('alarms when a dispatching round decided nobody for N minutes (stallMinutes from context, default 10)', () => {
    const stall = mathAlarm(real.stateless, METRIC.dispatchingRounds)!;
    expect(exprOf(stall)).toBe('IF(dispatching > 0 AND FILL(decided, 0) == 0, 1, 0)');
    expect(stall).toMatchObject({ EvaluationPeriods: 10, DatapointsToAlarm: 10, Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    // The metrics it reads are the ones the code emits: namespace and service dimension included.
    for (const m of dims(stall)) expect(m).toMatchObject({ Namespace: METRICS_NAMESPACE, Dimensions: [{ Name: 'service', Value: SERVICE_NAME }] });
    const five = mathAlarm(synth(undefined, { stallMinutes: '5' }).stateless, METRIC.dispatchingRounds)!;
    expect(five).toMatchObject({ EvaluationPeriods: 5, DatapointsToAlarm: 5 });
  });

  it('alarms on the failure rate of letters (failed / sent + failed, with a minimum volume)', () => {
    const rate = mathAlarm(real.stateless, METRIC.failed)!;
    expect(exprOf(rate)).toBe('IF((sent + failed) >= 20, 100 * failed / (sent + failed), 0)');
    expect(rate).toMatchObject({ Threshold: 5, ComparisonOperator: 'GreaterThanThreshold' });
  });

  it('alarms at the first sealed callback secret that does not open, on the metric the code emits', () => {
    const [, alarm] = resourcesOf(real.stateless, 'AWS::CloudWatch::Alarm').find(([, p]) => p.MetricName === METRIC.sealedSecretRefused)!;
    expect(alarm).toMatchObject({ Namespace: METRICS_NAMESPACE, Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', Statistic: 'Sum' });
    expect(alarm.Dimensions).toEqual(
      expect.arrayContaining([
        { Name: 'service', Value: SERVICE_NAME },
        { Name: 'purpose', Value: 'form_callback' },
      ]),
    );
  });

  it('sends every alarm to the SNS topic given in context, and to none without one', () => {
    for (const [, p] of resourcesOf(real.stateless, 'AWS::CloudWatch::Alarm')) expect(p.AlarmActions).toBeUndefined();
    const arn = 'arn:aws:sns:eu-north-1:111122223333:ops-alarms';
    const alarms = resourcesOf(synth(undefined, { alarmTopicArn: arn }).stateless, 'AWS::CloudWatch::Alarm');
    expect(alarms.length).toBe(Object.keys(queues).length + 3);
    for (const [, p] of alarms) expect(p.AlarmActions).toEqual([arn]);
  });

  it('with alarmEmail, makes an encrypted, TLS-only topic with that subscription and alarms on it', () => {
    const t = synth(undefined, { alarmEmail: 'vakt@example.org' }).stateless;
    const [[topicId, topic]] = resourcesOf(t, 'AWS::SNS::Topic') as [[string, Record<string, unknown>]];
    expect(topic.KmsMasterKeyId).toBeDefined();
    expect(resourcesOf(t, 'AWS::SNS::Subscription').map(([, p]) => p)).toEqual([expect.objectContaining({ Protocol: 'email', Endpoint: 'vakt@example.org' })]);
    for (const [, p] of resourcesOf(t, 'AWS::CloudWatch::Alarm')) expect(p.AlarmActions).toEqual([{ Ref: topicId }]);
  });

  it('has the dispatch dashboard, and the round watch and the release scheduler run every minute', () => {
    expect(resourcesOf(real.stateless, 'AWS::CloudWatch::Dashboard')).toHaveLength(1);
    const fnOf = (d: string) => resourcesOf(real.stateless, 'AWS::Lambda::Function').find(([, p]) => p.Description === d)![0];
    const rules = resourcesOf(real.stateless, 'AWS::Events::Rule');
    expect(rules.map(([, p]) => ({ s: p.ScheduleExpression, t: (p.Targets as { Arn: { 'Fn::GetAtt': string[] } }[])[0]!.Arn['Fn::GetAtt'][0] }))).toEqual(
      expect.arrayContaining([
        { s: 'rate(1 minute)', t: fnOf('research-dispatch round watch') },
        { s: 'rate(1 minute)', t: fnOf('research-dispatch release scheduler') },
        { s: 'rate(5 minutes)', t: fnOf('research-dispatch national jobs') },
        { s: 'rate(15 minutes)', t: fnOf('research-dispatch audit sealer') },
      ]),
    );
    expect(rules).toHaveLength(4);
  });

  it('seals the audit heads on a schedule: the sealer writes seals, reads heads and its mark, and nothing else', () => {
    const sealer = resourcesOf(real.stateless, 'AWS::Lambda::Function').find(([, p]) => p.Description === 'research-dispatch audit sealer');
    expect(sealer).toBeDefined();
    expect(accessMatrix.auditSealer.seals).toBe(true);
    expect(Object.keys(accessMatrix.auditSealer.tables)).toEqual(['audit']);
    expect(accessMatrix.auditSealer.tables.audit!.flatMap((g) => g.actions).filter((a) => a !== 'Query' && a !== 'GetItem')).toEqual(['PutItem']);
    expect(accessMatrix.auditSealer.tables.audit!.find((g) => g.actions.includes('PutItem'))!.leadingKeys).toEqual(['SEALMARK']);
  });
});

describe('IAM', () => {
  type Statement = { Effect: string; Action?: string | string[]; Principal?: unknown };
  const statementsOf = (docs: unknown[]): Statement[] => docs.flatMap((d) => (d as { Statement: Statement[] }).Statement);
  const identityStatements = (t: Template) =>
    statementsOf([
      ...resourcesOf(t, 'AWS::IAM::Policy').map(([, p]) => p.PolicyDocument),
      ...resourcesOf(t, 'AWS::IAM::ManagedPolicy').map(([, p]) => p.PolicyDocument),
      ...resourcesOf(t, 'AWS::IAM::Role').flatMap(([, p]) => ((p.Policies as { PolicyDocument: unknown }[] | undefined) ?? []).map((x) => x.PolicyDocument)),
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
