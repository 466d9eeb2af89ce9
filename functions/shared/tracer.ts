import { Tracer } from '@aws-lambda-powertools/tracer';
import { SERVICE_NAME } from './metric-names.js';

/**
 * X-Ray through Powertools: a segment per invocation (middleware in http.ts and sqs.ts) and a
 * subsegment per AWS SDK call (clients.ts). Off outside Lambda (local runtime, tests). Responses
 * and errors are not attached to traces (POWERTOOLS_TRACER_CAPTURE_RESPONSE/ERROR=false on every
 * function, lib/constructs/app-function.ts): a citizen's inbox or an error message is not trace
 * metadata.
 */
export const tracer = new Tracer({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? SERVICE_NAME });
