import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpLinkProber } from '../../../functions/adapters/http/link-prober.js';
import { startLinkTargets, type LinkTargets } from './link-targets.js';

let t: LinkTargets;
beforeAll(async () => {
  t = await startLinkTargets();
});
afterAll(async () => {
  await t?.close();
});

const ALLOWED = ['127.0.0.1'];
const local = () => new HttpLinkProber({ local: true, timeoutMs: 300 });

describe('the live link prober against local HTTP servers', () => {
  it('reports a 200 as ok', async () => {
    const r = await local().probe(`${t.base}/ok`, ALLOWED);
    expect(r).toMatchObject({ ok: true, status: 200 });
  });

  it('reports a 404 as HTTP_STATUS, after trying GET when HEAD failed', async () => {
    const before = t.hits.get('/missing') ?? 0;
    const r = await local().probe(`${t.base}/missing`, ALLOWED);
    expect(r).toMatchObject({ ok: false, reason: 'HTTP_STATUS', status: 404 });
    expect((t.hits.get('/missing') ?? 0) - before).toBe(2);
  });

  it('falls back to GET when a server refuses HEAD', async () => {
    expect(await local().probe(`${t.base}/get-only`, ALLOWED)).toMatchObject({ ok: true, status: 200 });
  });

  it('follows up to five redirects and refuses the sixth', async () => {
    const five = await local().probe(`${t.base}/chain/4`, ALLOWED);
    expect(five.ok).toBe(true);
    expect(five.hops).toHaveLength(6);
    const six = await local().probe(`${t.base}/chain/5`, ALLOWED);
    expect(six).toMatchObject({ ok: false, reason: 'TOO_MANY_REDIRECTS' });
  });

  it('stops a redirect loop', async () => {
    expect(await local().probe(`${t.base}/loop`, ALLOWED)).toMatchObject({ ok: false, reason: 'TOO_MANY_REDIRECTS' });
  });

  it('re-validates every hop: a redirect to a domain that is not allowed fails without being fetched', async () => {
    const r = await local().probe(`${t.base}/away`, ALLOWED);
    expect(r).toMatchObject({ ok: false, reason: 'REDIRECT_NOT_ALLOWED' });
    expect(r.hops).toEqual([`${t.base}/away`, 'https://not-allowed.example/landing']);
  });

  it('refuses a redirect to the metadata address even when its "domain" is allowed', async () => {
    const r = await local().probe(`${t.base}/to-metadata`, [...ALLOWED, '169.254.169.254']);
    expect(r).toMatchObject({ ok: false, reason: 'REDIRECT_NOT_ALLOWED' });
  });

  it('gives up on a link that hangs, with TIMEOUT', async () => {
    expect(await local().probe(`${t.base}/hang`, ALLOWED)).toMatchObject({ ok: false, reason: 'TIMEOUT' });
  });

  it('refuses a link outside the allowed domains without connecting', async () => {
    const before = t.hits.get('/ok') ?? 0;
    expect(await local().probe(`${t.base}/ok`, ['example.org'])).toMatchObject({ ok: false, reason: 'LINK_NOT_ALLOWED' });
    expect(t.hits.get('/ok') ?? 0).toBe(before);
  });

  it('deployed: refuses plain http and loopback even for 127.0.0.1', async () => {
    const deployed = new HttpLinkProber({ local: false, timeoutMs: 300 });
    expect(deployed.allowsPlainHttp('127.0.0.1')).toBe(false);
    expect(await deployed.probe(`${t.base}/ok`, ALLOWED)).toMatchObject({ ok: false, reason: 'LINK_NOT_ALLOWED' });
    expect(await deployed.probe(`https://127.0.0.1:${t.port}/ok`, ALLOWED)).toMatchObject({ ok: false, reason: 'ADDRESS_NOT_ALLOWED' });
  });

  it('deployed: resolves first and refuses a name that resolves to a private, mapped or metadata address', async () => {
    for (const address of ['10.1.2.3', '169.254.169.254', '::ffff:127.0.0.1', 'fd00:ec2::254', '::1']) {
      const prober = new HttpLinkProber({ local: false, timeoutMs: 300, resolve: async () => [{ address, family: address.includes(':') ? 6 : 4 }] });
      expect(await prober.probe('https://study.example.org/x', ['example.org'])).toMatchObject({ ok: false, reason: 'ADDRESS_NOT_ALLOWED' });
    }
    // A name with one public and one private address is refused too (no picking the good one).
    const mixed = new HttpLinkProber({
      local: false,
      timeoutMs: 300,
      resolve: async () => [
        { address: '93.184.216.34', family: 4 },
        { address: '192.168.1.1', family: 4 },
      ],
    });
    expect(await mixed.probe('https://study.example.org/x', ['example.org'])).toMatchObject({ ok: false, reason: 'ADDRESS_NOT_ALLOWED' });
  });

  it('locally, a name other than the development hosts may not reach loopback either', async () => {
    const prober = new HttpLinkProber({ local: true, timeoutMs: 300, resolve: async () => [{ address: '127.0.0.1', family: 4 }] });
    expect(await prober.probe(`https://evil.example.org:${t.port}/ok`, ['example.org'])).toMatchObject({ ok: false, reason: 'ADDRESS_NOT_ALLOWED' });
  });

  it('connects to the address it checked (a second lookup cannot rebind it)', async () => {
    let calls = 0;
    // First answer is loopback for "localhost" (allowed locally); any later lookup would say otherwise.
    const prober = new HttpLinkProber({
      local: true,
      timeoutMs: 500,
      resolve: async () => (calls++ === 0 ? [{ address: '127.0.0.1', family: 4 }] : [{ address: '10.0.0.1', family: 4 }]),
    });
    const r = await prober.probe(`http://localhost:${t.port}/ok`, ['localhost']);
    expect(r).toMatchObject({ ok: true, status: 200 });
    expect(calls).toBe(1);
  });

  it('bounds concurrency and still answers every probe', async () => {
    const prober = new HttpLinkProber({ local: true, timeoutMs: 300, concurrency: 2 });
    const results = await Promise.all(Array.from({ length: 7 }, (_, i) => prober.probe(`${t.base}/ok/${i}`, ALLOWED)));
    expect(results.every((r) => r.ok)).toBe(true);
  });
});
