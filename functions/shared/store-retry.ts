import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { backoffDelay } from '../domain/shared/retry.js';

/** The SDK's retry-strategy interface (v2), as the DynamoDB client's configuration names it. */
type RetryStrategyV2 = Extract<NonNullable<DynamoDBClientConfig['retryStrategy']>, { refreshRetryTokenForRetry: unknown }>;
type ErrorInfo = Parameters<RetryStrategyV2['refreshRetryTokenForRetry']>[1];

export interface StoreRetryOptions {
  /** Attempts per call, the first included. */
  readonly maxAttempts: number;
  /** Wait before the first retry (ms); doubles per retry … */
  readonly baseDelayMs: number;
  /** … up to this (ms). */
  readonly maxDelayMs: number;
  /**
   * Retries a client may spend before it stops retrying (a throttle costs 5, any other transient
   * failure 10; a success gives back what its retries cost, or 1): as the SDK's standard mode, so
   * a store that is down is not hammered by every call of a container.
   */
  readonly budget?: number;
  readonly random?: () => number;
}

class Token {
  constructor(
    readonly count: number,
    readonly delay: number,
    readonly cost: number | undefined,
  ) {}
  getRetryCount() {
    return this.count;
  }
  getRetryDelay() {
    return this.delay;
  }
  getRetryCost() {
    return this.cost;
  }
}

/**
 * Store calls retried where they are made: a throttled or failed DynamoDB call (the SDK's
 * THROTTLING and TRANSIENT errors: ProvisionedThroughputExceeded, RequestLimitExceeded, 5xx, a
 * dropped connection) is tried again after a short, jittered, doubling wait, up to `maxAttempts` —
 * so a throttled gate read costs the batch a second, not the queue's visibility timeout. The waits
 * stay short on purpose (the SDK's standard mode starts at 1 s for throttles and grows to 20 s,
 * longer than a worker's whole invocation): with the defaults below all retries of one call take
 * at most 3.6 s.
 */
export class StoreRetryStrategy implements RetryStrategyV2 {
  readonly mode = 'standard';
  private capacity: number;
  private readonly random: () => number;

  constructor(private readonly opts: StoreRetryOptions) {
    this.capacity = opts.budget ?? 500;
    this.random = opts.random ?? Math.random;
  }

  async acquireInitialRetryToken(): Promise<Token> {
    return new Token(0, 0, undefined);
  }

  async refreshRetryTokenForRetry(token: Token, info: ErrorInfo): Promise<Token> {
    const retryable = info.errorType === 'THROTTLING' || info.errorType === 'TRANSIENT';
    const cost = info.errorType === 'THROTTLING' ? 5 : 10;
    if (!retryable || token.getRetryCount() + 1 >= this.opts.maxAttempts || this.capacity < cost) throw new Error('no retry');
    this.capacity -= cost;
    // The platform's one backoff (domain/shared/retry.ts): half fixed, half jitter.
    const delay = backoffDelay(token.getRetryCount(), { ...this.opts, random: this.random });
    return new Token(token.getRetryCount() + 1, delay, cost + (token.getRetryCost() ?? 0));
  }

  recordSuccess(token: Token): void {
    this.capacity = Math.min(this.opts.budget ?? 500, this.capacity + (token.getRetryCost() ?? 1));
  }
}
