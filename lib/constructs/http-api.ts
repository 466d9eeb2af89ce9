import { Names, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface HttpApiProps {
  /** Token issuer of the identity provider (the `iss` claim), e.g. https://login.example/ */
  readonly jwtIssuer: string;
  /** Accepted `aud` values. */
  readonly jwtAudience: readonly string[];
}

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * The HTTP API (API Gateway v2). Every route gets the JWT authorizer unless it is explicitly
 * added as public, so forgetting the authorizer is impossible; API Gateway then rejects bad
 * tokens before a Lambda runs, and the handlers read the verified claims as they do locally.
 */
export class HttpApi extends Construct {
  readonly api: apigw.HttpApi;
  readonly stage: apigw.HttpStage;
  private readonly authorizer: HttpJwtAuthorizer;
  private readonly integrations = new Map<lambda.IFunction, HttpLambdaIntegration>();

  constructor(scope: Construct, id: string, props: HttpApiProps) {
    super(scope, id);
    this.api = new apigw.HttpApi(this, 'Api', {
      description: 'research-dispatch public API',
      createDefaultStage: false,
    });
    this.authorizer = new HttpJwtAuthorizer('Jwt', props.jwtIssuer, {
      jwtAudience: [...props.jwtAudience],
      identitySource: ['$request.header.Authorization'],
    });

    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.stage = this.api.addStage('Stage', {
      stageName: '$default',
      autoDeploy: true,
      // Bounds what one misbehaving client can cost; 30,000-recipient lists are one request.
      throttle: { rateLimit: 50, burstLimit: 100 },
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(accessLogs),
        // No path parameters or query strings beyond the route template: the API never carries
        // national IDs there, and the log should not start to if that rule is ever broken.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLength: '$context.responseLength',
            integrationLatency: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
          }),
        ),
      },
    });
  }

  /**
   * Route-level throttles on the stage (RouteSettings): the given route keys get a rate and burst
   * of their own instead of the stage's default route throttle, which the public routes share the
   * configuration of. The account's regional API Gateway limit stays shared by everything; for a
   * flood that big, or an API that is down, `npm run ops:halt` invokes the operations Lambda
   * without API Gateway (ops/halt-cli.ts).
   */
  throttleRoutes(routes: readonly apigw.HttpRoute[], routeKeys: readonly string[], lane: { rateLimit: number; burstLimit: number }): void {
    const stage = this.stage.node.defaultChild as apigw.CfnStage;
    const settings: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }> = {};
    for (const key of routeKeys) settings[key] = { ThrottlingRateLimit: lane.rateLimit, ThrottlingBurstLimit: lane.burstLimit };
    stage.addPropertyOverride('RouteSettings', settings);
    // A route setting for a route key that does not exist yet fails the deployment.
    for (const r of routes) stage.node.addDependency(r);
  }

  get url(): string {
    return this.stage.url;
  }

  private integration(fn: lambda.IFunction): HttpLambdaIntegration {
    let integration = this.integrations.get(fn);
    if (!integration) {
      integration = new HttpLambdaIntegration(`${Names.uniqueId(fn)}Integration`, fn);
      this.integrations.set(fn, integration);
    }
    return integration;
  }

  /** A route that only callers with a valid token of the configured issuer and audience reach. */
  addAuthorizedRoute(method: Method, path: string, fn: lambda.IFunction): apigw.HttpRoute {
    const [route] = this.api.addRoutes({
      path,
      methods: [apigw.HttpMethod[method]],
      integration: this.integration(fn),
      authorizer: this.authorizer,
    });
    return route!;
  }

  /** A route without authorizer; the reason is recorded as the cdk-nag suppression. */
  addPublicRoute(method: Method, path: string, fn: lambda.IFunction, reason: string): apigw.HttpRoute {
    const [route] = this.api.addRoutes({
      path,
      methods: [apigw.HttpMethod[method]],
      integration: this.integration(fn),
    });
    Validations.of(route!).acknowledge({ id: 'AwsSolutions-APIG4', reason });
    return route!;
  }
}
