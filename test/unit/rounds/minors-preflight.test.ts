import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { routeRecipients } from '../../../functions/domain/citizens/minors.js';
import { type MinorsPolicy } from '../../../functions/domain/projects/project.js';
import { RegistryUnavailableError, type CitizenFacts, type CitizenFactsReader } from '../../../functions/domain/citizens/registries.js';
import { digitalPerson, ninBornOn } from '../../fixtures/people.js';
import { decideRecipient, tallyPreflightWithMinors, type RecipientFacts } from '../../../functions/domain/rounds/preflight.js';

const rules = { allowSynthetic: true };
const AT = new Date('2026-11-30T10:00:00Z');
const NOW = AT.toISOString();

const nin = ninBornOn;
const facts = digitalPerson;

/** An in-memory CitizenFactsReader: the registry's answer per ID, every call recorded, can be down. */
class FakeFactsReader implements CitizenFactsReader {
  readonly calls: string[][] = [];
  down = false;
  constructor(private readonly people: ReadonlyMap<string, CitizenFacts>) {}
  researchReservationReadable(): boolean {
    return true;
  }

  async factsOf(nins: readonly string[]): Promise<Map<string, CitizenFacts>> {
    this.calls.push([...nins]);
    if (this.down) throw new RegistryUnavailableError('population', 'population register unreachable');
    return new Map(nins.flatMap((n) => (this.people.has(n) ? [[n, this.people.get(n)!] as const] : [])));
  }
}

const mother = nin('1984-02-10');
const father = nin('1982-07-22');
const reservedParent = nin('1980-01-01');
const adult = nin('1985-01-31');
const adultUnderGuardianship = nin('1970-05-05');
const child8 = nin('2018-03-01');
const child13Reserved = nin('2013-06-15');
const child10NoGuardian = nin('2016-09-09');
const child14 = nin('2012-04-04');
const child9SelfReserved = nin('2017-08-08');
const bornNextYear = nin('2027-02-01');

const people = new Map<string, CitizenFacts>([
  [mother, facts()],
  [father, facts()],
  [reservedParent, facts({ reservedResearch: true })],
  [adult, facts()],
  [adultUnderGuardianship, facts({ underGuardianship: true })],
  [child8, facts({ guardians: [mother, father] })],
  [child13Reserved, facts({ guardians: [mother], guardianAccessReserved: true })],
  [child10NoGuardian, facts()],
  [child14, facts({ guardians: [reservedParent, father, '12345678901'] })],
  [child9SelfReserved, facts({ guardians: [mother], reservedResearch: true })],
  [bornNextYear, facts()],
]);
const list = [adult, adultUnderGuardianship, child8, child13Reserved, child10NoGuardian, child14, child9SelfReserved, bornNextYear];

/** The usual decision, from the same facts (what createRound computes today from its own reads). */
const usual = (n: string) => {
  const f = people.get(n)!;
  const r: RecipientFacts = {
    valid: true,
    reserved: f.reservedResearch,
    withdrawn: f.withdrawn,
    population: { deceased: f.deceased, known: f.known },
    contacts: [],
  };
  return decideRecipient(r, { contentHash: 'h', frequencyCap: 3, onlyNonResponders: false, now: NOW });
};

const preflight = async (policy: MinorsPolicy, reader = new FakeFactsReader(people)) => {
  const routes = await routeRecipients(reader, { projectId: 'prj', nins: list, policy, at: AT, rules });
  return {
    reader,
    report: tallyPreflightWithMinors(
      list.map((n) => ({ decision: usual(n), route: routes.get(n) })),
      policy,
    ),
  };
};

describe('pre-flight with the minors rule', () => {
  it('under guardians: children reached through guardians, none without, guardian-access reservation honoured', async () => {
    const { reader, report } = await preflight('guardians');
    expect(report).toMatchObject({
      total: 8,
      eligible: 3, // the adult, child8 (mother + father), child14 (father)
      reserved: 1, // child9 reserved themselves: counted as reserved, before the minors rule
      invalid: 1, // born next year: no age
      minors: {
        policy: 'guardians',
        underSixteen: 5,
        viaGuardians: 2,
        guardianLetters: 3,
        withoutGuardian: 1,
        guardianAccessReserved: 1,
        skippedMinor: 0,
        underGuardianship: 1,
        ignoredGuardianIds: 1,
      },
    });
    // One read for the recipients, one for the guardians of children who may be written about.
    expect(reader.calls).toHaveLength(2);
    expect(new Set(reader.calls[1])).toEqual(new Set([mother, father, reservedParent]));
  });

  it('under exclude: every child is a skipped minor, and no guardian is read', async () => {
    const { reader, report } = await preflight('exclude');
    expect(report).toMatchObject({ total: 8, eligible: 1, reserved: 1, invalid: 1, minors: { underSixteen: 5, skippedMinor: 4, viaGuardians: 0, withoutGuardian: 0, underGuardianship: 1 } });
    expect(reader.calls).toHaveLength(1);
  });

  it('a registry that cannot be read gives no report (fail closed)', async () => {
    const reader = new FakeFactsReader(people);
    reader.down = true;
    await expect(preflight('guardians', reader)).rejects.toBeInstanceOf(RegistryUnavailableError);
  });

  it('the fields always add up to total', async () => {
    const pool = [mother, father, reservedParent, '12345678901'];
    const person = fc.record({
      birth: fc.constantFrom('2018-03-01', '2012-04-04', '2010-11-30', '2010-12-01', '1990-01-01', '2027-06-01'),
      k: fc.integer({ min: 0, max: 20 }),
      reservedResearch: fc.boolean(),
      withdrawn: fc.boolean(),
      deceased: fc.boolean(),
      known: fc.boolean(),
      guardianAccessReserved: fc.boolean(),
      underGuardianship: fc.boolean(),
      guardians: fc.subarray(pool),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(person, { maxLength: 30 }), fc.constantFrom<MinorsPolicy>('exclude', 'guardians'), async (persons, policy) => {
        const registry = new Map(people);
        const nins = [...new Set(persons.map((p) => nin(p.birth, p.k)))];
        persons.forEach((p) => registry.set(nin(p.birth, p.k), facts(p)));
        const routes = await routeRecipients(new FakeFactsReader(registry), { projectId: 'prj', nins, policy, at: AT, rules });
        const r = tallyPreflightWithMinors(
          nins.map((n) => {
            const f = registry.get(n)!;
            const decision = decideRecipient(
              { valid: true, reserved: f.reservedResearch, withdrawn: f.withdrawn, population: { deceased: f.deceased, known: f.known }, contacts: [] },
              { contentHash: 'h', frequencyCap: 3, onlyNonResponders: false, now: NOW },
            );
            return { decision, route: routes.get(n) };
          }),
          policy,
        );
        const m = r.minors;
        const sum =
          r.eligible +
          r.reserved +
          r.withdrawn +
          r.alreadySent +
          r.invalid +
          r.deceased +
          r.notFound +
          r.frequencyCapped +
          r.notAwaitingAnswer +
          m.skippedMinor +
          m.withoutGuardian +
          m.guardianAccessReserved +
          m.underGuardianship;
        expect(sum).toBe(r.total);
        expect(r.total).toBe(nins.length);
        expect(m.viaGuardians).toBeLessThanOrEqual(m.underSixteen);
        if (policy === 'exclude') expect(m.viaGuardians + m.withoutGuardian + m.guardianAccessReserved).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});
