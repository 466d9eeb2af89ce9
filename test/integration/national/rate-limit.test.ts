import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoRateWindowStore } from '../../../functions/adapters/dynamo/rate-limit-store.js';
import { NationalChannelGateway } from '../../../functions/adapters/national/channel-gateway.js';
import { fleetRateLimited } from '../../../functions/adapters/national/index.js';
import { documentUuidOf } from '../../../functions/adapters/national/digipost.js';
import type { ChannelResult, Dispatchable } from '../../../functions/domain/dispatch/channels.js';
import type { Channel } from '../../../functions/domain/shared/channel.js';
import type { HandOver } from '../../../functions/domain/receipts/ports.js';
import { startTestPlatform, type TestPlatform } from '../../setup/platform.js';
import { nationalOf } from './helpers.js';

/**
 * The fleet's rate limit per service against DynamoDB Local: 32 workers, each with its own limiter
 * (as each Lambda container has), 8 calls in flight each, count in the main table's per-second
 * counters; a fake channel counts the calls it gets per second of their start.
 */
let p: TestPlatform;
let db: ReturnType<typeof nationalOf>['db'];
beforeAll(async () => {
  p = await startTestPlatform({ pollers: false });
  db = nationalOf(p).db;
});
afterAll(async () => {
  await p?.stop();
});

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const letter = (roundId: string, i: number) =>
  ({ deliveryId: `d${i}`, roundId, projectId: 'p-rate', nin: '01010150000', letter: { subject: 's', body: 'b', language: 'nb' } }) as unknown as Dispatchable;

/** A channel that answers after 20–80 ms and notes when each call started. */
const fakeChannel = () => {
  const starts: number[] = [];
  const call = async () => {
    starts.push(Date.now());
    await sleep(20 + Math.random() * 60);
  };
  return {
    starts,
    eprom: { send: async (i: Dispatchable) => (await call(), { result: { ok: true } as ChannelResult, messageToCitizenId: `m-${i.roundId}-${i.deliveryId}` }) },
    digipost: { send: async (i: Dispatchable) => (await call(), { result: { ok: true } as ChannelResult, documentUuid: documentUuidOf(i.deliveryId) }), find: async () => undefined },
  };
};
const memoryReceipts = () => {
  const rows: HandOver[] = [];
  return { handedOver: async (h: readonly HandOver[]) => void rows.push(...h), handedOverAmong: async () => new Map<string, Channel | undefined>() };
};
const perSecond = (starts: readonly number[]) => {
  const m = new Map<number, number>();
  for (const t of starts) m.set(Math.floor(t / 1000), (m.get(Math.floor(t / 1000)) ?? 0) + 1);
  return m;
};

describe('the rate limit per channel across the fleet', () => {
  it('keeps 32 workers together under the ceiling in every second, and the counters expire', { timeout: 60_000 }, async () => {
    const RATE = 40;
    const channel = fakeChannel();
    const roundId = `rnd_rate_${Date.now()}`;
    const workers = Array.from({ length: 32 }, () => {
      const limited = fleetRateLimited(channel, { db, mainTable: p.env.TABLE_MAIN!, ratePerSecond: { eprom: RATE, digipost: RATE }, chunk: 8 });
      return new NationalChannelGateway({ ...limited, receipts: memoryReceipts(), concurrency: 8 });
    });
    const wave = AbortSignal.timeout(45_000);
    // Each worker hands over 10 letters of one wave: 320 letters, 8 s at 40/s.
    const results = await Promise.all(
      workers.map((w, n) =>
        w.handOver(
          'helsenorge',
          Array.from({ length: 10 }, (_, i) => letter(roundId, n * 10 + i)),
          { signal: wave },
        ),
      ),
    );
    expect(results.flatMap((r) => [...r.values()]).every((r) => r.ok)).toBe(true);
    expect(channel.starts).toHaveLength(320);
    const counts = perSecond(channel.starts);
    expect(Math.max(...counts.values()), JSON.stringify([...counts])).toBeLessThanOrEqual(RATE);
    // At the ceiling, not far below: 320 letters in at most 8 + 2 seconds.
    expect(counts.size).toBeLessThanOrEqual(10);

    const second = Math.floor(channel.starts[0]! / 1000);
    const counter = (await db.send(new GetCommand({ TableName: p.env.TABLE_MAIN!, Key: { pk: `RATE#eprom#${second}#0`, sk: 'COUNT' } }))).Item;
    expect(counter?.taken).toBeLessThanOrEqual(RATE);
    expect(counter?.expiresAt).toBe(second + 60);
  });

  it('a counter grants what is left of its capacity and then nothing', async () => {
    const store = new DynamoRateWindowStore(db, p.env.TABLE_MAIN!);
    const second = Math.floor(Date.now() / 1000) + 1_000;
    expect(await store.take('eprom', second, 0, 7, 10)).toBe(7);
    expect(await store.take('eprom', second, 0, 8, 10)).toBe(3);
    expect(await store.take('eprom', second, 0, 1, 10)).toBe(0);
    // Another second, another shard, another service: counted apart.
    expect(await store.take('eprom', second, 1, 8, 10)).toBe(8);
    expect(await store.take('digipost', second, 0, 8, 10)).toBe(8);
  });

  it('a letter that gets no token before the wave deadline is not called and comes back transient rate_limited', { timeout: 30_000 }, async () => {
    const channel = fakeChannel();
    const limited = fleetRateLimited(channel, { db, mainTable: p.env.TABLE_MAIN!, ratePerSecond: { eprom: 5, digipost: 5 }, chunk: 8 });
    const gateway = new NationalChannelGateway({ ...limited, receipts: memoryReceipts(), concurrency: 8 });
    const roundId = `rnd_rate_abort_${Date.now()}`;
    const out = await gateway.handOver(
      'digital-mailbox',
      Array.from({ length: 30 }, (_, i) => letter(roundId, i)),
      { signal: AbortSignal.timeout(1_500) },
    );
    const answers = [...out.values()];
    const sent = answers.filter((r) => r.ok).length;
    expect(sent).toBe(channel.starts.length);
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThanOrEqual(10); // 5/s over at most two seconds
    // Those waiting for a token when the deadline came are rate_limited; those whose turn came
    // after it never asked (the gateway's channel_timeout). Neither was called, neither is in doubt.
    const waited = answers.filter((r) => !r.ok);
    expect(waited).toHaveLength(30 - sent);
    for (const r of waited) expect(r).toMatchObject({ ok: false, transient: true, reason: expect.stringMatching(/^(rate_limited|channel_timeout)$/) });
    expect(waited.filter((r) => !r.ok && r.transient && r.reason === 'rate_limited')).toHaveLength(8);
  });
});
