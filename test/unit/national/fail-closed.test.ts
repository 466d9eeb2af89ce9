import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide } from '../../../functions/domain/dispatch/decide.js';
import type { DistributionRule } from '../../../functions/domain/projects/project.js';
import { RegistryUnavailableError } from '../../../functions/domain/citizens/registries.js';
import type { ChannelResult, Dispatchable } from '../../../functions/domain/dispatch/channels.js';
import type { Channel } from '../../../functions/domain/shared/channel.js';
import { NationalChannelGateway } from '../../../functions/adapters/national/channel-gateway.js';
import { RegistryCitizenFactsReader } from '../../../functions/adapters/national/citizen-facts.js';
import type { FregPerson } from '../../../functions/adapters/national/folkeregisteret.js';
import type { KrrPerson } from '../../../functions/adapters/national/krr.js';

/**
 * The whole send-time path outside the engine, under random registry answers, outages, timeouts
 * and channel refusals: the composite reader, the channel rule and the real channel gateway (over
 * recording channel clients). Whatever happens, no reserved, withdrawn, unknown, deceased or
 * address-protected citizen reaches a channel, and a refusal is never followed by another channel.
 */
type Fault = 'ok' | 'error' | 'hang' | 'drop';

interface Truth {
  freg: FregPerson | undefined;
  krr: KrrPerson | undefined;
  ownReserved: boolean;
  privacyReserved: boolean;
  withdrawn: boolean;
  portalInactive: boolean;
  age: number;
  /** How the channel answers this citizen. */
  channelAnswer: 'ok' | 'refused' | 'reserved' | 'transient' | 'failed';
}

const address = { lines: ['Testveien 1'], postalCode: '0150', city: 'OSLO', country: 'NO' };
const fregPerson: fc.Arbitrary<FregPerson> = fc.record({
  status: fc.constantFrom('bosatt', 'doed', 'utflyttet', 'forsvunnet', 'ikkeBosatt'),
  deceased: fc.boolean(),
  postalAddress: fc.option(fc.constant(address), { nil: undefined }),
  addressProtected: fc.boolean(),
  guardians: fc.constant([]),
  underGuardianship: fc.boolean(),
});
const krrPerson = (nin: string): fc.Arbitrary<KrrPerson> =>
  fc.record({
    personidentifikator: fc.constant(nin),
    reservasjon: fc.option(fc.constantFrom('JA' as const, 'NEI' as const), { nil: undefined }),
    status: fc.constantFrom('AKTIV' as const, 'SLETTET' as const, 'IKKE_REGISTRERT' as const),
    digital_post: fc.option(fc.constant({ postkasseadresse: 'x#1', postkasseleverandoeradresse: '984661185' }), { nil: undefined }),
    spraak: fc.option(fc.constantFrom('nb', 'nn', 'en', 'se', 'xx'), { nil: undefined }),
  });
const truth = (nin: string): fc.Arbitrary<Truth> =>
  fc.record({
    freg: fc.option(fregPerson, { nil: undefined, freq: 4 }),
    krr: fc.option(krrPerson(nin), { nil: undefined, freq: 4 }),
    ownReserved: fc.boolean(),
    privacyReserved: fc.boolean(),
    withdrawn: fc.boolean(),
    portalInactive: fc.boolean(),
    age: fc.integer({ min: 10, max: 90 }),
    channelAnswer: fc.constantFrom('ok', 'refused', 'reserved', 'transient', 'failed'),
  });

const NINS = Array.from({ length: 12 }, (_, i) => `0101${String(i).padStart(7, '0')}`);
const scenario = fc.record({
  truths: fc.tuple(...NINS.map(truth)),
  faults: fc.record({
    population: fc.constantFrom<Fault>('ok', 'ok', 'ok', 'error', 'hang', 'drop'),
    contact: fc.constantFrom<Fault>('ok', 'ok', 'ok', 'error', 'hang'),
    privacy: fc.constantFrom<Fault>('ok', 'ok', 'ok', 'error', 'hang'),
    own: fc.constantFrom<Fault>('ok', 'ok', 'ok', 'error', 'hang'),
    portal: fc.constantFrom<Fault>('ok', 'ok', 'ok', 'error'),
  }),
});

const never = new Promise<never>(() => undefined);
const run = async <T>(fault: Fault, value: () => T): Promise<T> => {
  if (fault === 'error') throw new Error('registry down');
  if (fault === 'hang') return never;
  return value();
};

describe('fail closed, end to end outside the engine (property)', () => {
  it('no reserved, withdrawn, unknown, deceased or address-protected citizen reaches a channel; a refusal never leads to a second channel', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, fc.constantFrom<DistributionRule>('helsenorge-then-paper', 'helsenorge-only', 'digital-mailbox-then-paper'), async ({ truths, faults }, rule) => {
        const t = new Map(NINS.map((n, i) => [n, truths[i]!]));
        const reader = new RegistryCitizenFactsReader({
          population: {
            lookup: (ids) => run(faults.population, () => new Map(ids.filter((_, i) => !(faults.population === 'drop' && i === 0)).map((n) => [n, t.get(n)!.freg]))),
          },
          contact: { lookup: (ids) => run(faults.contact, () => new Map(ids.flatMap((n) => (t.get(n)!.krr ? [[n, t.get(n)!.krr!] as const] : [])))) },
          privacy: { activeAmong: (_pvk, ids) => run(faults.privacy, () => new Set(ids.filter((n) => t.get(n)!.privacyReserved))) },
          own: {
            ownAmong: (ids) => run(faults.own, () => ({ reserved: new Set(ids.filter((n) => t.get(n)!.ownReserved)), withdrawn: new Set(ids.filter((n) => t.get(n)!.withdrawn)) })),
          },
          portal: { inactiveAmong: (ids) => run(faults.portal, () => new Set(ids.filter((n) => t.get(n)!.portalInactive))) },
          researchPvkIds: ['research'],
          timeoutMs: 5,
        });

        const calls: { nin: string; channel: Channel }[] = [];
        const answer = (nin: string): ChannelResult => {
          const a = t.get(nin)!.channelAnswer;
          if (a === 'ok') return { ok: true };
          if (a === 'refused') return { ok: false, transient: false, refused: 'channel_refused' };
          if (a === 'reserved') return { ok: false, transient: false, refused: 'reserved' };
          if (a === 'transient') return { ok: false, transient: true, reason: 'channel_unavailable' };
          return { ok: false, transient: false, reason: 'channel_http_400' };
        };
        const gateway = new NationalChannelGateway({
          eprom: { send: async (i) => (calls.push({ nin: i.nin, channel: 'helsenorge' }), { result: answer(i.nin) }) },
          digipost: { send: async (i, paper) => (calls.push({ nin: i.nin, channel: paper ? 'paper' : 'digital-mailbox' }), { result: answer(i.nin), documentUuid: 'u' }), find: async () => undefined },
          receipts: { handedOver: async () => undefined, handedOverAmong: async () => new Map<string, Channel | undefined>() },
        });

        const anyFault = Object.values(faults).some((f) => f !== 'ok');
        let facts;
        try {
          facts = await reader.factsOf(NINS, 'p1');
        } catch (e) {
          // Fail closed: only a registry fault stops the batch, and it says which registry.
          expect(e).toBeInstanceOf(RegistryUnavailableError);
          expect(anyFault).toBe(true);
          expect(calls).toHaveLength(0);
          return;
        }
        expect(anyFault).toBe(false);

        const results = new Map<string, ChannelResult>();
        for (const nin of NINS) {
          // The engine's own decision: reservation, withdrawal and the registries first, then the
          // channel, once, by the project's distribution rule.
          const choice = decide(
            { valid: true, facts: facts.get(nin), contacts: [], age: t.get(nin)!.age },
            { contentHash: 'h', frequencyCap: 3, distributionRule: rule, onlyNonResponders: false, now: new Date() },
          );
          if (!choice.send) continue;
          const item: Dispatchable = {
            deliveryId: nin,
            projectId: 'p1',
            roundId: 'r1',
            nin,
            letter: { language: 'nb', subject: 's', body: 'b', format: 'text/plain' },
            ...(choice.channel === 'paper' ? { address: facts.get(nin)!.postalAddress! } : {}),
          };
          results.set(nin, (await gateway.handOver(choice.channel, [item], { signal: new AbortController().signal })).get(nin)!);
        }

        for (const { nin, channel } of calls) {
          const x = t.get(nin)!;
          expect(x.freg, 'unknown to the population register').toBeDefined();
          expect(x.freg!.deceased, 'deceased').toBe(false);
          expect(x.ownReserved || x.privacyReserved, 'reserved').toBe(false);
          expect(x.withdrawn, 'withdrawn').toBe(false);
          if (channel === 'paper') {
            expect(x.freg!.addressProtected, 'address protected').toBe(false);
            expect(x.freg!.postalAddress).toBeDefined();
          } else {
            // Digital channels only for people KRR holds as active and not reserved.
            expect(x.krr?.status).toBe('AKTIV');
            expect(x.krr?.reservasjon).toBe('NEI');
          }
          if (channel === 'helsenorge') expect(x.age).toBeGreaterThanOrEqual(16);
          if (channel === 'digital-mailbox') expect(x.age).toBeGreaterThanOrEqual(18);
        }
        // One channel call per citizen at most: a refusal (or any answer) is never followed by another channel.
        const perNin = new Map<string, number>();
        for (const c of calls) perNin.set(c.nin, (perNin.get(c.nin) ?? 0) + 1);
        for (const n of perNin.values()) expect(n).toBe(1);
        for (const [nin, r] of results) {
          const a = t.get(nin)!.channelAnswer;
          if (a === 'refused' || a === 'reserved') expect(r).toMatchObject({ ok: false, transient: false, refused: a === 'refused' ? 'channel_refused' : 'reserved' });
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('the general research reservation is readable only through a configured definition', () => {
  it('test_should_not_count_an_empty_definition_list_as_readable', () => {
    const sources = {
      population: { lookup: async () => new Map() },
      contact: { lookup: async () => new Map() },
      privacy: { activeAmong: async () => new Set<string>() },
      own: { ownAmong: async () => ({ reserved: new Set<string>(), withdrawn: new Set<string>() }) },
      portal: { inactiveAmong: async () => new Set<string>() },
    };
    expect(new RegistryCitizenFactsReader({ ...sources, researchPvkIds: [] }).researchReservationReadable()).toBe(false);
    expect(new RegistryCitizenFactsReader({ ...sources, researchPvkIds: ['research'] }).researchReservationReadable()).toBe(true);
  });
});
