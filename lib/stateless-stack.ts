import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import * as routes from '../functions/handlers/routes.js';
import { operationsLane, routeKey, type ApiRoute } from '../functions/handlers/routes.js';
import { AppFunction } from './constructs/app-function.js';
import { accessMatrix, accessOf, type Access, type IntegrationSecret } from './access-matrix.js';
import { grantDataAccess, type DataPlane } from './constructs/data-access.js';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { Observability } from './constructs/observability.js';
import { HttpApi } from './constructs/http-api.js';
import { QueueConsumer } from './constructs/queue-consumer.js';
import { queues, type QueueId } from './resources.js';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { IntegrationSettings } from './integration-config.js';
import { throughputEnv } from './throughput.js';

export interface StatelessStackProps extends StackProps {
  readonly data: DataPlane;
  readonly jwtIssuer: string;
  readonly jwtAudience: readonly string[];
  /**
   * Public JWK of the operations signing key (ops/operation-token.ts) that `npm run ops:halt`
   * signs its direct invoke with; the private half stays with operators. Without it the
   * operations function accepts no direct halt (the API's halt route still works).
   */
  readonly opsPublicKey?: string;
  /** National integrations (lib/integration-config.ts): endpoints and secret ARNs for the Lambdas. */
  readonly integrations: IntegrationSettings;
  /** Defaults to functions/handlers/routes.ts; tests pass their own to exercise the wiring. */
  readonly routing?: Routing;
  /** Alarm notifications: an existing SNS topic, or an address to make an encrypted topic for. */
  readonly alarmTopicArn?: string;
  readonly alarmEmail?: string;
  /** Minutes without progress before the stall alarm (default 10). */
  readonly stallMinutes?: number;
}

export interface Routing {
  readonly areas: Readonly<Record<string, string>>;
  readonly apiRoutes: readonly (Omit<ApiRoute, 'area'> & { readonly area: string })[];
  readonly queueConsumers: Readonly<Partial<Record<QueueId, string>>>;
  readonly dataFreeAreas?: readonly string[];
  /** Rows of the access matrix by area / `consumer:<queue>`; defaults to lib/access-matrix.ts. */
  readonly access?: Readonly<Record<string, Access>>;
}

export const HEALTH_ENTRY = 'functions/handlers/health/index.ts';
export const ROUND_WATCH_ENTRY = 'functions/handlers/round-watch/index.ts';
export const RELEASE_SCHEDULER_ENTRY = 'functions/handlers/release-scheduler/index.ts';
export const AUDIT_SEALER_ENTRY = 'functions/handlers/audit-sealer/index.ts';
/** How often the head of every changed audit chain is sealed: the longest a rewrite of the table goes unsealed. */
export const AUDIT_SEAL_EVERY_MINUTES = 15;
export const NATIONAL_JOBS_ENTRY = 'functions/handlers/national-jobs/index.ts';

/**
 * Reserved concurrency of the functions serving the operations lane: halt and the halt CLI's
 * direct invoke (operations), pause (projects, which also serves the researchers' project routes,
 * hence more). Held for them whatever else runs in the account, and their ceiling.
 */
export const OPERATIONS_LANE_RESERVED: Readonly<Record<string, number>> = { operations: 5, projects: 20, default: 5 };

/**
 * Memory of API areas that need more than the default 512 MB. Parsing, validating and chunking a
 * 1,000,000-row list peaks at ~815 MB (measured); Lambda CPU grows with memory, and the whole
 * upload has to fit in the API's 29 s.
 */
export const AREA_MEMORY_MB: Readonly<Record<string, number>> = { lists: 2048 };

/** Per route of the operations lane (routes.ts operationsLane). */
export const OPERATIONS_LANE_THROTTLE = { rateLimit: 10, burstLimit: 20 } as const;

/**
 * Code and wiring only: the HTTP API with one Lambda per area of routes.ts, a consumer Lambda per
 * entry of queueConsumers, and an alarm per dead-letter queue. Everything here can be destroyed
 * and redeployed without losing data.
 */
export class StatelessStack extends Stack {
  readonly api: HttpApi;
  readonly areaFunctions: Readonly<Record<string, AppFunction>>;
  readonly observability: Observability;

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    const { data } = props;
    const { areas, apiRoutes, queueConsumers, dataFreeAreas = [] } = props.routing ?? routes;
    const matrix = props.routing?.access ?? accessMatrix;

    this.api = new HttpApi(this, 'Http', { jwtIssuer: props.jwtIssuer, jwtAudience: props.jwtAudience });
    const integrationSecrets = Object.fromEntries(
      (Object.entries(props.integrations.secretArns) as [IntegrationSecret, string][]).map(([name, arn]) => [
        name,
        secretsmanager.Secret.fromSecretCompleteArn(this, `IntegrationSecret-${name}`, arn),
      ]),
    ) as Record<IntegrationSecret, secretsmanager.ISecret>;
    /** Every function gets the endpoints (not secret); each reads exactly the secrets its matrix row names. */
    const withIntegrations = (fn: AppFunction, access: Access) => {
      for (const [name, value] of Object.entries(props.integrations.env)) fn.fn.addEnvironment(name, value);
      for (const s of access.integrationSecrets) integrationSecrets[s].grantRead(fn.role);
    };
    /**
     * The deployed throughput settings (lib/throughput.ts) on every function that plans or sends
     * batches: the round window where batches are put on the queue, in-flight calls, wave width and
     * channel rates where they are sent. Functions fall back to the same module, so this only states them.
     */
    const withThroughput = (fn: AppFunction) => {
      for (const [name, value] of Object.entries(throughputEnv())) fn.fn.addEnvironment(name, value);
    };

    const health = new AppFunction(this, 'Health', {
      entry: HEALTH_ENTRY,
      description: 'research-dispatch health check',
      memorySize: 128,
      timeout: Duration.seconds(3),
    });
    this.api.addPublicRoute('GET', '/health', health.fn, 'GET /health is the load balancer and uptime probe; it returns {ok:true} and reads no data, so it needs no caller identity.');

    const areaFunctions: Record<string, AppFunction> = {};
    for (const [area, entry] of Object.entries(areas)) {
      const routes = apiRoutes.filter((r) => r.area === area);
      // An area that only serves local stand-ins (the registries) has nothing to do in AWS.
      if (routes.length > 0 && routes.every((r) => r.localOnly)) continue;
      const inLane = routes.some((r) => operationsLane.includes(routeKey(r)));
      // Handlers verify the bearer token themselves (functions/shared/auth.ts) against the issuer
      // API Gateway's authorizer uses: a direct invoke's requestContext claims count for nothing.
      const authEnv: Record<string, string> = { AUTH_ISSUER: props.jwtIssuer, AUTH_AUDIENCE: props.jwtAudience.join(',') };
      if (area === 'operations' && props.opsPublicKey) authEnv.OPS_PUBLIC_JWK = props.opsPublicKey;
      const fn = new AppFunction(this, `Area-${area}`, {
        entry,
        description: `research-dispatch API: ${area}`,
        environment: authEnv,
        ...(AREA_MEMORY_MB[area] ? { memorySize: AREA_MEMORY_MB[area] } : {}),
        ...(inLane ? { reservedConcurrency: OPERATIONS_LANE_RESERVED[area] ?? OPERATIONS_LANE_RESERVED.default } : {}),
      });
      if (!dataFreeAreas.includes(area)) for (const [name, value] of Object.entries(grantDataAccess(fn.role, data, accessOf(area, matrix)))) fn.fn.addEnvironment(name, value);
      if (!dataFreeAreas.includes(area)) withIntegrations(fn, accessOf(area, matrix));
      if (!dataFreeAreas.includes(area)) withThroughput(fn);
      areaFunctions[area] = fn;
    }
    const lane: { key: string; route: import('aws-cdk-lib/aws-apigatewayv2').HttpRoute }[] = [];
    for (const route of apiRoutes) {
      if (route.localOnly) continue;
      const fn = areaFunctions[route.area];
      if (!fn) throw new Error(`route ${route.method} ${route.path} names unknown area ${route.area}`);
      if (route.public) {
        this.api.addPublicRoute(route.method, route.path, fn.fn, route.public);
        continue;
      }
      const added = this.api.addAuthorizedRoute(route.method, route.path, fn.fn);
      const key = routeKey(route);
      if (operationsLane.includes(key)) lane.push({ key, route: added });
    }
    // The operations lane: its own throttle per route, generous for a handful of operators and
    // far below what a flood could use up (see HttpApi.throttleRoutes).
    if (lane.length > 0)
      this.api.throttleRoutes(
        lane.map((l) => l.route),
        lane.map((l) => l.key),
        OPERATIONS_LANE_THROTTLE,
      );
    if (areaFunctions.operations) {
      new CfnOutput(this, 'OperationsFunctionName', {
        value: areaFunctions.operations.fn.functionName,
        description: 'For npm run ops:halt -- --function-name <this> (direct invoke; lambda:InvokeFunction is the gate)',
      });
    }
    this.areaFunctions = areaFunctions;

    for (const [queueId, entry] of Object.entries(queueConsumers) as [QueueId, string | undefined][]) {
      if (!entry) continue;
      const def = queues[queueId];
      const consumer = new QueueConsumer(this, `Consumer-${queueId}`, {
        def,
        queue: data.queues[queueId].queue,
        entry,
        environment: {},
      });
      for (const [name, value] of Object.entries(grantDataAccess(consumer.function.role, data, accessOf(`consumer:${queueId}`, matrix)))) {
        consumer.function.fn.addEnvironment(name, value);
      }
      // The dispatch workers read the registries and hand letters to the channels.
      withIntegrations(consumer.function, accessOf(`consumer:${queueId}`, matrix));
      withThroughput(consumer.function);
    }

    const consumerFunctions: Record<string, AppFunction> = {};
    for (const [queueId] of Object.entries(queueConsumers)) {
      const c = this.node.tryFindChild(`Consumer-${queueId}`) as QueueConsumer | undefined;
      if (c) consumerFunctions[`consumer:${queueId}`] = c.function;
    }

    // The round watch: once a minute, the DispatchingRounds gauge the stall alarm needs.
    const watch = new AppFunction(this, 'RoundWatch', {
      entry: ROUND_WATCH_ENTRY,
      description: 'research-dispatch round watch',
      memorySize: 256,
      timeout: Duration.seconds(30),
    });
    for (const [name, value] of Object.entries(grantDataAccess(watch.role, data, accessOf('roundWatch', matrix)))) watch.fn.addEnvironment(name, value);
    new events.Rule(this, 'RoundWatchSchedule', {
      description: 'research-dispatch: publish DispatchingRounds every minute',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [new targets.LambdaFunction(watch.fn, { retryAttempts: 0 })],
    });

    // Scheduled releases: once a minute, every round whose time has come is released (every gate
    // checked again) or put back to ready with the refusal.
    const scheduler = new AppFunction(this, 'ReleaseScheduler', {
      entry: RELEASE_SCHEDULER_ENTRY,
      description: 'research-dispatch release scheduler',
      timeout: Duration.seconds(60),
    });
    for (const [name, value] of Object.entries(grantDataAccess(scheduler.role, data, accessOf('releaseScheduler', matrix)))) scheduler.fn.addEnvironment(name, value);
    withThroughput(scheduler);
    new events.Rule(this, 'ReleaseSchedulerTick', {
      description: 'research-dispatch: release the rounds scheduled for now',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [new targets.LambdaFunction(scheduler.fn, { retryAttempts: 0 })],
    });

    // The national integrations' scheduled work: the privacy-component mirror refreshed and
    // Digipost asked about hand-overs still awaiting a report, every 5 minutes.
    const nationalJobs = new AppFunction(this, 'NationalJobs', {
      entry: NATIONAL_JOBS_ENTRY,
      description: 'research-dispatch national jobs',
      timeout: Duration.seconds(120),
    });
    for (const [name, value] of Object.entries(grantDataAccess(nationalJobs.role, data, accessOf('nationalJobs', matrix)))) nationalJobs.fn.addEnvironment(name, value);
    withIntegrations(nationalJobs, accessOf('nationalJobs', matrix));
    new events.Rule(this, 'NationalJobsTick', {
      description: 'research-dispatch: refresh the privacy mirror and poll Digipost receipts',
      schedule: events.Schedule.rate(Duration.minutes(5)),
      targets: [new targets.LambdaFunction(nationalJobs.fn, { retryAttempts: 0 })],
    });

    // The audit seal: every 15 minutes the head of every chain changed since the last run (the
    // projects' and the operations chain) is sealed in the Object Lock bucket, not only when a
    // round completes.
    const auditSealer = new AppFunction(this, 'AuditSealer', {
      entry: AUDIT_SEALER_ENTRY,
      description: 'research-dispatch audit sealer',
      timeout: Duration.seconds(120),
    });
    for (const [name, value] of Object.entries(grantDataAccess(auditSealer.role, data, accessOf('auditSealer', matrix)))) auditSealer.fn.addEnvironment(name, value);
    new events.Rule(this, 'AuditSealerTick', {
      description: 'research-dispatch: seal the heads of the audit chains changed since the last run',
      schedule: events.Schedule.rate(Duration.minutes(AUDIT_SEAL_EVERY_MINUTES)),
      // A failed run leaves its mark where it was: the next run seals what this one did not.
      targets: [new targets.LambdaFunction(auditSealer.fn, { retryAttempts: 2 })],
    });

    this.observability = new Observability(this, 'Observability', {
      dlqs: Object.fromEntries(Object.values(queues).map((def) => [def.id, data.queues[def.id].dlq])),
      functions: Object.fromEntries(
        [
          ...Object.entries(areaFunctions),
          ...Object.entries(consumerFunctions),
          ['roundWatch', watch] as const,
          ['releaseScheduler', scheduler] as const,
          ['nationalJobs', nationalJobs] as const,
          ['auditSealer', auditSealer] as const,
        ].map(([k, f]) => [k, f.fn]),
      ),
      alarmTopicArn: props.alarmTopicArn,
      alarmEmail: props.alarmEmail,
      stallMinutes: props.stallMinutes,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the HTTP API' });
  }
}
