import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DigipostClient } from '../../../functions/adapters/national/digipost.js';
import { DigipostSigner } from '../../../functions/adapters/national/digipost-signing.js';
import type { OutboundHttp } from '../../../functions/adapters/national/http.js';
import { pollDigipostReceipts } from '../../../functions/adapters/national/receipt-poll.js';
import type { Dispatchable } from '../../../functions/domain/dispatch/channels.js';
import type { Channel } from '../../../functions/domain/shared/channel.js';
import { startTestPlatform, type TestPlatform } from '../../setup/platform.js';
import { lettersByCitizen } from '../dispatch/channel-scan.js';
import { waitFor } from '../dispatch/flow.js';
import { hangingCalls } from '../../../local/fakes/channel-faults.js';
import { adultNins, httpFor, nationalOf } from './helpers.js';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';

/**
 * The channel gateway (ePROM for the portal inbox, Digipost for mailbox and paper) against the
 * fakes: one channel per letter, refusals final, a retry under the same key leaves one letter,
 * receipts by callback and by status polling.
 */
let p: TestPlatform;
let n: ReturnType<typeof nationalOf>;
beforeAll(async () => {
  p = await startTestPlatform({ pollers: false });
  n = nationalOf(p);
});
afterAll(async () => {
  await p?.stop();
});

let seq = 0;
const roundId = () => `rnd_chan${++seq}_${Math.random().toString(36).slice(2, 8)}`;
const item = (nin: string, round: string, i: number, extra: Partial<Dispatchable> = {}): Dispatchable => ({
  deliveryId: `b0000d${String(i).padStart(4, '0')}`,
  projectId: 'proj-chan',
  roundId: round,
  nin,
  letter: { language: 'nb', subject: `Invitasjon ${i}`, body: `Hei ${i}! Vil du delta?`, format: 'text/plain' },
  ...extra,
});
const handOver = (channel: Channel, items: readonly Dispatchable[]) => n.national.channels.handOver(channel, items, { signal: AbortSignal.timeout(10_000) });
const ops = () => p.as({ sub: 'ops', role: 'operations' });

/**
 * A call whose caller gives up 150 ms after the fake began to hold it (`hangCalls`), as a wave's
 * deadline would: a fixed timeout from the start could pass before a busy machine even sent the
 * request, and then no letter would exist and nothing would be in doubt.
 */
const giveUpOnceHeld = async <T>(call: (signal: AbortSignal) => Promise<T>): Promise<T> => {
  const giveUp = new AbortController();
  const pending = call(giveUp.signal);
  await waitFor(
    async () => hangingCalls(),
    (h) => h === 1,
    5_000,
    5,
  );
  await new Promise((resolve) => setTimeout(resolve, 150));
  giveUp.abort(new DOMException('the wave deadline passed', 'TimeoutError'));
  return pending;
};

describe('helsenorge through ePROM', () => {
  it('delivers to the inbox with a one-channel list, the callback confirms the receipt; a second hand-over is a second letter (ePROM takes no sender key)', async () => {
    const nins = adultNins(3);
    const r = roundId();
    const items = nins.map((nin, i) => item(nin, r, i, i === 0 ? { onBehalfOfMinor: true } : {}));
    const res = await handOver('helsenorge', items);
    for (const i of items) expect(res.get(i.deliveryId)).toMatchObject({ ok: true });
    expect(
      p.fakes.eprom
        .received()
        .slice(-3)
        .every((x) => x.list.length === 1 && x.list[0] === 'Helsenorge'),
    ).toBe(true);
    // Again, as a retry after a timeout would: ePROM cannot tell, each citizen now has two letters —
    // why the engine never re-sends a letter in doubt on this channel.
    await handOver('helsenorge', items);
    const letters = await lettersByCitizen(p, r);
    expect(nins.map((x) => letters.get(x))).toEqual([2, 2, 2]);
    expect(nins.map((x) => p.fakes.eprom.letters(r).get(x))).toEqual([2, 2, 2]);
    const inbox = await p.as({ sub: nins[0]!, role: 'citizen' }).get('/citizen/inbox');
    expect(inbox.body.items.find((x: { deliveryId: string }) => x.deliveryId === `${r}/${items[0]!.deliveryId}`)).toMatchObject({ onBehalfOfMinor: true, subject: 'Invitasjon 0' });
    const summary = await waitFor(
      () => n.national.receipts.summary(r),
      (s) => s.confirmed === 3,
      10_000,
      100,
    );
    expect(summary).toEqual({ confirmed: 3, failedAfterSend: 0, awaiting: 0 });
  });

  it('a citizen reserved against research: ePROM answers notificationChannel 0 → refused, and nothing else is tried', async () => {
    const [reserved] = adultNins(1);
    await ops().put('/registry/reservations', { nins: [reserved], reserved: true });
    const r = roundId();
    const before = p.fakes.eprom.received().length;
    const res = await handOver('helsenorge', [item(reserved!, r, 0)]);
    expect(res.get('b0000d0000')).toEqual({ ok: false, transient: false, refused: 'channel_refused' });
    const calls = p.fakes.eprom.received().slice(before);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.list).toEqual(['Helsenorge']);
    expect((await lettersByCitizen(p, r)).size).toBe(0);
  });

  it('the fake, given the old multi-channel list, falls back to the mailbox for a reserved citizen — the incident the one-channel list prevents', async () => {
    const [reserved] = adultNins(1);
    await ops().put('/registry/reservations', { nins: [reserved], reserved: true });
    const key = readFileSync(p.env.EPROM_API_KEY_FILE!, 'utf8');
    const res = await fetch(`${p.fakes.eprom.url}/api/v2/messagetocitizen`, {
      method: 'POST',
      headers: { authorization: `Basic ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        nationalId: reserved,
        messageInfo: { title: 't' },
        documentCollection: { messageKey: `${roundId()}.d1`, documents: [{ title: 's', content: '' }] },
        notificationPriorityList: ['Helsenorge', 'DigitalMailbox'],
      }),
    });
    expect(((await res.json()) as { notificationChannel: number }).notificationChannel).toBe(2);
  });

  it('a callback with a wrong key is refused; one for a message id not recorded yet is parked and settled when its hand-over lands', async () => {
    const key = readFileSync(p.env.EPROM_CALLBACK_KEY_FILE!, 'utf8');
    const put = (body: unknown) => fetch(`${p.url}/api/MessageToCitizen`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const wrong = await put({ apiKey: 'nope', messageToCitizenId: 'x', notificationChannel: 1, sentStatus: 0 });
    expect(wrong.status).toBe(401);
    const r = roundId();
    const ref = `early-${r}`;
    const t0 = Date.now();
    const early = await put({ apiKey: key, messageToCitizenId: ref, notificationChannel: 1, sentStatus: 1 });
    expect(early.status).toBe(200);
    expect(await early.json()).toEqual({ success: true });
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(await n.national.receipts.summary(r)).toEqual({ confirmed: 0, failedAfterSend: 0, awaiting: 0 });
    await n.national.receipts.handedOver([{ roundId: r, deliveryId: 'd1', channel: 'helsenorge', ref }]);
    expect(await n.national.receipts.summary(r)).toEqual({ confirmed: 0, failedAfterSend: 1, awaiting: 0 });
  });

  const withFaults = async <T>(faults: object, f: () => Promise<T>): Promise<T> => {
    process.env.CHANNEL_FAULTS = JSON.stringify(faults);
    try {
      return await f();
    } finally {
      delete process.env.CHANNEL_FAULTS;
    }
  };

  it.each([502, 504])('ePROM %i: the letter may exist → inDoubt, never transient', async (status) => {
    const res = await withFaults({ failCalls: 1, failStatus: status, channel: 'helsenorge' }, () => handOver('helsenorge', [item(adultNins(1)[0]!, roundId(), 0)]));
    expect(res.get('b0000d0000')).toEqual({ ok: false, transient: false, inDoubt: true, reason: 'channel_unavailable' });
  });

  it('ePROM 503: refused before creating anything → transient', async () => {
    const res = await withFaults({ failCalls: 1, failStatus: 503, channel: 'helsenorge' }, () => handOver('helsenorge', [item(adultNins(1)[0]!, roundId(), 0)]));
    expect(res.get('b0000d0000')).toEqual({ ok: false, transient: true, reason: 'channel_unavailable' });
  });

  it('ePROM hangs past the wave deadline: inDoubt at the deadline, the letter exists, and a second POST is a second letter (no sender key)', async () => {
    const [nin] = adultNins(1);
    const r = roundId();
    const t0 = Date.now();
    const res = await withFaults({ hangCalls: 1, hangMs: 600, channel: 'helsenorge' }, async () => {
      const out = await giveUpOnceHeld((signal) => n.national.channels.handOver('helsenorge', [item(nin!, r, 0)], { signal }));
      // The fake goes on after the caller gave up, as the real service may.
      await waitFor(
        async () => p.fakes.eprom.letters(r).get(nin!) ?? 0,
        (c) => c === 1,
        5_000,
        50,
      );
      return out;
    });
    expect(res.get('b0000d0000')).toEqual({ ok: false, transient: false, inDoubt: true, reason: 'channel_timeout' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(150);
    // Nothing recorded (no answer, no messageToCitizenId): fateOf cannot tell.
    expect(await n.national.channels.fateOf('helsenorge', r, ['b0000d0000'], { signal: AbortSignal.timeout(5_000) })).toEqual(new Map([['b0000d0000', { fate: 'unknown' }]]));
    await handOver('helsenorge', [item(nin!, r, 0)]);
    expect(p.fakes.eprom.letters(r).get(nin!)).toBe(2);
    expect((await lettersByCitizen(p, r)).get(nin!)).toBe(2);
  });

  it('fateOf: a recorded ePROM hand-over → handed_over, the way it was recorded', async () => {
    const r = roundId();
    await handOver('helsenorge', [item(adultNins(1)[0]!, r, 0)]);
    expect(await n.national.channels.fateOf('helsenorge', r, ['b0000d0000', 'b0000d0001'], { signal: AbortSignal.timeout(5_000) })).toEqual(
      new Map([
        ['b0000d0000', { fate: 'handed_over', wentAs: 'helsenorge' }],
        ['b0000d0001', { fate: 'unknown' }],
      ]),
    );
  });
});

describe('digital mailbox and paper through Digipost', () => {
  it('delivers to the mailbox; a reused message-id (a retry) is "already delivered" and leaves one letter', async () => {
    const nins = adultNins(2);
    const r = roundId();
    const items = nins.map((nin, i) => item(nin, r, i));
    const first = await handOver('digital-mailbox', items);
    const again = await handOver('digital-mailbox', items);
    for (const i of items) {
      expect(first.get(i.deliveryId)).toMatchObject({ ok: true });
      expect(again.get(i.deliveryId)).toMatchObject({ ok: true });
    }
    const letters = await lettersByCitizen(p, r);
    expect(nins.map((x) => letters.get(x))).toEqual([1, 1]);
  });

  it('the fake answers a reused message-id with 400 DUPLICATE_MESSAGE, which the client takes as delivered', async () => {
    const statuses: number[] = [];
    const base = httpFor(p);
    const spy = Object.assign(Object.create(base) as OutboundHttp, {
      fetch: async (...args: Parameters<OutboundHttp['fetch']>) => {
        const res = await base.fetch(...args);
        statuses.push(res.status);
        return res;
      },
    });
    const client = new DigipostClient({
      baseUrl: p.fakes.digipost.url,
      senderId: p.env.DIGIPOST_SENDER_ID!,
      signer: new DigipostSigner(p.env.DIGIPOST_SENDER_ID!, async () => createPrivateKey(readFileSync(p.env.DIGIPOST_KEY_FILE!, 'utf8'))),
      http: spy,
      returnAddress: { name: 'x', line: 'y', postalCode: '0101', city: 'OSLO' },
    });
    const r = roundId();
    const it0 = item(adultNins(1)[0]!, r, 0);
    expect((await client.send(it0, false)).result).toMatchObject({ ok: true });
    expect((await client.send(it0, false)).result).toMatchObject({ ok: true });
    expect(statuses).toEqual([200, 400]);
    expect((await lettersByCitizen(p, r)).size).toBe(1);
  });

  it('Digipost hangs past the deadline: transient; the re-send under the same message-id is "already delivered", one letter; fateOf finds it', async () => {
    const [nin] = adultNins(1);
    const r = roundId();
    const res = await (async () => {
      process.env.CHANNEL_FAULTS = JSON.stringify({ hangCalls: 1, hangMs: 600, channel: 'digital-mailbox' });
      try {
        const out = await giveUpOnceHeld((signal) => n.national.channels.handOver('digital-mailbox', [item(nin!, r, 0)], { signal }));
        await waitFor(
          () => lettersByCitizen(p, r),
          (m) => m.get(nin!) === 1,
          5_000,
          50,
        );
        return out;
      } finally {
        delete process.env.CHANNEL_FAULTS;
      }
    })();
    expect(res.get('b0000d0000')).toEqual({ ok: false, transient: true, reason: 'channel_timeout' });
    // Not recorded, but Digipost knows the document by the uuid our key gives.
    expect(await n.national.channels.fateOf('digital-mailbox', r, ['b0000d0000', 'b0000d0001'], { signal: AbortSignal.timeout(5_000) })).toEqual(
      new Map([
        ['b0000d0000', { fate: 'handed_over', wentAs: 'digital-mailbox' }],
        ['b0000d0001', { fate: 'not_handed_over' }],
      ]),
    );
    expect((await handOver('digital-mailbox', [item(nin!, r, 0)])).get('b0000d0000')).toMatchObject({ ok: true });
    expect((await lettersByCitizen(p, r)).get(nin!)).toBe(1);
  });

  it('a citizen without a digital mailbox is refused (404 → channel_refused), never sent on paper instead', async () => {
    const [nin] = adultNins(1);
    await ops().put('/registry/population', { nins: [nin], digitalMailbox: false });
    const r = roundId();
    const res = await handOver('digital-mailbox', [item(nin!, r, 0)]);
    expect(res.get('b0000d0000')).toEqual({ ok: false, transient: false, refused: 'channel_refused' });
    expect((await lettersByCitizen(p, r)).size).toBe(0);
  });

  it('paper carries the register address in print details; polling the status confirms it', async () => {
    const [nin] = adultNins(1);
    await ops().put('/registry/population', { nins: [nin], digitalMailbox: false });
    const r = roundId();
    const address = { lines: ['Testveien 7'], postalCode: '0150', city: 'OSLO', country: 'NO' };
    const res = await handOver('paper', [item(nin!, r, 0, { address })]);
    expect(res.get('b0000d0000')).toMatchObject({ ok: true, wentAs: 'paper' });
    expect(await n.national.receipts.summary(r)).toEqual({ confirmed: 0, failedAfterSend: 0, awaiting: 1 });
    await pollDigipostReceipts({ receipts: n.national.receipts, digipost: n.national.digipost });
    expect(await n.national.receipts.summary(r)).toEqual({ confirmed: 1, failedAfterSend: 0, awaiting: 0 });
    expect((await lettersByCitizen(p, r)).get(nin!)).toBe(1);
  });

  it('a letter sent for paper to a Digipost user goes to their mailbox (print details are a fallback): answered, recorded and found the way it went', async () => {
    const [nin] = adultNins(1);
    await ops().put('/registry/population', { nins: [nin], digitalMailbox: true });
    const r = roundId();
    const address = { lines: ['Testveien 7'], postalCode: '0150', city: 'OSLO', country: 'NO' };
    const res = await handOver('paper', [item(nin!, r, 0, { address })]);
    // Digipost's answer says DIGIPOST: counted as the mailbox, not as paper (which costs money).
    expect(res.get('b0000d0000')).toMatchObject({ ok: true, wentAs: 'digital-mailbox' });
    // A dead attempt's retry learns the same way from the record.
    expect(await n.national.channels.fateOf('paper', r, ['b0000d0000'], { signal: AbortSignal.timeout(10_000) })).toEqual(
      new Map([['b0000d0000', { fate: 'handed_over', wentAs: 'digital-mailbox' }]]),
    );
    expect((await lettersByCitizen(p, r)).get(nin!)).toBe(1);
  });

  it('paper without an address is a failure, not a send', async () => {
    const res = await handOver('paper', [item(adultNins(1)[0]!, roundId(), 0)]);
    expect(res.get('b0000d0000')).toMatchObject({ ok: false, transient: false, reason: 'address_missing' });
  });

  it('the fake refuses a request not signed with the registered key', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const client = new DigipostClient({
      baseUrl: p.fakes.digipost.url,
      senderId: p.env.DIGIPOST_SENDER_ID!,
      signer: new DigipostSigner(p.env.DIGIPOST_SENDER_ID!, async () => createPrivateKey(other.export({ type: 'pkcs8', format: 'pem' }))),
      http: httpFor(p),
      returnAddress: { name: 'x', line: 'y', postalCode: '0101', city: 'OSLO' },
    });
    const sent = await client.send(item(adultNins(1)[0]!, roundId(), 0), false);
    expect(sent.result).toMatchObject({ ok: false, transient: false, reason: 'channel_http_403' });
  });
});
