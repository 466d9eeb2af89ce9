import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../../functions/shared/metric-names.js';

/** Repository root, so handler entries can be written as in routes.ts ("functions/handlers/…"). */
export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface AppFunctionProps {
  /** Handler module relative to the repository root; it exports `handler`. */
  readonly entry: string;
  readonly description: string;
  readonly timeout?: Duration;
  readonly memorySize?: number;
  readonly environment?: Record<string, string>;
  /**
   * Concurrency held for this function alone (and its ceiling): a flood of other functions in the
   * account cannot throttle it. For the operations lane (halt, pause).
   */
  readonly reservedConcurrency?: number;
}

/**
 * A Node.js Lambda with the platform's defaults. Its role is created here, not by NodejsFunction,
 * so it gets no AWS-managed policy: logging is granted on its own log group only, and everything
 * else is added by explicit grants (see data-access.ts).
 */
export class AppFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: AppFunctionProps) {
    super(scope, id);

    // Explicit log group with retention instead of the deprecated logRetention custom resource,
    // which would add a singleton Lambda with broad logs permissions.
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${props.description}`,
    });
    this.logGroup.grantWrite(this.role);

    this.fn = new NodejsFunction(this, 'Fn', {
      entry: path.join(projectRoot, props.entry),
      handler: 'handler',
      projectRoot,
      depsLockFilePath: path.join(projectRoot, 'package-lock.json'),
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      ...(props.reservedConcurrency ? { reservedConcurrentExecutions: props.reservedConcurrency } : {}),
      timeout: props.timeout ?? Duration.seconds(29),
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      tracing: lambda.Tracing.ACTIVE,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        // Powertools: one service name for logs, metrics and traces (the alarms and dashboard
        // select on it); traces carry neither responses nor error messages (tracer.ts).
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        POWERTOOLS_TRACER_CAPTURE_RESPONSE: 'false',
        POWERTOOLS_TRACER_CAPTURE_ERROR: 'false',
        // Deployed Lambdas never accept synthetic test persons unless an operator opts in.
        ALLOW_SYNTHETIC_NINS: 'false',
        ...props.environment,
      },
      bundling: {
        // The locally installed esbuild keeps synth offline and free of Docker.
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        target: 'node22',
        minify: true,
        sourceMap: true,
        // Pin the SDK version we test against instead of whatever the runtime ships.
        bundleAwsSDK: true,
        mainFields: ['module', 'main'],
        // Some CommonJS dependencies call require(); ESM output has none without this shim.
        banner: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
      },
    });

    Validations.of(this.fn).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'nodejs22.x is the platform runtime by decision (issue 2): the handlers are tested on Node 20 and 22 locally, and 22.x is in Lambda standard support; moving to 24.x is a deliberate upgrade with its own test run, not a side effect of a CDK bump.',
    });
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'Active X-Ray tracing needs xray:PutTraceSegments and xray:PutTelemetryRecords, which do not support resource-level permissions, so their resource is "*". Actions are named one by one.',
    });
  }
}
