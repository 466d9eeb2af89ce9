import { describe, expect, it } from 'vitest';
import { FleetRateLimiter, type RateWindowStore } from '../../../functions/adapters/channels/fleet-rate-limit.js';
import { rateLimitedDigipost, rateLimitedEprom } from '../../../functions/adapters/national/rate-limited.js';
import type { Dispatchable } from '../../../functions/domain/dispatch/channels.js';

/**
 * Virtual time: the clock moves only when every caller is waiting, to the earliest timer. So a
 * run of many seconds takes milliseconds and "per second" is exact.
 */
class VirtualTime {
  now = 1_700_000_000_000;
  private timers: { at: number; resolve: () => void }[] = [];
  clock = () => this.now;
  sleep = (ms: number, signal?: AbortSignal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const t = { at: this.now + Math.max(0, ms), resolve };
      this.timers.push(t);
      signal?.addEventListener(
        'abort',
        () => {
          this.timers = this.timers.filter((x) => x !== t);
          resolve();
        },
        { once: true },
      );
    });
  /** Runs until `done` settles, advancing the clock whenever nothing else can move. */
  async run<T>(done: Promise<T>): Promise<T> {
    let finished = false;
    const result = done.finally(() => {
      finished = true;
    });
    while (!finished) {
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
      if (finished) break;
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers.shift();
      if (!next) throw new Error('deadlock: nothing to wait for');
      this.now = Math.max(this.now, next.at);
      next.resolve();
    }
    return result;
  }
}

/** The shared store every worker's limiter counts in (one process here, DynamoDB deployed). */
class MemoryStore implements RateWindowStore {
  counts = new Map<string, number>();
  calls = 0;
  async take(service: string, second: number, shard: number, want: number, capacity: number): Promise<number> {
    this.calls++;
    await Promise.resolve();
    const key = `${service}#${second}#${shard}`;
    const n = this.counts.get(key) ?? 0;
    const got = Math.max(0, Math.min(want, capacity - n));
    this.counts.set(key, n + got);
    return got;
  }
}

const perSecond = (starts: readonly number[]) => {
  const m = new Map<number, number>();
  for (const t of starts) m.set(Math.floor(t / 1000), (m.get(Math.floor(t / 1000)) ?? 0) + 1);
  return m;
};

describe('the fleet rate limit per service', () => {
  it.each([1, 4])('never starts more than the ceiling in any second, with 32 workers of 8 calls in flight each (%i shards)', async (shards) => {
    const time = new VirtualTime();
    const store = new MemoryStore();
    const RATE = 50;
    const starts: number[] = [];
    let seed = 7;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    // One limiter per worker, as one per Lambda container; all count in the same store.
    const workers = Array.from({ length: 32 }, () => new FleetRateLimiter({ service: 'eprom', store, ratePerSecond: RATE, shards, clock: time.clock, sleep: time.sleep, random }));
    const never = new AbortController().signal;
    const letters = 600;
    let next = 0;
    const slot = async (limiter: FleetRateLimiter) => {
      while (next < letters) {
        next++;
        expect(await limiter.take(never)).toBe(true);
        starts.push(time.now);
        await time.sleep(50 + Math.floor(random() * 250)); // the call: 50–300 ms
      }
    };
    await time.run(Promise.all(workers.flatMap((w) => Array.from({ length: 8 }, () => slot(w)))));

    expect(starts).toHaveLength(letters);
    const counts = perSecond(starts);
    expect(Math.max(...counts.values())).toBeLessThanOrEqual(RATE);
    // And the ceiling is what it runs at, not far below it: 600 letters at 50/s in about 12 s.
    const seconds = Math.floor(Math.max(...starts) / 1000) - Math.floor(Math.min(...starts) / 1000) + 1;
    expect(seconds).toBeLessThanOrEqual(Math.ceil(letters / RATE) + 2);
    // Tokens are taken in chunks, not one store call per letter (one counter: a refusal per worker and second at most).
    if (shards === 1) expect(store.calls).toBeLessThan(letters);
  });

  it('answers no token when the signal aborts before one is free, at the abort and not later', async () => {
    const time = new VirtualTime();
    const store = new MemoryStore();
    const limiter = new FleetRateLimiter({ service: 'digipost', store, ratePerSecond: 5, shards: 1, clock: time.clock, sleep: time.sleep });
    time.now = 1_700_000_000_100; // 900 ms left in this second
    const wave = new AbortController();
    void time.sleep(300).then(() => wave.abort());
    const answers: { ok: boolean; at: number }[] = [];
    await time.run(Promise.all(Array.from({ length: 20 }, async () => answers.push({ ok: await limiter.take(wave.signal), at: time.now }))));
    expect(answers.filter((a) => a.ok)).toHaveLength(5);
    const refused = answers.filter((a) => !a.ok);
    expect(refused).toHaveLength(15);
    for (const a of refused) expect(a.at).toBe(1_700_000_000_400);
  });

  it('never calls a letter that got no token: it is transient rate_limited, not in doubt', async () => {
    const called: string[] = [];
    const refuse = { take: async () => false };
    const item = { deliveryId: 'd1', roundId: 'r1', projectId: 'p1', nin: '01010150000', letter: { subject: 's', body: 'b', language: 'nb' } } as unknown as Dispatchable;
    const eprom = rateLimitedEprom({ send: async (i) => (called.push(i.deliveryId), { result: { ok: true }, messageToCitizenId: 'm' }) }, refuse);
    const digipost = rateLimitedDigipost({ send: async (i) => (called.push(i.deliveryId), { result: { ok: true }, documentUuid: 'u' }), find: async () => ({}) }, refuse);
    const signal = AbortSignal.abort();
    expect((await eprom.send(item, { signal })).result).toEqual({ ok: false, transient: true, reason: 'rate_limited' });
    expect((await digipost.send(item, false, { signal })).result).toEqual({ ok: false, transient: true, reason: 'rate_limited' });
    // A store that cannot be asked admits nobody either.
    const broken = rateLimitedEprom({ send: async (i) => (called.push(i.deliveryId), { result: { ok: true } }) }, { take: async () => Promise.reject(new Error('throttled')) });
    expect((await broken.send(item, { signal: new AbortController().signal })).result).toMatchObject({ transient: true, reason: 'rate_limited' });
    expect(called).toEqual([]);
  });
});
