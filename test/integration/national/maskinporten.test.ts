import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MaskinportenError } from '../../../functions/adapters/national/maskinporten.js';
import { OutboundNotAllowedError } from '../../../functions/adapters/national/http.js';
import { startTestPlatform, type TestPlatform } from '../../setup/platform.js';
import { tokenClient } from './helpers.js';

/** The Maskinporten token client against the Maskinporten fake (JWT grant, RS256, per-scope cache). */
let p: TestPlatform;
beforeAll(async () => {
  p = await startTestPlatform({ pollers: false });
});
afterAll(async () => {
  await p?.stop();
});

describe('Maskinporten token client', () => {
  it('gets a token with a signed grant and reuses it for the same scope set, whatever the order', async () => {
    const client = tokenClient(p);
    const before = p.fakes.maskinporten.grants();
    const t1 = await client.token(['krr:global/kontaktinformasjon.read', 'krr:global/digitalpost.read']);
    const t2 = await client.token(['krr:global/digitalpost.read', 'krr:global/kontaktinformasjon.read']);
    expect(t1).toBe(t2);
    expect(p.fakes.maskinporten.allows(`Bearer ${t1}`, 'krr:global/digitalpost.read')).toBe(true);
    expect(p.fakes.maskinporten.allows(`Bearer ${t1}`, 'folkeregister:deling/offentligmedhjemmel')).toBe(false);
    expect(p.fakes.maskinporten.grants() - before).toBe(1);
  });

  it('keeps one token per scope set, and asks concurrently only once', async () => {
    const client = tokenClient(p);
    const before = p.fakes.maskinporten.grants();
    const tokens = await Promise.all(Array.from({ length: 10 }, () => client.token(['folkeregister:deling/offentligmedhjemmel'])));
    expect(new Set(tokens).size).toBe(1);
    const other = await client.token(['krr:global/digitalpost.read']);
    expect(other).not.toBe(tokens[0]);
    expect(p.fakes.maskinporten.grants() - before).toBe(2);
  });

  it('renews when the cached token is about to expire (a fresh jti each time: the fake refuses a reused one)', async () => {
    let now = Date.now();
    const client = tokenClient(p);
    // Drive the client's clock past the renewal point of a 599 s token.
    (client as unknown as { now: () => number }).now = () => now;
    const before = p.fakes.maskinporten.grants();
    const t1 = await client.token(['folkeregister:deling/offentligmedhjemmel']);
    now += 590_000;
    const t2 = await client.token(['folkeregister:deling/offentligmedhjemmel']);
    expect(t2).not.toBe(t1);
    expect(p.fakes.maskinporten.grants() - before).toBe(2);
  });

  it('is refused with a wrong audience (MP-110) and the error carries neither grant nor token', async () => {
    const client = tokenClient(p, { audience: 'https://maskinporten.no/' });
    const err = await client.token(['krr:global/digitalpost.read']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MaskinportenError);
    expect((err as Error).message).toContain('invalid_grant');
    expect((err as Error).message).not.toMatch(/ey[A-Za-z0-9_-]{10,}/);
  });

  it('is refused for an unknown client id', async () => {
    const err = await tokenClient(p, { clientId: 'someone-else' })
      .token(['krr:global/digitalpost.read'])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MaskinportenError);
  });

  it('never calls a host that is not configured', async () => {
    const client = tokenClient(p);
    (client as unknown as { opts: { tokenUrl: string } }).opts.tokenUrl = 'https://evil.example.invalid/token';
    await expect(client.token(['x'])).rejects.toBeInstanceOf(OutboundNotAllowedError);
  });
});
