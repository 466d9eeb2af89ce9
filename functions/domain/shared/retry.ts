/**
 * The one retry policy of the platform: a doubling wait from `baseDelayMs`, capped at
 * `maxDelayMs`, half of it fixed and half jittered, so that callers throttled together do not
 * come back together, and a bounded number of attempts.
 */
export interface Backoff {
  /** Wait before the first retry (ms); doubles per retry … */
  readonly baseDelayMs: number;
  /** … up to this (ms). */
  readonly maxDelayMs: number;
  readonly random?: () => number;
}

export interface RetryOptions extends Backoff {
  /** Attempts, the first included. */
  readonly maxAttempts: number;
  /** Whether an error is worth another attempt (default: every error). */
  readonly retryable?: (error: unknown) => boolean;
  readonly sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The wait before retry number `retry` (0 for the first retry). */
export const backoffDelay = (retry: number, b: Backoff): number => {
  const ceiling = Math.min(b.maxDelayMs, b.baseDelayMs * 2 ** retry);
  return Math.round(ceiling / 2 + ((b.random ?? Math.random)() * ceiling) / 2);
};

/** `fn` until it succeeds, an error is not retryable, or `maxAttempts` are spent (then the last error). */
export const withRetry = async <T>(fn: (attempt: number) => Promise<T>, o: RetryOptions): Promise<T> => {
  const sleep = o.sleep ?? realSleep;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (attempt + 1 >= o.maxAttempts || !(o.retryable?.(e) ?? true)) throw e;
      await sleep(backoffDelay(attempt, o));
    }
  }
};

/**
 * A batch call that may leave part of its input over (DynamoDB's unprocessed keys, SQS's failed
 * entries): `step` is given what is left and returns what is still left, until nothing is, with
 * the same backoff between steps; `exhausted` is thrown when `maxAttempts` steps did not do it.
 */
export const drain = async <T>(items: readonly T[], step: (pending: T[]) => Promise<T[]>, o: Omit<RetryOptions, 'retryable'> & { readonly exhausted: () => Error }): Promise<void> => {
  const sleep = o.sleep ?? realSleep;
  let pending = [...items];
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt >= o.maxAttempts) throw o.exhausted();
    if (attempt > 0) await sleep(backoffDelay(attempt - 1, o));
    pending = await step(pending);
  }
};
