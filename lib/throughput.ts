/**
 * The deployed throughput settings, in one place. CDK passes them to the functions as environment
 * variables (throughputEnv, lib/stateless-stack.ts) and the functions take their defaults from here
 * (functions/adapters/index.ts, functions/adapters/national/config.ts), so what is deployed, what
 * runs locally and what docs/capacity.md derives its figures from are the same numbers.
 * test/infra/stateless-stack.test.ts asserts the synthesised values. Plain data: no CDK or SDK imports.
 *
 * What they give together (docs/capacity.md): letters in flight towards one channel across the
 * fleet = dispatchMaxConcurrency × channelInFlight; letters/s ≈ that ÷ the channel's latency,
 * capped by channelRatePerSecond.
 */
export interface ThroughputSettings {
  /** Messages (batches) one round may have on the dispatch queue at once: fairness between rounds (DISPATCH_WINDOW). */
  readonly roundWindow: number;
  /** Concurrent dispatch workers at most: the event source's maximum concurrency (lib/resources.ts). */
  readonly dispatchMaxConcurrency: number;
  /** Channel calls one worker keeps open at once towards a channel (CHANNEL_IN_FLIGHT). */
  readonly channelInFlight: number;
  /** Letters one batch hands over in one wave, what a pause waits for at most (DISPATCH_WAVE_WIDTH). */
  readonly waveWidth: number;
  /**
   * Letters per second the whole fleet may start towards each service, whatever the number of
   * workers (a shared counter in DynamoDB: functions/adapters/dynamo/rate-limit-store.ts).
   * Placeholders for the figures agreed with ePROM and Digipost before a national round; set above
   * what the other settings can reach (see docs/capacity.md), so they bind only when those are raised.
   */
  readonly channelRatePerSecond: { readonly eprom: number; readonly digipost: number };
}

export const throughput: ThroughputSettings = {
  roundWindow: 8,
  dispatchMaxConcurrency: 8,
  // A wave is one round trip: every letter of it in flight at once (waveWidth ≤ channelInFlight),
  // so a pause, a halt or a registry outage waits for at most one channel call per worker.
  channelInFlight: 25,
  waveWidth: 25,
  channelRatePerSecond: { eprom: 1_000, digipost: 1_000 },
};

/** The environment variables the functions read each setting from. */
export const THROUGHPUT_ENV = {
  roundWindow: 'DISPATCH_WINDOW',
  channelInFlight: 'CHANNEL_IN_FLIGHT',
  waveWidth: 'DISPATCH_WAVE_WIDTH',
  epromRate: 'CHANNEL_RATE_EPROM',
  digipostRate: 'CHANNEL_RATE_DIGIPOST',
} as const;

/**
 * What CDK sets on every function that plans or sends batches. (dispatchMaxConcurrency is not an
 * environment variable: it is the event source mapping's setting, read from lib/resources.ts.)
 */
export const throughputEnv = (s: ThroughputSettings = throughput): Record<string, string> => ({
  [THROUGHPUT_ENV.roundWindow]: String(s.roundWindow),
  [THROUGHPUT_ENV.channelInFlight]: String(s.channelInFlight),
  [THROUGHPUT_ENV.waveWidth]: String(s.waveWidth),
  [THROUGHPUT_ENV.epromRate]: String(s.channelRatePerSecond.eprom),
  [THROUGHPUT_ENV.digipostRate]: String(s.channelRatePerSecond.digipost),
});
