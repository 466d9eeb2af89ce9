import type { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { MiddlewareObj } from '@middy/core';
import { SERVICE_NAME } from './metric-names.js';

/**
 * X-Ray through Powertools: a segment per invocation (middleware in http.ts and sqs.ts) and a
 * subsegment per AWS SDK call (clients.ts). Responses and errors are not attached to traces
 * (POWERTOOLS_TRACER_CAPTURE_RESPONSE/ERROR=false on every function, lib/constructs/app-function.ts):
 * a citizen's inbox or an error message is not trace metadata.
 *
 * Loaded only inside Lambda with tracing on. Importing the tracer loads the X-Ray SDK, whose
 * cls-hooked installs async hooks with destroy tracking: every promise in the process then costs
 * about six times as much (2,000,000 awaited promises: 262 ms without, 1,486 ms with, on the
 * 2-core machine). Outside Lambda the tracer was a no-op that still paid that price on every
 * promise — in the local runtime, where the whole platform shares one process, it was the largest
 * single cost after the SDK itself (≈12 % of the CPU profile of `npm run bench:dispatch`).
 */
const tracingOn = Boolean(process.env.AWS_LAMBDA_FUNCTION_NAME) && process.env.POWERTOOLS_TRACE_ENABLED !== 'false';

export const tracer: Tracer | undefined = tracingOn ? new (await import('@aws-lambda-powertools/tracer')).Tracer({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? SERVICE_NAME }) : undefined;

/** An AWS SDK client, with a subsegment per call where tracing is on; the client itself elsewhere. */
export const traced = <T>(client: T): T => (tracer ? tracer.captureAWSv3Client(client) : client);

/** A segment per invocation where tracing is on; nothing elsewhere (middy refuses an empty middleware, so a pass-through). */
export const traceInvocations = <E, R>(): MiddlewareObj<E, R> => (tracer ? captureLambdaHandler(tracer, { captureResponse: false }) : { before: () => undefined });
