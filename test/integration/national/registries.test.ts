import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FolkeregisteretClient, FolkeregisteretError, FREG_PATH } from '../../../functions/adapters/national/folkeregisteret.js';
import { KrrClient, KrrError } from '../../../functions/adapters/national/krr.js';
import { DynamoPrivacyMirror, PrivacyComponentClient, PrivacyMirrorUnavailableError, PrivacyReservations } from '../../../functions/adapters/national/privacy.js';
import { RegistryUnavailableError } from '../../../functions/domain/citizens/registries.js';
import { parseKeyring, type HashKeyring } from '../../../functions/domain/shared/citizen-key.js';
import { hashKeyring } from '../../../functions/shared/hash-keys.js';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { queryAll } from '../../../functions/adapters/dynamo/batch.js';
import { startTestPlatform, type TestPlatform } from '../../setup/platform.js';
import { ninBornOn } from '../../fixtures/people.js';
import { adultNins, freshNins, httpFor, nationalOf, tokenClient } from './helpers.js';

/**
 * KRR, Folkeregisteret and the privacy-component mirror against their fakes, and the composite
 * CitizenFactsReader over all of them: batches of 1,000, Retry-After, erGjeldende, fail closed.
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

const ops = () => p.as({ sub: 'ops', role: 'operations' });

describe('KRR client', () => {
  it('answers for synthetic IDs by default, leaves unknown IDs out, and maps the seeded reservation', async () => {
    const [a, b] = adultNins(2);
    const unknown = '01010112345'.replace(/5$/, '6');
    expect((await ops().put('/registry/population', { nins: [b], reservedAgainstDigital: true, language: 'nn' })).status).toBe(200);
    const krr = new KrrClient({ baseUrl: p.fakes.krr.url, http: httpFor(p), tokens: tokenClient(p) });
    const out = await krr.lookup([a!, b!, unknown]);
    expect(out.get(a!)).toMatchObject({ status: 'AKTIV', reservasjon: 'NEI', spraak: 'nb', digital_post: { postkasseadresse: expect.any(String) } });
    expect(out.get(b!)).toMatchObject({ status: 'AKTIV', reservasjon: 'JA', spraak: 'nn' });
    expect(out.get(b!)?.digital_post).toBeUndefined();
    expect(out.has(unknown)).toBe(false);
  });

  it('splits 2,500 IDs into calls of at most 1,000 (the fake refuses more)', async () => {
    const nins = freshNins(2_500);
    const krr = new KrrClient({ baseUrl: p.fakes.krr.url, http: httpFor(p), tokens: tokenClient(p) });
    expect((await krr.lookup(nins)).size).toBe(2_500);
    const res = await fetch(`${p.fakes.krr.url}/rest/v2/personer`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await tokenClient(p).token(['krr:global/kontaktinformasjon.read'])}`, 'content-type': 'application/json' },
      body: JSON.stringify({ personidentifikatorer: nins.slice(0, 1_001) }),
    });
    expect(res.status).toBe(400);
  });

  it('fails on an outage (HTML from the front door), never answering "not reserved"', async () => {
    await ops().put('/registry/outage', { registry: 'contact', down: true });
    try {
      const krr = new KrrClient({ baseUrl: p.fakes.krr.url, http: httpFor(p), tokens: tokenClient(p) });
      await expect(krr.lookup(adultNins(1))).rejects.toBeInstanceOf(KrrError);
    } finally {
      await ops().put('/registry/outage', { registry: 'contact', down: false });
    }
  });
});

describe('Folkeregisteret client', () => {
  const client = (maxRetries = 2) => new FolkeregisteretClient({ baseUrl: p.fakes.folkeregisteret.url, http: httpFor(p), tokens: tokenClient(p), maxRetries, maxWaitMs: 2_000 });

  it('reads the current versions: status, death, postal address, protection, parental responsibility; unknown IDs are undefined', async () => {
    const [alive, dead, child, parent, hidden] = freshNins(5);
    const unknownReal = '15057612345';
    await ops().put('/registry/population', { nins: [dead], deceased: true });
    await ops().put('/registry/population', { nins: [child], guardians: [parent] });
    await ops().put('/registry/population', { nins: [hidden], addressProtected: true });
    const out = await client().lookup([alive!, dead!, child!, hidden!, unknownReal]);
    // The fake puts a superseded version first: only erGjeldende counts.
    expect(out.get(alive!)).toMatchObject({
      status: 'bosatt',
      deceased: false,
      addressProtected: false,
      guardians: [],
      postalAddress: { city: 'OSLO', postalCode: '0150', addressee: expect.stringMatching(/^Test Person/) },
    });
    expect(out.get(dead!)).toMatchObject({ status: 'doed', deceased: true });
    expect(out.get(child!)?.guardians).toEqual([parent]);
    expect(out.get(hidden!)?.addressProtected).toBe(true);
    expect(out.has(unknownReal)).toBe(true);
    expect(out.get(unknownReal)).toBeUndefined();
  });

  it('honours 429 Retry-After and then answers', async () => {
    p.fakes.folkeregisteret.throttle(2, 1);
    const before = p.fakes.folkeregisteret.calls();
    const out = await client().lookup(freshNins(3));
    expect(out.size).toBe(3);
    expect(p.fakes.folkeregisteret.calls() - before).toBe(3);
  });

  it('gives up after its bounded retries and says how long to wait', async () => {
    p.fakes.folkeregisteret.throttle(5, 1);
    const err = await client(1)
      .lookup(freshNins(2))
      .catch((e: unknown) => e);
    p.fakes.folkeregisteret.throttle(0, 1);
    expect(err).toBeInstanceOf(FolkeregisteretError);
    expect((err as FolkeregisteretError).retryAfterMs).toBe(1_000);
  });

  it('the fake refuses what the real one refuses: no JSON content type, more than 1,000 IDs, missing parts', async () => {
    const token = await tokenClient(p).token(['folkeregister:deling/offentligmedhjemmel']);
    const call = (query: string, body: unknown, type = 'application/json') =>
      fetch(`${p.fakes.folkeregisteret.url}${FREG_PATH}?${query}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': type }, body: JSON.stringify(body) });
    const full = 'part=person-basis&part=relasjon-utvidet&somBestilt=true';
    expect((await call(full, { foedselsEllerDNummer: freshNins(1) }, 'text/plain')).status).toBe(415);
    expect((await call(full, { foedselsEllerDNummer: freshNins(1_001) })).status).toBe(400);
    expect((await call('part=person-basis&somBestilt=true', { foedselsEllerDNummer: freshNins(1) })).status).toBe(400);
    const wrongScope = await tokenClient(p).token(['krr:global/digitalpost.read']);
    const res = await fetch(`${p.fakes.folkeregisteret.url}${FREG_PATH}?${full}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${wrongScope}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(401);
  });
});

describe('privacy component', () => {
  it('lists every active setting of a definition across pages', async () => {
    const nins = freshNins(1_201);
    p.fakes.privacy.set('paged-definition', nins, true);
    const { readFileSync } = await import('node:fs');
    const client = new PrivacyComponentClient({ baseUrl: p.fakes.privacy.url, apiKey: async () => readFileSync(p.env.EPROM_API_KEY_FILE!, 'utf8'), http: httpFor(p) });
    expect(p.fakes.privacy.pageSize).toBeLessThan(1_201);
    expect([...(await client.listActive('paged-definition'))].sort()).toEqual([...nins].sort());
  });
});

describe('privacy mirror', () => {
  it('serves a fresh mirror through an outage, and fails closed once it is stale or was never filled', async () => {
    const { readFileSync } = await import('node:fs');
    const client = new PrivacyComponentClient({ baseUrl: p.fakes.privacy.url, apiKey: async () => readFileSync(p.env.EPROM_API_KEY_FILE!, 'utf8'), http: httpFor(p) });
    const mirror = new DynamoPrivacyMirror(n.db, p.env.TABLE_CITIZENS!, hashKeyring);
    let now = Date.now();
    const reservations = new PrivacyReservations({ client, mirror, maxAgeMs: 60_000, now: () => now });
    const [a, b] = freshNins(2);
    p.fakes.privacy.set('mirror-test', [a!], true);
    await ops().put('/registry/outage', { registry: 'reservations', down: true });
    try {
      // Never filled and the component is down: an error, never "not reserved".
      await expect(reservations.activeAmong('mirror-test', [a!, b!])).rejects.toBeInstanceOf(PrivacyMirrorUnavailableError);
      await ops().put('/registry/outage', { registry: 'reservations', down: false });
      expect(await reservations.activeAmong('mirror-test', [a!, b!])).toEqual(new Set([a]));
      await ops().put('/registry/outage', { registry: 'reservations', down: true });
      now += 30_000;
      expect(await reservations.activeAmong('mirror-test', [a!, b!])).toEqual(new Set([a]));
      now += 60_000;
      await expect(reservations.activeAmong('mirror-test', [a!, b!])).rejects.toBeInstanceOf(PrivacyMirrorUnavailableError);
    } finally {
      await ops().put('/registry/outage', { registry: 'reservations', down: false });
    }
  });
  it('should not delete a reservation that arrived by callback while a refresh was listing the component', async () => {
    const mirror = new DynamoPrivacyMirror(n.db, p.env.TABLE_CITIZENS!, hashKeyring);
    const [kept, gone, late] = freshNins(3);
    let now = Date.now();
    await mirror.replace('race-test', new Set([kept!, gone!]), now - 600_000);
    // The refresh starts at `now`; its listing (taken before `late` reserved) comes back only after the callback.
    let answer!: (s: Set<string>) => void;
    const listing = new Promise<Set<string>>((resolve) => (answer = resolve));
    const reservations = new PrivacyReservations({ client: { listActive: () => listing, isActive: async () => false }, mirror, maxAgeMs: 60_000, now: () => now });
    const refreshing = reservations.refresh('race-test');
    now += 1_000;
    await reservations.applyChange('race-test', late!, true);
    answer(new Set([kept!]));
    await refreshing;
    expect(await mirror.activeAmong('race-test', [kept!, gone!, late!])).toEqual(new Set([kept, late]));
    // The next refresh, whose listing started after the callback, is the source again.
    now += 600_000;
    const next = new PrivacyReservations({ client: { listActive: async () => new Set([kept!]), isActive: async () => false }, mirror, maxAgeMs: 60_000, now: () => now });
    await next.refresh('race-test');
    expect(await mirror.activeAmong('race-test', [kept!, gone!, late!])).toEqual(new Set([kept]));
  });
});

describe('privacy mirror keys (issue 24 #5)', () => {
  const keyring = (current: string, versions: string[]): HashKeyring =>
    parseKeyring(JSON.stringify({ current, keys: Object.fromEntries(versions.map((v) => [v, `mirror-rotation-key-${v}-0123456789`])) }));
  const sortKeys = async (pvkId: string) =>
    (await queryAll(n.db, { TableName: p.env.TABLE_CITIZENS!, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': `PVKMIRROR#${pvkId}` }, ConsistentRead: true }))
      .map((i) => String(i.sk))
      .filter((sk) => sk !== 'META');

  it('should find entries under every live key version and rewrite them under the current one at each refresh', async () => {
    let ring = keyring('v1', ['v1']);
    const mirror = new DynamoPrivacyMirror(n.db, p.env.TABLE_CITIZENS!, () => ring);
    const [a, b, c] = freshNins(3) as [string, string, string];
    let now = Date.now() - 600_000;
    await mirror.replace('rotation-test', new Set([a, b]), now);
    expect((await sortKeys('rotation-test')).every((sk) => sk.startsWith('HASH#v1:'))).toBe(true);
    // Rotated: v2 is current, v1 still live. What v1 made is found; a change is written under v2.
    ring = keyring('v2', ['v1', 'v2']);
    expect(await mirror.activeAmong('rotation-test', [a, b, c])).toEqual(new Set([a, b]));
    now += 60_000;
    await mirror.apply('rotation-test', c, true, now);
    expect(await mirror.activeAmong('rotation-test', [a, b, c])).toEqual(new Set([a, b, c]));
    // The next refresh rewrites every entry under v2 (b is no longer listed).
    now += 60_000;
    await mirror.replace('rotation-test', new Set([a, c]), now);
    const keys = await sortKeys('rotation-test');
    expect(keys).toHaveLength(2);
    expect(keys.every((sk) => sk.startsWith('HASH#v2:'))).toBe(true);
    // v1 retired: nothing was lost.
    ring = keyring('v2', ['v2']);
    expect(await mirror.activeAmong('rotation-test', [a, b, c])).toEqual(new Set([a, c]));
    // A removal by callback finds the entry whatever version made it.
    await mirror.removeIfOlderThan('rotation-test', a, Date.now());
    expect(await mirror.activeAmong('rotation-test', [a, b, c])).toEqual(new Set([c]));
  });

  it('should not trust a mirror filled when entries were keyed by national ID, and clear its entries at the next refresh', async () => {
    const mirror = new DynamoPrivacyMirror(n.db, p.env.TABLE_CITIZENS!, hashKeyring);
    const [old, listed] = freshNins(2) as [string, string];
    const at = Date.now() - 600_000;
    await n.db.send(new PutCommand({ TableName: p.env.TABLE_CITIZENS!, Item: { pk: 'PVKMIRROR#legacy-test', sk: `NIN#${old}`, at } }));
    await n.db.send(new PutCommand({ TableName: p.env.TABLE_CITIZENS!, Item: { pk: 'PVKMIRROR#legacy-test', sk: 'META', refreshedAt: at } }));
    // Never filled under hashed keys: the reader refreshes first (or fails closed).
    expect(await mirror.refreshedAt('legacy-test')).toBeUndefined();
    await mirror.replace('legacy-test', new Set([listed]), Date.now());
    expect(await mirror.refreshedAt('legacy-test')).toBeDefined();
    const keys = await sortKeys('legacy-test');
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^HASH#v\d+:/);
    expect(await mirror.activeAmong('legacy-test', [old, listed])).toEqual(new Set([listed]));
  });
});

describe('CitizenFactsReader over the fakes', () => {
  it('reads each registry once per 1,000 IDs, all of them in one call of factsOf', async () => {
    const nins = freshNins(2_100);
    const before = p.fakes.folkeregisteret.calls();
    const facts = await n.national.citizenFacts.factsOf(nins, 'proj-1');
    expect(facts.size).toBe(2_100);
    expect(p.fakes.folkeregisteret.calls() - before).toBe(3);
  });

  it('joins the registries: defaults for synthetic IDs, unknown → known:false, reservations from own records and the privacy component', async () => {
    const [plain, reservedOwn, reservedPvk, withdrawn] = adultNins(4);
    // A 12–15-year-old's reservation against guardian access (read for those it can concern only).
    const minorAccess = ninBornOn(`${new Date().getUTCFullYear() - 13}-03-04`, 3);
    const unknown = '15057612345';
    await ops().put('/registry/reservations', { nins: [reservedOwn], reserved: true });
    p.fakes.privacy.set('local-research-reservation', [reservedPvk!], true);
    await n.own.withdraw(withdrawn!, 'proj-1');
    await ops().put('/registry/population', { nins: [minorAccess], guardianAccessReserved: true });
    const facts = await n.national.citizenFacts.factsOf([plain!, reservedOwn!, reservedPvk!, withdrawn!, minorAccess, unknown], 'proj-1');
    expect(facts.get(plain!)).toMatchObject({
      known: true,
      deceased: false,
      reservedResearch: false,
      withdrawn: false,
      digitallyActive: true,
      digitalMailbox: true,
      reservedAgainstDigital: false,
      language: 'nb',
    });
    expect(facts.get(plain!)?.postalAddress).toBeDefined();
    expect(facts.get(reservedOwn!)?.reservedResearch).toBe(true);
    expect(facts.get(reservedPvk!)?.reservedResearch).toBe(true);
    expect(facts.get(withdrawn!)?.withdrawn).toBe(true);
    expect(facts.get(minorAccess)?.guardianAccessReserved).toBe(true);
    // The same definition is not asked about adults: for them it is false whatever it says.
    expect(facts.get(plain!)?.guardianAccessReserved).toBe(false);
    expect(facts.get(unknown)).toMatchObject({ known: false });
  });

  it.each(['population', 'contact', 'reservations'] as const)('throws RegistryUnavailableError while %s is down, and reads again once it is back', async (registry) => {
    const nins = adultNins(3);
    await ops().put('/registry/outage', { registry, down: true });
    try {
      const err = await n.national.citizenFacts.factsOf(nins, 'proj-1').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RegistryUnavailableError);
      expect((err as RegistryUnavailableError).registry).toBe(registry);
      for (const nin of nins) expect((err as Error).message).not.toContain(nin);
    } finally {
      await ops().put('/registry/outage', { registry, down: false });
    }
    expect((await n.national.citizenFacts.factsOf(nins, 'proj-1')).size).toBe(3);
  });

  it('a privacy-component callback changes the mirror at once, with the agreed key only', async () => {
    const [nin] = adultNins(1);
    const body = { nationalId: nin, id: 'local-research-reservation', name: 'Reservasjon', status: 'RES' };
    const wrong = await fetch(`${p.url}/api/PersonvernInnstilling`, { method: 'PUT', headers: { 'content-type': 'application/json', authorization: 'Basic nope' }, body: JSON.stringify(body) });
    expect(wrong.status).toBe(401);
    const { readFileSync } = await import('node:fs');
    const key = readFileSync(p.env.EPROM_CALLBACK_KEY_FILE!, 'utf8');
    const put = (status: string) =>
      fetch(`${p.url}/api/PersonvernInnstilling`, { method: 'PUT', headers: { 'content-type': 'application/json', authorization: `Basic ${key}` }, body: JSON.stringify({ ...body, status }) });
    // The mirror itself (read without a refresh from the component) follows the callbacks.
    const mirror = new DynamoPrivacyMirror(n.db, p.env.TABLE_CITIZENS!, hashKeyring);
    expect((await mirror.activeAmong('local-research-reservation', [nin!])).has(nin!)).toBe(false);
    expect((await put('RES')).status).toBe(200);
    expect((await mirror.activeAmong('local-research-reservation', [nin!])).has(nin!)).toBe(true);
    expect((await put('IRES')).status).toBe(200);
    expect((await mirror.activeAmong('local-research-reservation', [nin!])).has(nin!)).toBe(false);
  });

  it('should not let a replayed IRES clear a reservation the privacy component still holds, nor one it cannot confirm', async () => {
    const [nin] = adultNins(1);
    const { readFileSync } = await import('node:fs');
    const key = readFileSync(p.env.EPROM_CALLBACK_KEY_FILE!, 'utf8');
    const put = (status: string) =>
      fetch(`${p.url}/api/PersonvernInnstilling`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', authorization: `Basic ${key}` },
        body: JSON.stringify({ nationalId: nin, id: 'local-research-reservation', name: 'Reservasjon', status }),
      });
    const mirror = new DynamoPrivacyMirror(n.db, p.env.TABLE_CITIZENS!, hashKeyring);
    const mirrored = async () => (await mirror.activeAmong('local-research-reservation', [nin!])).has(nin!);
    // The citizen reserves; an old IRES of theirs is replayed.
    p.fakes.privacy.set('local-research-reservation', [nin!], true);
    expect((await put('RES')).status).toBe(200);
    expect((await put('IRES')).status).toBe(200);
    expect(await mirrored()).toBe(true);
    // The source cannot be read: the reservation stays, and the service is told to try again.
    p.fakes.privacy.set('local-research-reservation', [nin!], false);
    await ops().put('/registry/outage', { registry: 'reservations', down: true });
    try {
      expect((await put('IRES')).status).toBe(503);
      expect(await mirrored()).toBe(true);
    } finally {
      await ops().put('/registry/outage', { registry: 'reservations', down: false });
    }
    // The citizen really ended it: the source agrees, and the mirror follows.
    expect((await put('IRES')).status).toBe(200);
    expect(await mirrored()).toBe(false);
  });
});
