import { describe, expect, it } from 'vitest';
import { RegistryCitizenFactsReader } from '../../../functions/adapters/national/citizen-facts.js';
import type { FregPerson } from '../../../functions/adapters/national/folkeregisteret.js';
import { ninBornOn } from '../../fixtures/people.js';

/**
 * A reservation against guardian access concerns a child under 16 only (minors.ts routeRecipient
 * reads it for nobody else). The facts reader asks the privacy mirror about it for the IDs that
 * may be such a child — not for the adults who make up nearly every national list, whose wave
 * then costs one mirror read (and one refresh) less. Fail closed: an age that cannot be read, or
 * one near 16, is asked.
 */
const DAY = 86_400_000;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const yearsAgo = (years: number, plusDays = 0) => {
  const d = new Date();
  d.setUTCFullYear(d.getUTCFullYear() - years);
  return isoDay(d.getTime() + plusDays * DAY);
};

const person = { status: 'bosatt', birthDate: '1980-01-01' } as unknown as FregPerson;

const reader = (guardianAccessReserved: ReadonlySet<string>, asked: { pvk: string; ids: readonly string[] }[]) =>
  new RegistryCitizenFactsReader({
    population: { lookup: async (ids) => new Map(ids.map((n) => [n, person])) },
    contact: { lookup: async () => new Map() },
    privacy: {
      activeAmong: async (pvk, ids) => {
        asked.push({ pvk, ids: [...ids] });
        return new Set(pvk === 'guardian-access' ? ids.filter((n) => guardianAccessReserved.has(n)) : []);
      },
    },
    own: { ownAmong: async () => ({ reserved: new Set(), withdrawn: new Set() }) },
    portal: { inactiveAmong: async () => new Set() },
    researchPvkIds: ['research'],
    guardianAccessPvkId: 'guardian-access',
  });

describe('the reservation against guardian access, read for those it can concern', () => {
  it('test_should_ask_the_guardian_access_definition_about_children_and_unreadable_ages_never_about_adults', async () => {
    const adult = ninBornOn('1980-02-03');
    const child = ninBornOn('2016-05-04');
    const sixteenTomorrow = ninBornOn(yearsAgo(16, 1));
    const sixteenToday = ninBornOn(yearsAgo(16));
    const sixteenLastWeek = ninBornOn(yearsAgo(16, -7));
    const unreadable = '12345678901';
    const asked: { pvk: string; ids: readonly string[] }[] = [];
    const facts = await reader(new Set([child, sixteenToday]), asked).factsOf([adult, child, sixteenTomorrow, sixteenToday, sixteenLastWeek, unreadable], 'prj');

    // The research reservation: everyone, as before.
    expect(asked.filter((a) => a.pvk === 'research').flatMap((a) => a.ids)).toHaveLength(6);
    // Guardian access: the child, whoever is near 16 (a margin of days, whatever moment the route is decided at), and the unreadable ID.
    const aboutGuardianAccess = asked.filter((a) => a.pvk === 'guardian-access').flatMap((a) => a.ids);
    expect(new Set(aboutGuardianAccess)).toEqual(new Set([child, sixteenTomorrow, sixteenToday, unreadable]));
    expect(facts.get(child)!.guardianAccessReserved).toBe(true);
    expect(facts.get(sixteenToday)!.guardianAccessReserved).toBe(true);
    expect(facts.get(adult)!.guardianAccessReserved).toBe(false);
  });

  it('test_should_not_read_the_guardian_access_definition_at_all_for_a_wave_of_adults', async () => {
    const asked: { pvk: string; ids: readonly string[] }[] = [];
    const adults = [ninBornOn('1980-02-03'), ninBornOn('1975-06-07'), ninBornOn('2001-12-31')];
    const facts = await reader(new Set(adults), asked).factsOf(adults, 'prj');
    expect(asked.map((a) => a.pvk)).toEqual(['research']);
    for (const nin of adults) expect(facts.get(nin)!.guardianAccessReserved).toBe(false);
  });
});
