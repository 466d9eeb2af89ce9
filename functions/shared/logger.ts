import { LogFormatter, LogItem, Logger } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';
import { redactDeep } from './redact.js';

/**
 * The Powertools record shape, with every national-ID-like value masked after all attributes
 * (message, extra keys, errors and their stacks) are assembled — so no call site can leak one.
 */
class RedactingFormatter extends LogFormatter {
  override formatAttributes(attributes: UnformattedAttributes, additional: LogAttributes): LogItem {
    const base: LogAttributes = {
      level: attributes.logLevel,
      message: attributes.message,
      timestamp: this.formatTimestamp(attributes.timestamp),
      service: attributes.serviceName,
    };
    // Identifiers AWS assigns are not redacted: a request id such as "…-b33730340369" can hold
    // eleven digits that pass the ID check, and masking it would break the correlation the
    // Lambda context is there for. They are set last, so no attribute can impersonate them.
    const trusted: LogAttributes = {
      function_name: attributes.lambdaContext?.functionName,
      function_request_id: attributes.lambdaContext?.awsRequestId,
      xray_trace_id: attributes.xRayTraceId,
    };
    return new LogItem({ attributes: { ...(redactDeep({ ...base, ...additional }) as LogAttributes), ...trusted } });
  }
}

export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'research-dispatch',
  logFormatter: new RedactingFormatter(),
});

/**
 * Keys for every log line of the rest of this invocation: the dispatch engine calls this when it
 * knows which round and batch it is working on (planner: projectId, roundId; worker: also batch).
 * Ids only — never a national ID or a citizen key. The middleware (injectLambdaContext with
 * resetKeys, in http.ts and sqs.ts) removes them when the invocation ends, so the next event in
 * the same container does not inherit them. (The local pollers run invocations of one module
 * concurrently in one process; there a line may carry a neighbour's keys.)
 */
export const setLogKeys = (keys: { readonly projectId?: string; readonly roundId?: string; readonly batch?: number }): void => {
  const defined = Object.fromEntries(Object.entries(keys).filter(([, v]) => v !== undefined));
  logger.appendKeys(defined);
};
