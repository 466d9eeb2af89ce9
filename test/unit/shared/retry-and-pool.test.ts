import { describe, expect, it } from 'vitest';
import { Limiter, mapLimited } from '../../../functions/domain/shared/concurrency.js';
import { backoffDelay, drain, withRetry } from '../../../functions/domain/shared/retry.js';

const noSleep = (waits: number[]) => async (ms: number) => {
  waits.push(ms);
};

describe('the retry helper', () => {
  it('should wait a doubling, capped time with half of it jittered', () => {
    const b = { baseDelayMs: 50, maxDelayMs: 1_000 };
    expect([0, 1, 2, 3, 4, 5, 6].map((r) => backoffDelay(r, { ...b, random: () => 1 }))).toEqual([50, 100, 200, 400, 800, 1_000, 1_000]);
    expect([0, 1, 5].map((r) => backoffDelay(r, { ...b, random: () => 0 }))).toEqual([25, 50, 500]);
  });

  it('should retry what is retryable up to maxAttempts and then throw the last error', async () => {
    const waits: number[] = [];
    let calls = 0;
    const failing = withRetry(
      async () => {
        calls++;
        throw new Error(`try ${calls}`);
      },
      { maxAttempts: 4, baseDelayMs: 10, maxDelayMs: 1_000, random: () => 1, sleep: noSleep(waits) },
    );
    await expect(failing).rejects.toThrow('try 4');
    expect(waits).toEqual([10, 20, 40]);
  });

  it('should not retry an error that is not retryable, and return the first success', async () => {
    let calls = 0;
    const o = { maxAttempts: 5, baseDelayMs: 1, maxDelayMs: 1, sleep: noSleep([]), retryable: (e: unknown) => (e as Error).message === 'busy' };
    await expect(withRetry(async () => Promise.reject(new Error(`fatal ${++calls}`)), o)).rejects.toThrow('fatal 1');
    let n = 0;
    expect(await withRetry(async (attempt) => (++n < 3 ? Promise.reject(new Error('busy')) : attempt), o)).toBe(2);
  });

  it("should drain what is left over until nothing is, and give up with the caller's error", async () => {
    const waits: number[] = [];
    const seen: number[][] = [];
    await drain([1, 2, 3], async (pending) => (seen.push(pending), pending.slice(1)), { maxAttempts: 5, baseDelayMs: 1, maxDelayMs: 1, sleep: noSleep(waits), exhausted: () => new Error('x') });
    expect(seen).toEqual([[1, 2, 3], [2, 3], [3]]);
    expect(waits).toHaveLength(2);
    await expect(drain([1], async (p) => p, { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1, sleep: noSleep([]), exhausted: () => new Error('stuck') })).rejects.toThrow('stuck');
  });
});

describe('the bounded-concurrency helpers', () => {
  it('should map every item with at most `width` in flight, results in input order', async () => {
    let active = 0;
    let peak = 0;
    const out = await mapLimited([5, 1, 4, 2, 3], 2, async (n) => {
      active++;
      peak = Math.max(peak, active);
      await new Promise((r) => setTimeout(r, n));
      active--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30]);
    expect(peak).toBe(2);
  });

  it('should let at most `limit` tasks of all callers run at once', async () => {
    const gate = new Limiter(3);
    let active = 0;
    let peak = 0;
    const task = async () => {
      active++;
      peak = Math.max(peak, active);
      await new Promise((r) => setTimeout(r, 1));
      active--;
    };
    await Promise.all(Array.from({ length: 10 }, () => gate.run(task)));
    expect(peak).toBe(3);
    await expect(gate.run(() => Promise.reject(new Error('no')))).rejects.toThrow('no');
    await gate.run(task);
  });
});
