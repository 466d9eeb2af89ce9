import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { signOperation, type OperationsKey } from './operation-token.js';

/**
 * The halt that does not need the public API: `npm run ops:halt` calls the operations handler
 * (functions/handlers/operations/index.ts) with the event API Gateway would have built for
 * POST /operations/halt — either by invoking the deployed operations Lambda with the operator's
 * own AWS credentials, or, for the local runtime, by calling the same handler module in this
 * process against the running `npm start`'s DynamoDB and queues. Either way the event carries a
 * token signed with the operations signing key (ops/operation-token.ts), which the handler
 * verifies: lambda:InvokeFunction alone vouches for nothing, and requestContext claims are ignored.
 * Same handler, same validation, same use case, same audit entry (`dispatch.halted` by the
 * operator named in the event); only the transport differs.
 */

export const HALT_ROUTE = 'POST /operations/halt';

export interface HaltOutcome {
  readonly status: number;
  readonly body: unknown;
}

/** The API Gateway v2 event of an operations principal's POST /operations/halt. */
export const haltEvent = (reason: string, token: string): APIGatewayProxyEventV2WithJWTAuthorizer => {
  const now = new Date();
  return {
    version: '2.0',
    routeKey: HALT_ROUTE,
    rawPath: '/operations/halt',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ reason }),
    isBase64Encoded: false,
    requestContext: {
      accountId: 'ops-cli',
      apiId: 'ops-cli',
      // No claims: the handler reads the caller from the signed token only.
      authorizer: { principalId: '', integrationLatency: 0, jwt: { claims: {}, scopes: [] } },
      domainName: 'ops-cli',
      domainPrefix: 'ops-cli',
      http: { method: 'POST', path: '/operations/halt', protocol: 'HTTP/1.1', sourceIp: '', userAgent: 'research-dispatch ops:halt' },
      requestId: randomUUID(),
      routeKey: HALT_ROUTE,
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
  };
};

const outcome = (result: APIGatewayProxyStructuredResultV2): HaltOutcome => {
  const text = result.body ?? '';
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // Not JSON: report the text as it came.
  }
  return { status: result.statusCode ?? 200, body };
};

const ROOT = join(import.meta.dirname, '..');

const context = (): Context => ({
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'ops-cli-operations',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:ops-cli-operations',
  memoryLimitInMB: '512',
  awsRequestId: randomUUID(),
  logGroupName: '/ops-cli',
  logStreamName: 'ops-cli',
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});

/**
 * Calls the operations handler module in this process. `env` is the runtime's configuration
 * (table and queue names, endpoints, the local hash key) as local/platform.ts sets it; it is
 * applied before the handler module is first loaded.
 */
export const haltInProcess = async (reason: string, actor: string, env: Readonly<Record<string, string>>, key: OperationsKey): Promise<HaltOutcome> => {
  Object.assign(process.env, env);
  const mod = (await import(pathToFileURL(join(ROOT, 'functions/handlers/operations/index.ts')).href)) as {
    handler: (e: APIGatewayProxyEventV2WithJWTAuthorizer, c: Context) => Promise<APIGatewayProxyStructuredResultV2>;
  };
  return outcome(await mod.handler(haltEvent(reason, await signOperation(key, actor, HALT_ROUTE)), context()));
};

/** Invokes the deployed operations Lambda directly (no API Gateway): the signed operation is the credential. */
export const haltViaLambda = async (reason: string, actor: string, key: OperationsKey, functionName: string, region?: string): Promise<HaltOutcome> => {
  const { LambdaClient, InvokeCommand } = await import('@aws-sdk/client-lambda');
  const client = new LambdaClient(region ? { region } : {});
  const res = await client.send(
    new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', Payload: Buffer.from(JSON.stringify(haltEvent(reason, await signOperation(key, actor, HALT_ROUTE)))) }),
  );
  const payload = res.Payload ? Buffer.from(res.Payload).toString('utf8') : '';
  if (res.FunctionError) throw new Error(`the operations function failed (${res.FunctionError}): ${payload.slice(0, 500)}`);
  return outcome(JSON.parse(payload) as APIGatewayProxyStructuredResultV2);
};
