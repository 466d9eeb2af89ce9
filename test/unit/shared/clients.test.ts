import { describe, expect, it } from 'vitest';
import { dynamo, dynamoClient, s3, s3Presigner, sqs } from '../../../functions/shared/clients.js';

/**
 * The SDK's logger middleware runs on every call even with its no-op logger: it walks the whole
 * input and output through the operation's schema (schemaLogFilter) to build a log line nobody
 * reads — a deep copy of every BatchGet and Query answer on the dispatch and preparation hot path.
 */
const hasLogger = (client: { middlewareStack: { identify(): string[] } }) => client.middlewareStack.identify().some((m) => m.startsWith('loggerMiddleware'));

describe('AWS clients', () => {
  it('test_should_not_run_the_sdk_logger_middleware_on_any_client', () => {
    expect(hasLogger(dynamo())).toBe(false);
    expect(hasLogger(dynamoClient({ region: 'eu-north-1' }))).toBe(false);
    expect(hasLogger(sqs())).toBe(false);
    expect(hasLogger(s3())).toBe(false);
    expect(hasLogger(s3Presigner())).toBe(false);
  });
});
