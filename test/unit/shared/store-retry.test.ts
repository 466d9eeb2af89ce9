import { describe, expect, it } from 'vitest';
import { StoreRetryStrategy } from '../../../functions/shared/store-retry.js';

const throttle = { errorType: 'THROTTLING' as const, error: new Error('throttled') } as never;
const clientError = { errorType: 'CLIENT_ERROR' as const, error: new Error('validation') } as never;

describe('the store retry strategy', () => {
  it('should wait a doubling, jittered, capped time between attempts and stop at maxAttempts', async () => {
    const s = new StoreRetryStrategy({ maxAttempts: 8, baseDelayMs: 50, maxDelayMs: 1_000, random: () => 1 });
    let token = await s.acquireInitialRetryToken();
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) delays.push((token = await s.refreshRetryTokenForRetry(token, throttle)).getRetryDelay());
    expect(delays).toEqual([50, 100, 200, 400, 800, 1_000, 1_000]);
    await expect(s.refreshRetryTokenForRetry(token, throttle)).rejects.toThrow();
  });

  it('should never retry a client error (a failed condition, a validation error)', async () => {
    const s = new StoreRetryStrategy({ maxAttempts: 8, baseDelayMs: 50, maxDelayMs: 1_000 });
    await expect(s.refreshRetryTokenForRetry(await s.acquireInitialRetryToken(), clientError)).rejects.toThrow();
  });

  it('should stop retrying once its budget is spent, and earn it back with successes', async () => {
    const s = new StoreRetryStrategy({ maxAttempts: 8, baseDelayMs: 1, maxDelayMs: 1, budget: 10 });
    const first = await s.refreshRetryTokenForRetry(await s.acquireInitialRetryToken(), throttle);
    await s.refreshRetryTokenForRetry(await s.acquireInitialRetryToken(), throttle);
    await expect(s.refreshRetryTokenForRetry(await s.acquireInitialRetryToken(), throttle)).rejects.toThrow();
    s.recordSuccess(first);
    await expect(s.refreshRetryTokenForRetry(await s.acquireInitialRetryToken(), throttle)).resolves.toBeDefined();
  });
});
