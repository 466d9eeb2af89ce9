import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

/**
 * The X-Ray SDK (through the Powertools tracer) installs async hooks that make every promise in
 * the process several times slower; outside Lambda the tracer does nothing, so it must not be loaded.
 */
describe('the tracer outside Lambda', () => {
  it('test_should_not_load_the_xray_sdk_or_its_async_hooks_when_not_running_in_lambda', async () => {
    expect(process.env.AWS_LAMBDA_FUNCTION_NAME).toBeUndefined();
    const clients = await import('../../../functions/shared/clients.js');
    await import('../../../functions/shared/http.js');
    await import('../../../functions/shared/sqs.js');
    const { tracer } = await import('../../../functions/shared/tracer.js');
    expect(tracer).toBeUndefined();
    expect(clients.dynamo()).toBeDefined();
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    expect(loaded.filter((k) => k.includes('aws-xray-sdk') || k.includes('cls-hooked'))).toEqual([]);
  });
});
