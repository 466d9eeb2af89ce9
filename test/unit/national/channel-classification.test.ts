import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NationalChannelGateway } from '../../../functions/adapters/national/channel-gateway.js';
import { DigipostClient } from '../../../functions/adapters/national/digipost.js';
import { EpromClient } from '../../../functions/adapters/national/eprom.js';
import { OutboundHttp } from '../../../functions/adapters/national/http.js';
import { HandOverNotRecordedError, type Dispatchable } from '../../../functions/domain/dispatch/channels.js';
import type { HandOver } from '../../../functions/domain/receipts/ports.js';
import type { Channel } from '../../../functions/domain/shared/channel.js';

/**
 * How the channel adapters classify what a call came to (INTEGRATIONS.md): ePROM has no sender
 * key, so anything after which the letter may exist is in doubt and only "certainly not created"
 * is transient; Digipost refuses a reused message-id, so anything without an answer is transient.
 */
type Handler = (req: IncomingMessage, res: ServerResponse) => void;
let handler: Handler = (_q, r) => r.end();
let server: Server;
let base = '';
beforeAll(async () => {
  server = createServer((q, r) => {
    q.resume();
    q.on('end', () => handler(q, r));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const item: Dispatchable = {
  deliveryId: 'd1',
  projectId: 'p1',
  roundId: 'r1',
  nin: '01010112345',
  letter: { language: 'nb', subject: 's', body: 'b', format: 'text/plain' },
};
const http = (origin = base) => new OutboundHttp({ allowedOrigins: [origin], timeoutMs: 2_000 });
const eprom = (origin = base) => new EpromClient({ baseUrl: origin, apiKey: async () => 'k', http: http(origin), defaultSender: { organisationName: 'Org' } });
const digipost = (origin = base) =>
  new DigipostClient({ baseUrl: origin, senderId: 's1', signer: { sign: async () => ({}) as never }, http: http(origin), returnAddress: { name: 'x', line: 'y', postalCode: '0101', city: 'OSLO' } });
const answer =
  (status: number, body: string, type = 'application/json'): Handler =>
  (_q, r) => {
    r.writeHead(status, { 'content-type': type });
    r.end(body);
  };
const hang: Handler = () => undefined;
const xmlError = (code: string) => `<?xml version="1.0"?><error><error-code>${code}</error-code></error>`;
/** A port with nothing listening: the connection is refused before any byte is sent. */
const closedOrigin = async () => {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  await new Promise((r) => s.close(r));
  return origin;
};

describe('ePROM: in doubt unless certainly not created', () => {
  it.each([
    [502, 'channel_unavailable'],
    [504, 'channel_unavailable'],
    [500, 'channel_unavailable'],
  ])('%i → inDoubt (%s), never transient', async (status, reason) => {
    handler = answer(status, '{"message":"x"}');
    expect((await eprom().send(item)).result).toEqual({ ok: false, transient: false, inDoubt: true, reason });
  });

  it.each([429, 503])('%i → transient: the service refused the call, nothing was created', async (status) => {
    handler = answer(status, '{"message":"busy"}');
    expect((await eprom().send(item)).result).toEqual({ ok: false, transient: true, reason: 'channel_unavailable' });
  });

  it('a 2xx that cannot be read → inDoubt channel_malformed_answer', async () => {
    handler = answer(200, '<html>gateway</html>', 'text/html');
    expect((await eprom().send(item)).result).toEqual({ ok: false, transient: false, inDoubt: true, reason: 'channel_malformed_answer' });
    handler = answer(200, '{"notificationChannel":"x"}');
    expect((await eprom().send(item)).result).toMatchObject({ inDoubt: true, reason: 'channel_malformed_answer' });
  });

  it('aborted by the caller after the request went out → inDoubt channel_timeout, at the deadline', async () => {
    handler = hang;
    const t0 = Date.now();
    const sent = await eprom().send(item, { signal: AbortSignal.timeout(150) });
    expect(sent.result).toEqual({ ok: false, transient: false, inDoubt: true, reason: 'channel_timeout' });
    expect(Date.now() - t0).toBeLessThan(1_000);
  });

  it('a signal already aborted sends nothing → transient', async () => {
    let calls = 0;
    handler = (_q, r) => (calls++, answer(200, '{"notificationChannel":1,"messageToCitizenId":"m1"}')(_q, r));
    const ac = new AbortController();
    ac.abort();
    expect((await eprom().send(item, { signal: ac.signal })).result).toMatchObject({ ok: false, transient: true });
    expect(calls).toBe(0);
  });

  it('connection refused → transient: no byte reached ePROM', async () => {
    const origin = await closedOrigin();
    expect((await eprom(origin).send(item)).result).toEqual({ ok: false, transient: true, reason: 'channel_unavailable' });
  });

  it('a readable answer → ok with its messageToCitizenId', async () => {
    handler = answer(200, '{"notificationChannel":1,"messageToCitizenId":"m1"}');
    expect(await eprom().send(item)).toEqual({ result: { ok: true, receiptRef: 'm1' }, messageToCitizenId: 'm1' });
  });
});

describe('Digipost: a re-send under the same message-id is safe', () => {
  it.each([400, 409])('%i with error code DUPLICATE_MESSAGE → ok (already delivered)', async (status) => {
    handler = answer(status, xmlError('DUPLICATE_MESSAGE'), 'application/vnd.digipost-v8+xml');
    expect((await digipost().send(item, false)).result).toMatchObject({ ok: true });
  });

  it('another 400 is not taken for a duplicate', async () => {
    handler = answer(400, xmlError('INVALID_MESSAGE'), 'application/vnd.digipost-v8+xml');
    expect((await digipost().send(item, false)).result).toEqual({ ok: false, transient: false, reason: 'channel_http_400' });
  });

  it('aborted by the caller → transient at the deadline', async () => {
    handler = hang;
    expect((await digipost().send(item, false, { signal: AbortSignal.timeout(150) })).result).toEqual({ ok: false, transient: true, reason: 'channel_timeout' });
  });

  it('find(): 200 → held, the way it went by its delivery method; 404 → undefined; 5xx and no answer → throws', async () => {
    const status = (inner: string) => answer(200, `<document-status>${inner}</document-status>`, 'application/vnd.digipost-v8+xml');
    handler = status('<delivery-method>DIGIPOST</delivery-method><status>DELIVERED</status>');
    await expect(digipost().find('u1')).resolves.toEqual({ wentAs: 'digital-mailbox' });
    handler = status('<delivery-method>PRINT</delivery-method><status>DELIVERED</status>');
    await expect(digipost().find('u1')).resolves.toEqual({ wentAs: 'paper' });
    handler = status('<status>DELIVERED_TO_PRINT</status>');
    await expect(digipost().find('u1')).resolves.toEqual({ wentAs: 'paper' });
    // Held, but the status does not say how: the caller decides what to call it.
    handler = status('<status>DELIVERED</status>');
    await expect(digipost().find('u1')).resolves.toEqual({});
    handler = answer(404, xmlError('UNKNOWN_DOCUMENT'), 'application/vnd.digipost-v8+xml');
    await expect(digipost().find('u1')).resolves.toBeUndefined();
    handler = answer(503, 'x', 'text/plain');
    await expect(digipost().find('u1')).rejects.toThrow();
    handler = hang;
    await expect(digipost().find('u1', { signal: AbortSignal.timeout(100) })).rejects.toThrow();
  });
});

describe('NationalChannelGateway', () => {
  const signal = () => AbortSignal.timeout(5_000);
  const ok = { send: async (i: Dispatchable) => ({ result: { ok: true as const, receiptRef: `m-${i.deliveryId}` }, messageToCitizenId: `m-${i.deliveryId}` }) };
  const noDigipost = { send: async () => ({ result: { ok: true as const }, documentUuid: 'u' }), find: async () => undefined };
  const items = (n: number) => Array.from({ length: n }, (_, i) => ({ ...item, deliveryId: `d${i}` }));

  it('puts every letter of the call in flight at once', async () => {
    let inFlight = 0;
    let most = 0;
    const eprom = {
      send: async (i: Dispatchable) => {
        most = Math.max(most, ++inFlight);
        await new Promise((r) => setTimeout(r, 20));
        inFlight--;
        return ok.send(i);
      },
    };
    const gw = new NationalChannelGateway({ eprom, digipost: noDigipost, receipts: { handedOver: async () => undefined, handedOverAmong: async () => new Map() } });
    await gw.handOver('helsenorge', items(40), { signal: signal() });
    expect(most).toBe(40);
  });

  it('test_should_keep_at_most_its_in_flight_calls_open_and_start_none_after_the_wave_deadline', async () => {
    let inFlight = 0;
    let most = 0;
    let started = 0;
    const eprom = {
      send: async (i: Dispatchable) => {
        started++;
        most = Math.max(most, ++inFlight);
        await new Promise((r) => setTimeout(r, 20));
        inFlight--;
        return ok.send(i);
      },
    };
    const gw = new NationalChannelGateway({ eprom, digipost: noDigipost, receipts: { handedOver: async () => undefined, handedOverAmong: async () => new Map() }, concurrency: 8 });
    // 40 letters, 8 at a time, 20 ms each: the deadline at 50 ms falls in the third group.
    const out = await gw.handOver('helsenorge', items(40), { signal: AbortSignal.timeout(50) });
    expect(most).toBe(8);
    expect(started).toBeLessThan(40);
    // A letter never started is not in doubt: it certainly did not leave, and is decided again.
    const unstarted = [...out.values()].filter((r) => !r.ok && 'transient' in r && r.transient);
    expect(unstarted).toHaveLength(40 - started);
    expect([...out.values()].filter((r) => !r.ok && 'inDoubt' in r && r.inDoubt)).toHaveLength(0);
  });

  it('retries recording hand-overs and throws HandOverNotRecordedError after 3 failed tries', async () => {
    let tries = 0;
    const failing = {
      handedOver: async () =>
        void (
          tries++,
          (() => {
            throw new Error('throttled');
          })()
        ),
      handedOverAmong: async () => new Map<string, Channel | undefined>(),
    };
    const gw = new NationalChannelGateway({ eprom: ok, digipost: noDigipost, receipts: failing, recordBackoff: { baseDelayMs: 1, maxDelayMs: 1 } });
    await expect(gw.handOver('helsenorge', items(3), { signal: signal() })).rejects.toBeInstanceOf(HandOverNotRecordedError);
    expect(tries).toBe(3);
  });

  it('a recording that succeeds on the third try returns the results', async () => {
    let tries = 0;
    const stored: HandOver[] = [];
    const flaky = {
      handedOver: async (h: readonly HandOver[]) => {
        if (++tries < 3) throw new Error('throttled');
        stored.push(...h);
      },
      handedOverAmong: async () => new Map<string, Channel | undefined>(),
    };
    const gw = new NationalChannelGateway({ eprom: ok, digipost: noDigipost, receipts: flaky, recordBackoff: { baseDelayMs: 1, maxDelayMs: 1 } });
    const res = await gw.handOver('helsenorge', items(2), { signal: signal() });
    expect([...res.values()].every((r) => r.ok)).toBe(true);
    expect(stored.map((h) => h.deliveryId).sort()).toEqual(['d0', 'd1']);
  });

  it('fateOf: recorded → handed_over, the way it was recorded; ePROM without a record → unknown; Digipost asked by the uuid of our key, recorded the way it went', async () => {
    // d0 recorded with its way; d3 recorded before the way was kept.
    const recorded = new Map<string, Channel | undefined>([
      ['d0', 'digital-mailbox'],
      ['d3', undefined],
    ]);
    const stored: HandOver[] = [];
    const asked: string[] = [];
    const receipts = {
      handedOver: async (h: readonly HandOver[]) => void stored.push(...h),
      handedOverAmong: async (_r: string, ids: readonly string[]) => new Map(ids.filter((d) => recorded.has(d)).map((d) => [d, recorded.get(d)])),
    };
    const dp = { send: noDigipost.send, find: async (uuid: string) => (asked.push(uuid), asked.length === 1 ? { wentAs: 'paper' as const } : undefined) };
    const gw = new NationalChannelGateway({ eprom: ok, digipost: dp, receipts });
    expect(await gw.fateOf('helsenorge', 'r1', ['d3', 'd1'], { signal: signal() })).toEqual(
      new Map([
        ['d3', { fate: 'handed_over' }],
        ['d1', { fate: 'unknown' }],
      ]),
    );
    const fates = await gw.fateOf('digital-mailbox', 'r1', ['d0', 'd1', 'd2'], { signal: signal() });
    // A recorded hand-over keeps the way it was recorded, with no call to Digipost.
    expect(fates.get('d0')).toEqual({ fate: 'handed_over', wentAs: 'digital-mailbox' });
    expect(asked).toHaveLength(2);
    expect([...fates.values()].map((f) => f.fate).sort()).toEqual(['handed_over', 'handed_over', 'not_handed_over']);
    expect([...fates.values()].filter((f) => f.wentAs === 'paper')).toEqual([{ fate: 'handed_over', wentAs: 'paper' }]);
    // What Digipost knows is recorded, the way it went, so the next look needs no call.
    expect(stored).toHaveLength(1);
    expect(stored[0]!.channel).toBe('paper');
  });

  it('fateOf throws when Digipost does not answer: the fate cannot be told now', async () => {
    const gw = new NationalChannelGateway({
      eprom: ok,
      digipost: { send: noDigipost.send, find: async () => Promise.reject(new Error('no answer')) },
      receipts: { handedOver: async () => undefined, handedOverAmong: async () => new Map<string, Channel | undefined>() },
    });
    await expect(gw.fateOf('digital-mailbox', 'r1', ['d1'], { signal: signal() })).rejects.toThrow();
  });
});
