import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoReceiptsStore, RECEIPT_SHARDS } from '../../../functions/adapters/dynamo/receipts-store.js';
import { startTestPlatform, type TestPlatform } from '../../setup/platform.js';
import { nationalOf } from './helpers.js';

/** Receipts at national scale: rows spread over partitions, parked early receipts, old rows still read. */
let p: TestPlatform;
let store: DynamoReceiptsStore;
let db: ReturnType<typeof nationalOf>['db'];
beforeAll(async () => {
  p = await startTestPlatform({ pollers: false });
  db = nationalOf(p).db;
  store = new DynamoReceiptsStore(db, p.env.TABLE_MAIN!);
});
afterAll(async () => {
  await p?.stop();
});

/** The store over a client that counts the items DynamoDB returns to it. */
const counting = () => {
  const seen = { items: 0, calls: 0 };
  const client = {
    send: async (command: Parameters<typeof db.send>[0]) => {
      const res = (await db.send(command as never)) as Record<string, unknown>;
      seen.calls++;
      if (Array.isArray(res.Items)) seen.items += res.Items.length;
      if (res.Item) seen.items++;
      for (const rows of Object.values((res.Responses as Record<string, unknown[]> | undefined) ?? {})) seen.items += rows.length;
      return res;
    },
  } as unknown as typeof db;
  return { seen, store: new DynamoReceiptsStore(client, p.env.TABLE_MAIN!) };
};

const rnd = () => `rnd_rcpt_${Math.random().toString(36).slice(2, 10)}`;
const count = async (pk: string) =>
  (await db.send(new QueryCommand({ TableName: p.env.TABLE_MAIN!, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': pk }, Select: 'COUNT' }))).Count ?? 0;

describe('receipts store', () => {
  it("spreads one round's receipt rows over the shards, and the summary and handedOverAmong read them all", async () => {
    const r = rnd();
    const ids = Array.from({ length: 320 }, (_, i) => `d${i}`);
    await store.handedOver(ids.map((d) => ({ roundId: r, deliveryId: d, channel: 'helsenorge' as const, ref: `m-${r}-${d}` })));
    const per = await Promise.all(Array.from({ length: RECEIPT_SHARDS }, (_, s) => count(`RECEIPT#${r}#${s}`)));
    expect(per.reduce((a, b) => a + b, 0)).toBe(320);
    // No shard holds more than twice its fair share.
    expect(Math.max(...per)).toBeLessThan((320 / RECEIPT_SHARDS) * 2);
    expect(await count(`RECEIPT#${r}`)).toBe(0);
    expect(await store.summary(r)).toEqual({ confirmed: 0, failedAfterSend: 0, awaiting: 320 });
    // Each with the way it went.
    expect(await store.handedOverAmong(r, ['d0', 'd319', 'd999'])).toEqual(
      new Map([
        ['d0', 'helsenorge'],
        ['d319', 'helsenorge'],
      ]),
    );
  });

  it('polling entries are sharded too, and every one is found', async () => {
    const r = rnd();
    const ids = Array.from({ length: 40 }, (_, i) => `d${i}`);
    await store.handedOver(ids.map((d) => ({ roundId: r, deliveryId: d, channel: 'digital-mailbox' as const, ref: `u-${r}-${d}` })));
    const seen = new Set<string>();
    for (let i = 0; i < 3 && seen.size < 40; i++) {
      const batch = await store.awaitingPoll(100_000);
      for (const a of batch) if (a.roundId === r) seen.add(a.deliveryId);
    }
    expect(seen.size).toBe(40);
    await store.settle(`u-${r}-d0`, 'confirmed', new Date().toISOString());
    expect((await store.awaitingPoll(100_000)).some((a) => a.deliveryId === 'd0' && a.roundId === r)).toBe(false);
    expect(await store.summary(r)).toEqual({ confirmed: 1, failedAfterSend: 0, awaiting: 39 });
  });

  it('a receipt parked before its hand-over is settled when the hand-over is recorded', async () => {
    const r = rnd();
    expect(await store.park(`m-${r}`, 'confirmed', new Date().toISOString())).toBe('parked');
    await store.handedOver([{ roundId: r, deliveryId: 'd1', channel: 'helsenorge', ref: `m-${r}` }]);
    expect(await store.summary(r)).toEqual({ confirmed: 1, failedAfterSend: 0, awaiting: 0 });
    expect(await count(`RECEIPTPARK#m-${r}`)).toBe(0);
    // Parking after the hand-over settles at once.
    await store.handedOver([{ roundId: r, deliveryId: 'd2', channel: 'helsenorge', ref: `m2-${r}` }]);
    expect(await store.park(`m2-${r}`, 'failedAfterSend', new Date().toISOString())).toBe('settled');
    expect(await store.summary(r)).toEqual({ confirmed: 1, failedAfterSend: 1, awaiting: 0 });
  });

  it('rows written before the sharding are still counted, found and settled', async () => {
    const r = rnd();
    const put = (Item: Record<string, unknown>) => db.send(new PutCommand({ TableName: p.env.TABLE_MAIN!, Item }));
    await put({ pk: `RECEIPT#${r}`, sk: 'D#old1', channel: 'paper', ref: `old-${r}`, outcome: 'awaiting', at: new Date().toISOString() });
    await put({ pk: `RECEIPTREF#old-${r}`, sk: 'REF', roundId: r, deliveryId: 'old1', channel: 'paper' });
    await put({ pk: 'RECEIPTPOLL', sk: `old-${r}`, roundId: r, deliveryId: 'old1' });
    expect(await store.summary(r)).toEqual({ confirmed: 0, failedAfterSend: 0, awaiting: 1 });
    expect(await store.handedOverAmong(r, ['old1'])).toEqual(new Map([['old1', 'paper']]));
    expect((await store.awaitingPoll(100_000)).some((a) => a.ref === `old-${r}`)).toBe(true);
    expect(await store.settle(`old-${r}`, 'confirmed', new Date().toISOString())).toBe(true);
    expect(await store.summary(r)).toEqual({ confirmed: 1, failedAfterSend: 0, awaiting: 0 });
    expect((await store.awaitingPoll(100_000)).some((a) => a.ref === `old-${r}`)).toBe(false);
  });

  it("a round's summary reads a fixed number of items, however many letters it has", async () => {
    const r = rnd();
    const ids = Array.from({ length: 600 }, (_, i) => `d${i}`);
    await store.handedOver(ids.map((d) => ({ roundId: r, deliveryId: d, channel: 'helsenorge' as const, ref: `m-${r}-${d}` })));
    await Promise.all(ids.slice(0, 50).map((d) => store.settle(`m-${r}-${d}`, 'confirmed', new Date().toISOString())));
    await store.settle(`m-${r}-d50`, 'failedAfterSend', new Date().toISOString());
    const { seen, store: counted } = counting();
    expect(await counted.summary(r)).toEqual({ confirmed: 50, failedAfterSend: 1, awaiting: 549 });
    // Counter items, at most two per shard: not one per letter.
    expect(seen.items).toBeLessThanOrEqual(RECEIPT_SHARDS * 2);
  });

  it('a hand-over recorded twice (a retry) is counted once, and a report that came between is kept', async () => {
    const r = rnd();
    const items = ['d1', 'd2', 'd3'].map((d) => ({ roundId: r, deliveryId: d, channel: 'digital-mailbox' as const, ref: `u-${r}-${d}` }));
    await store.handedOver(items);
    expect(await store.settle(`u-${r}-d1`, 'confirmed', new Date().toISOString())).toBe(true);
    await store.handedOver([...items, { roundId: r, deliveryId: 'd4', channel: 'digital-mailbox', ref: `u-${r}-d4` }]);
    expect(await store.summary(r)).toEqual({ confirmed: 1, failedAfterSend: 0, awaiting: 3 });
    // d1 is not polled again: its report is in.
    expect(
      (await store.awaitingPoll(100_000))
        .filter((a) => a.roundId === r)
        .map((a) => a.deliveryId)
        .sort(),
    ).toEqual(['d2', 'd3', 'd4']);
  });

  it('a second report for the same letter keeps the first', async () => {
    const r = rnd();
    await store.handedOver([{ roundId: r, deliveryId: 'd1', channel: 'helsenorge', ref: `m-${r}` }]);
    expect(await store.settle(`m-${r}`, 'confirmed', new Date().toISOString())).toBe(true);
    expect(await store.settle(`m-${r}`, 'failedAfterSend', new Date().toISOString())).toBe(true);
    expect(await store.summary(r)).toEqual({ confirmed: 1, failedAfterSend: 0, awaiting: 0 });
  });
});
