import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalChannelGateway } from '../../../functions/adapters/channels/local-channels.js';
import type { Dispatchable } from '../../../functions/domain/dispatch/channels.js';
import { startTestPlatform, type TestPlatform } from '../../setup/platform.js';
import { lettersByCitizen } from '../dispatch/channel-scan.js';
import { adultNins, nationalOf } from './helpers.js';

/** The channel stand-in on the new port: deduplicates by delivery id, so its inbox tells a letter's fate. */
let p: TestPlatform;
let gw: LocalChannelGateway;
beforeAll(async () => {
  p = await startTestPlatform({ pollers: false });
  gw = new LocalChannelGateway(nationalOf(p).db, p.env.TABLE_CITIZENS!);
});
afterAll(async () => {
  await p?.stop();
});

const rnd = () => `rnd_local_${Math.random().toString(36).slice(2, 10)}`;
const item = (nin: string, roundId: string, deliveryId: string): Dispatchable => ({
  deliveryId,
  projectId: 'proj-local',
  roundId,
  nin,
  letter: { language: 'nb', subject: 's', body: 'b', format: 'text/plain' },
});
const open = () => ({ signal: AbortSignal.timeout(5_000) });

describe('LocalChannelGateway', () => {
  it('hands over once per delivery id and fateOf reads the inbox', async () => {
    const [a, b] = adultNins(2);
    const r = rnd();
    const res = await gw.handOver('helsenorge', [item(a!, r, 'd1'), item(b!, r, 'd2')], open());
    expect([...res.values()]).toEqual([{ ok: true }, { ok: true }]);
    await gw.handOver('helsenorge', [item(a!, r, 'd1')], open());
    expect((await lettersByCitizen(p, r)).get(a!)).toBe(1);
    expect(await gw.fateOf('helsenorge', r, ['d1', 'd2', 'd3'], open())).toEqual(
      new Map([
        ['d1', { fate: 'handed_over', wentAs: 'helsenorge' }],
        ['d2', { fate: 'handed_over', wentAs: 'helsenorge' }],
        ['d3', { fate: 'not_handed_over' }],
      ]),
    );
    // Per channel and round: the same id elsewhere is another letter.
    expect((await gw.fateOf('paper', r, ['d1'], open())).get('d1')).toEqual({ fate: 'not_handed_over' });
    expect((await gw.fateOf('helsenorge', rnd(), ['d1'], open())).get('d1')).toEqual({ fate: 'not_handed_over' });
    // Digipost knows a letter by its id whichever way it went: asked as the mailbox, a printed one is found as paper.
    await gw.handOver('paper', [item(a!, r, 'd4')], open());
    expect((await gw.fateOf('digital-mailbox', r, ['d4'], open())).get('d4')).toEqual({ fate: 'handed_over', wentAs: 'paper' });
  });

  it('an aborted signal writes nothing and answers transient', async () => {
    const [a] = adultNins(1);
    const r = rnd();
    const ac = new AbortController();
    ac.abort();
    expect((await gw.handOver('digital-mailbox', [item(a!, r, 'd1')], { signal: ac.signal })).get('d1')).toMatchObject({ ok: false, transient: true });
    expect((await lettersByCitizen(p, r)).size).toBe(0);
    expect((await gw.fateOf('digital-mailbox', r, ['d1'], open())).get('d1')).toEqual({ fate: 'not_handed_over' });
  });
});
