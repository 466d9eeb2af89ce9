import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import * as routes from '../functions/handlers/routes.js';
import type { ApiRoute } from '../functions/handlers/routes.js';
import { AppFunction } from './constructs/app-function.js';
import { grantDataAccess, type DataPlane } from './constructs/data-access.js';
import { DlqAlarm } from './constructs/dlq-alarm.js';
import { HttpApi } from './constructs/http-api.js';
import { QueueConsumer } from './constructs/queue-consumer.js';
import { queues, type QueueId } from './resources.js';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { IntegrationSettings } from './integration-config.js';

export interface StatelessStackProps extends StackProps {
  readonly data: DataPlane;
  readonly jwtIssuer: string;
  readonly jwtAudience: readonly string[];
  /** National integrations (lib/integration-config.ts): endpoints and secret ARNs for the Lambdas. */
  readonly integrations: IntegrationSettings;
  /** Defaults to functions/handlers/routes.ts; tests pass their own to exercise the wiring. */
  readonly routing?: Routing;
}

export interface Routing {
  readonly areas: Readonly<Record<string, string>>;
  readonly apiRoutes: readonly (Omit<ApiRoute, 'area'> & { readonly area: string })[];
  readonly queueConsumers: Readonly<Partial<Record<QueueId, string>>>;
}

export const HEALTH_ENTRY = 'functions/handlers/health/index.ts';

/**
 * Code and wiring only: the HTTP API with one Lambda per area of routes.ts, a consumer Lambda per
 * entry of queueConsumers, and an alarm per dead-letter queue. Everything here can be destroyed
 * and redeployed without losing data.
 */
export class StatelessStack extends Stack {
  readonly api: HttpApi;
  readonly areaFunctions: Readonly<Record<string, AppFunction>>;

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    const { data } = props;
    const { areas, apiRoutes, queueConsumers } = props.routing ?? routes;

    this.api = new HttpApi(this, 'Http', { jwtIssuer: props.jwtIssuer, jwtAudience: props.jwtAudience });
    const integrationSecrets = props.integrations.secretArns.map((arn, i) => secretsmanager.Secret.fromSecretCompleteArn(this, `IntegrationSecret${i}`, arn));
    /** Every function gets the endpoints (not secret); only those that call out or take callbacks may read the secrets. */
    const withIntegrations = (fn: AppFunction, readsSecrets: boolean) => {
      for (const [name, value] of Object.entries(props.integrations.env)) fn.fn.addEnvironment(name, value);
      if (readsSecrets) for (const s of integrationSecrets) s.grantRead(fn.role);
    };

    const health = new AppFunction(this, 'Health', {
      entry: HEALTH_ENTRY,
      description: 'research-dispatch health check',
      memorySize: 128,
      timeout: Duration.seconds(3),
    });
    this.api.addPublicRoute(
      'GET',
      '/health',
      health.fn,
      'GET /health is the load balancer and uptime probe; it returns {ok:true} and reads no data, so it needs no caller identity.',
    );

    const areaFunctions: Record<string, AppFunction> = {};
    for (const [area, entry] of Object.entries(areas)) {
      const routes = apiRoutes.filter((r) => r.area === area);
      // An area that only serves local stand-ins (the registries) has nothing to do in AWS.
      if (routes.length > 0 && routes.every((r) => r.localOnly)) continue;
      const fn = new AppFunction(this, `Area-${area}`, { entry, description: `research-dispatch API: ${area}` });
      for (const [name, value] of Object.entries(grantDataAccess(fn.role, data))) fn.fn.addEnvironment(name, value);
      withIntegrations(fn, routes.some((r) => r.callback));
      areaFunctions[area] = fn;
    }
    for (const route of apiRoutes) {
      if (route.localOnly) continue;
      const fn = areaFunctions[route.area];
      if (!fn) throw new Error(`route ${route.method} ${route.path} names unknown area ${route.area}`);
      if (route.callback) {
        this.api.addPublicRoute(
          route.method,
          route.path,
          fn.fn,
          `${route.method} ${route.path} is called by ePROM, which cannot present a JWT from our identity provider; the handler authenticates it by the agreed API key (compared in constant time) and refuses anything else with 401.`,
        );
      } else this.api.addAuthorizedRoute(route.method, route.path, fn.fn);
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
      for (const [name, value] of Object.entries(grantDataAccess(consumer.function.role, data))) {
        consumer.function.fn.addEnvironment(name, value);
      }
      // The dispatch workers read the registries and hand letters to the channels.
      withIntegrations(consumer.function, queueId === 'dispatch');
    }

    for (const def of Object.values(queues)) {
      new DlqAlarm(this, `DlqAlarm-${def.id}`, { dlq: data.queues[def.id].dlq, label: def.id });
    }

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the HTTP API' });
  }
}
