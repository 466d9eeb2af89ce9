/**
 * A ceiling on the letters per second the whole fleet starts towards one service (ePROM, Digipost),
 * however many workers run: a fixed-window counter per second in a shared store, split into
 * shards whose capacities add up to the ceiling. A worker takes tokens in small chunks (one
 * conditional ADD for up to `chunk` letters) and spends them only inside the second they were
 * counted in — a token left at the end of its second is dropped, never carried over — so the
 * letters started in any second never exceed the ceiling. When the second is used up, a caller
 * waits for the next one, but never past its abort signal: then it gets no token, and the letter
 * is not called.
 */
export interface RateWindowStore {
  /**
   * Adds up to `want` to the count of `service` in `second` (shard `shard`) without letting it
   * pass `capacity`; answers how many were added (0 when the shard's second is full).
   */
  take(service: string, second: number, shard: number, want: number, capacity: number): Promise<number>;
}

export interface FleetRateLimiterOptions {
  readonly service: string;
  readonly store: RateWindowStore;
  /** Letters per second for the whole fleet. */
  readonly ratePerSecond: number;
  /**
   * Counters per second (default 1). One item takes ~1,000 writes/s, and a take counts up to
   * `chunk` letters, so one counter serves thousands of letters/s; more shards spread the writes
   * further but cost a refused write per shard and worker when a second is used up.
   */
  readonly shards?: number;
  /** Tokens asked for at once at most (default 8, a worker's calls in flight). */
  readonly chunk?: number;
  /**
   * A token is not handed out in the last `guardMs` of its second (default 25 ms), so the call it
   * admits starts inside that second, not just after it, where the next second's tokens also run.
   */
  readonly guardMs?: number;
  readonly clock?: () => number;
  /** Waits `ms`, or less when `signal` aborts. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly random?: () => number;
}

export const abortableSleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal.addEventListener('abort', done, { once: true });
  });

export class FleetRateLimiter {
  private readonly shards: number;
  private readonly chunk: number;
  private readonly guardMs: number;
  private readonly clock: () => number;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  private readonly random: () => number;
  /** Tokens this worker holds for `second`. */
  private held = { second: -1, left: 0 };
  /** The second every shard was found full in: wait for the next one without asking again. */
  private fullSecond = -1;
  private refill: Promise<void> | undefined;
  private waiting = 0;

  constructor(private readonly opts: FleetRateLimiterOptions) {
    if (!(opts.ratePerSecond >= 1)) throw new Error(`rate limit of ${opts.service} must be at least 1 letter/s`);
    this.shards = Math.max(1, Math.min(opts.shards ?? 1, Math.floor(opts.ratePerSecond)));
    this.chunk = Math.max(1, Math.min(opts.chunk ?? 8, Math.floor(opts.ratePerSecond / this.shards)));
    this.guardMs = opts.guardMs ?? 25;
    this.clock = opts.clock ?? Date.now;
    this.sleep = opts.sleep ?? abortableSleep;
    this.random = opts.random ?? Math.random;
  }

  /** A shard's share of the ceiling; the shares add up to it exactly. */
  private capacity(shard: number): number {
    const rate = Math.floor(this.opts.ratePerSecond);
    return Math.floor(rate / this.shards) + (shard < rate % this.shards ? 1 : 0);
  }

  /**
   * One token for one letter, to be spent at once: true when the caller may start the call now,
   * false when `signal` aborted first (the letter must not be called). Throws when the store
   * cannot be asked.
   */
  async take(signal: AbortSignal): Promise<boolean> {
    this.waiting++;
    try {
      for (;;) {
        if (signal.aborted) return false;
        const now = this.clock();
        const second = Math.floor(now / 1000);
        const nextSecond = (second + 1) * 1000;
        if (now >= nextSecond - this.guardMs || this.fullSecond === second) {
          await this.sleep(nextSecond - now, signal);
          continue;
        }
        if (this.held.second === second && this.held.left > 0) {
          this.held.left--;
          return true;
        }
        if (this.refill) {
          await this.refill;
          continue;
        }
        this.refill = this.fill(second).finally(() => {
          this.refill = undefined;
        });
        await this.refill;
      }
    } finally {
      this.waiting--;
    }
  }

  private async fill(second: number): Promise<void> {
    const want = Math.max(1, Math.min(this.chunk, this.waiting));
    const first = Math.floor(this.random() * this.shards);
    for (let i = 0; i < this.shards; i++) {
      const shard = (first + i) % this.shards;
      const got = await this.opts.store.take(this.opts.service, second, shard, Math.min(want, this.capacity(shard)), this.capacity(shard));
      if (got > 0) {
        this.held = { second, left: (this.held.second === second ? this.held.left : 0) + got };
        return;
      }
    }
    this.fullSecond = second;
  }
}
