import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEpromFake, type EpromFake } from '../../../local/fakes/eprom.js';
import { startTestPlatform, type TestPlatform } from '../../setup/platform.js';
import { waitFor } from '../dispatch/flow.js';
import { adultNins, nationalOf } from './helpers.js';

/**
 * The ePROM fake calls the sender back as a webhook sender does: a callback the sender could not
 * take (5xx, a timeout, a broken connection) is tried again with backoff, so a busy platform
 * loses no receipt; one the sender refuses as wrong (4xx) is not.
 */
let p: TestPlatform;
let eprom: EpromFake;
let sender: Server;
let senderUrl: string;
/** What the sender answers to each callback, in order; after the list runs out, 200. */
let answers: number[] = [];
const calls: { messageToCitizenId: string; at: number }[] = [];

beforeAll(async () => {
  p = await startTestPlatform({ pollers: false });
  const n = nationalOf(p);
  sender = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { messageToCitizenId: string };
      calls.push({ messageToCitizenId: body.messageToCitizenId, at: Date.now() });
      const status = answers.shift() ?? 200;
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ success: status === 200 }));
    });
  });
  await new Promise<void>((resolve) => sender.listen(0, '127.0.0.1', resolve));
  senderUrl = `http://127.0.0.1:${(sender.address() as AddressInfo).port}`;
  eprom = await startEpromFake({
    db: n.db,
    citizensTable: p.env.TABLE_CITIZENS!,
    people: n.people,
    reservations: n.own,
    apiKey: 'test-key',
    callback: () => ({ url: senderUrl, apiKey: 'cb-key' }),
    callbackRetryBaseMs: 50,
  });
});
afterAll(async () => {
  await eprom?.close();
  await new Promise((resolve) => sender?.close(resolve));
  await p?.stop();
});

const send = async (): Promise<string> => {
  const [nin] = adultNins(1);
  const res = await fetch(`${eprom.url}/api/v2/messagetocitizen`, {
    method: 'POST',
    headers: { authorization: 'Basic test-key', 'content-type': 'application/json' },
    body: JSON.stringify({
      nationalId: nin,
      messageInfo: { title: 'Invitasjon' },
      notificationPriorityList: ['Helsenorge'],
      documentCollection: {
        messageKey: `rnd_cbretry${Math.random().toString(36).slice(2, 8)}.d0001`,
        documents: [{ content: Buffer.from('Hei').toString('base64'), title: 'Invitasjon', mimeType: 'text/plain' }],
      },
    }),
  });
  const out = (await res.json()) as { notificationChannel: number; messageToCitizenId: string };
  expect(out.notificationChannel).toBe(1);
  return out.messageToCitizenId;
};

describe('ePROM fake callbacks', () => {
  it('a callback the sender could not take (503, 500) is tried again with backoff until it is taken', async () => {
    answers = [503, 500];
    const id = await send();
    const mine = await waitFor(
      async () => calls.filter((c) => c.messageToCitizenId === id),
      (c) => c.length === 3,
      10_000,
      25,
    );
    expect(mine).toHaveLength(3);
    // Backoff: the second wait is longer than the first.
    expect(mine[2]!.at - mine[1]!.at).toBeGreaterThan(mine[1]!.at - mine[0]!.at);
    expect(eprom.callbackFailures()).toBe(0);
    // Taken: no further attempt.
    await new Promise((r) => setTimeout(r, 400));
    expect(calls.filter((c) => c.messageToCitizenId === id)).toHaveLength(3);
  });

  it('a callback the sender refuses as wrong (401) is not tried again, and counts as failed', async () => {
    answers = [401];
    const before = eprom.callbackFailures();
    const id = await send();
    await waitFor(
      async () => calls.filter((c) => c.messageToCitizenId === id).length,
      (c) => c === 1,
      5_000,
      25,
    );
    await new Promise((r) => setTimeout(r, 400));
    expect(calls.filter((c) => c.messageToCitizenId === id)).toHaveLength(1);
    expect(eprom.callbackFailures()).toBe(before + 1);
  });
});
