import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { channelsAllowedAt, guardianDeliveryId, guardiansToRead, routeRecipient, type Route } from '../../../functions/domain/citizens/minors.js';
import { type MinorsPolicy } from '../../../functions/domain/projects/project.js';
import type { CitizenFacts } from '../../../functions/domain/citizens/registries.js';
import { digitalPerson, ninBornOn } from '../../fixtures/people.js';
import { ageFromNin } from '../../../functions/domain/shared/nin.js';

const rules = { allowSynthetic: true };
const AT = new Date('2026-11-30T10:00:00Z');

const nin = ninBornOn;
const facts = digitalPerson;

const child8 = nin('2018-03-01');
const child13 = nin('2013-06-15');
const teen17 = nin('2009-05-01');
const adult = nin('1985-01-31');
const mother = nin('1984-02-10');
const father = nin('1982-07-22');

const route = (n: string, f: CitizenFacts | undefined, guardians: Record<string, CitizenFacts>, policy: MinorsPolicy = 'guardians', at = AT): Route =>
  routeRecipient({ nin: n, facts: f, guardianFacts: new Map(Object.entries(guardians)), policy, at }, rules);

const guardianNins = (r: Route) => (r.kind === 'guardians' ? r.guardians.map((g) => g.nin) : []);

describe('routeRecipient', () => {
  it('test_should_write_to_an_adult_themselves_with_every_channel', () => {
    const r = route(adult, facts(), {});
    expect(r).toMatchObject({ kind: 'self', recipient: { nin: adult, age: 41 } });
    if (r.kind === 'self') expect([...r.recipient.allowedChannels].sort()).toEqual(['digital-mailbox', 'helsenorge', 'paper']);
  });

  it('test_should_write_to_a_17_year_old_themselves_but_never_through_the_digital_mailbox', () => {
    const r = route(teen17, facts(), {});
    expect(r).toMatchObject({ kind: 'self', recipient: { age: 17 } });
    if (r.kind === 'self') expect([...r.recipient.allowedChannels].sort()).toEqual(['helsenorge', 'paper']);
  });

  it('test_should_skip_a_child_as_minor_under_exclude_whatever_the_guardians', () => {
    expect(route(child8, facts({ guardians: [mother] }), { [mother]: facts() }, 'exclude')).toMatchObject({ kind: 'skip', reason: 'minor', age: 8 });
  });

  it('test_should_write_to_both_guardians_once_each_under_guardians', () => {
    const r = route(child8, facts({ guardians: [mother, father, mother] }), { [mother]: facts(), [father]: facts() });
    expect(r).toMatchObject({ kind: 'guardians', childAge: 8, ignoredGuardianIds: 0 });
    expect(guardianNins(r)).toEqual([mother, father]);
  });

  it('test_should_not_write_to_a_reserved_withdrawn_dead_or_unknown_guardian', () => {
    const cases: [Partial<CitizenFacts> | undefined, string][] = [
      [{ reservedResearch: true }, 'reserved'],
      [{ withdrawn: true }, 'withdrawn'],
      [{ deceased: true }, 'deceased'],
      [{ known: false }, 'unknown'],
      [undefined, 'unknown'],
      [{ underGuardianship: true }, 'under_guardianship'],
    ];
    for (const [over, why] of cases) {
      const g: Record<string, CitizenFacts> = { [father]: facts() };
      if (over) g[mother] = facts(over);
      const r = route(child13, facts({ guardians: [mother, father] }), g);
      expect(guardianNins(r), why).toEqual([father]);
      expect(r.kind === 'guardians' && r.excluded, why).toEqual({ [why]: 1 });
    }
  });

  it('test_should_skip_no_guardian_when_none_is_reachable', () => {
    expect(route(child8, facts(), {})).toMatchObject({ kind: 'skip', reason: 'no_guardian' });
    expect(route(child8, facts({ guardians: [mother] }), { [mother]: facts({ reservedResearch: true }) })).toMatchObject({ kind: 'skip', reason: 'no_guardian' });
  });

  it('test_should_send_nothing_about_a_child_who_reserved_against_guardian_access', () => {
    expect(route(child13, facts({ guardians: [mother], guardianAccessReserved: true }), { [mother]: facts() })).toMatchObject({
      kind: 'skip',
      reason: 'guardian_access_reserved',
      age: 13,
    });
  });

  it('test_should_never_route_a_child_with_a_protected_address_to_guardians', () => {
    // The parent the child is protected from may hold parental responsibility (issue 21.5).
    const r = route(child13, facts({ guardians: [mother], addressProtected: true }), { [mother]: facts() });
    expect(r).toMatchObject({ kind: 'skip', reason: 'address_protected', age: 13 });
  });

  it('test_should_never_write_to_a_guardian_under_16', () => {
    const youngParent = nin('2011-01-01');
    const r = route(child8, facts({ guardians: [youngParent] }), { [youngParent]: facts() });
    expect(r).toMatchObject({ kind: 'skip', reason: 'no_guardian' });
  });

  it('test_should_ignore_and_count_guardian_ids_that_fail_validation', () => {
    const r = route(child8, facts({ guardians: ['12345678901', 'not-an-id', mother] }), { [mother]: facts() });
    expect(r).toMatchObject({ kind: 'guardians', ignoredGuardianIds: 2 });
    expect(guardianNins(r)).toEqual([mother]);
    const none = route(child8, facts({ guardians: ['12345678901'] }), {});
    expect(none).toMatchObject({ kind: 'skip', reason: 'no_guardian', ignoredGuardianIds: 1 });
    expect(JSON.stringify(none)).not.toContain('12345678901');
  });

  it('test_should_honour_the_childs_own_reservation_and_withdrawal_first', () => {
    const g = { [mother]: facts() };
    expect(route(child8, facts({ guardians: [mother], reservedResearch: true }), g)).toMatchObject({ kind: 'skip', reason: 'reserved' });
    expect(route(child8, facts({ guardians: [mother], withdrawn: true }), g)).toMatchObject({ kind: 'skip', reason: 'withdrawn' });
    expect(route(child8, facts({ guardians: [mother], deceased: true }), g)).toMatchObject({ kind: 'skip', reason: 'deceased' });
    expect(route(child8, facts({ guardians: [mother], known: false }), g)).toMatchObject({ kind: 'skip', reason: 'not_found' });
    expect(route(child8, undefined, g)).toMatchObject({ kind: 'skip', reason: 'not_found' });
  });

  it('test_should_skip_an_adult_under_guardianship', () => {
    expect(route(adult, facts({ underGuardianship: true }), {})).toMatchObject({ kind: 'skip', reason: 'under_guardianship' });
  });

  it('test_should_treat_an_id_with_no_computable_age_as_invalid_never_adult', () => {
    const bornNextYear = nin('2027-02-01');
    expect(route(bornNextYear, facts(), {})).toMatchObject({ kind: 'skip', reason: 'invalid' });
    expect(route('01018512345', facts(), {})).toMatchObject({ kind: 'skip', reason: 'invalid' });
    expect(routeRecipient({ nin: adult, facts: facts(), guardianFacts: new Map(), policy: 'exclude', at: new Date(Number.NaN) }, rules)).toMatchObject({
      kind: 'skip',
      reason: 'invalid',
    });
  });

  it('test_should_decide_the_16th_birthday_by_the_date_in_Oslo', () => {
    const sixteenToday = nin('2010-12-01');
    // 23:30 UTC on 30 November is 00:30 on 1 December in Oslo: sixteen.
    expect(route(sixteenToday, facts(), {}, 'exclude', new Date('2026-11-30T23:30:00Z'))).toMatchObject({ kind: 'self' });
    expect(route(sixteenToday, facts(), {}, 'exclude', new Date('2026-11-30T22:59:59Z'))).toMatchObject({ kind: 'skip', reason: 'minor' });
  });
});

describe('routeRecipient properties', () => {
  const guardianFacts = fc.record({
    known: fc.boolean(),
    deceased: fc.boolean(),
    reservedResearch: fc.boolean(),
    withdrawn: fc.boolean(),
    underGuardianship: fc.boolean(),
  });
  const pool = [mother, father, nin('1990-10-10'), nin('2012-01-01'), '12345678901'];
  const scenario = fc.record({
    recipient: fc.constantFrom(child8, child13, teen17, adult, nin('2010-12-01'), nin('2030-01-01')),
    own: fc.record({ reservedResearch: fc.boolean(), withdrawn: fc.boolean(), deceased: fc.boolean(), known: fc.boolean(), guardianAccessReserved: fc.boolean(), underGuardianship: fc.boolean() }),
    guardians: fc.subarray(pool),
    registry: fc.array(fc.option(guardianFacts), { minLength: pool.length, maxLength: pool.length }),
    policy: fc.constantFrom<MinorsPolicy>('exclude', 'guardians'),
    at: fc.integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2030, 0, 1) }).map((t) => new Date(t)),
  });

  it('never addresses anyone under 16, reserved, withdrawn, dead or unknown; nothing about a reserved child', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const registry = new Map<string, CitizenFacts>();
        pool.forEach((n, i) => {
          const f = s.registry[i];
          if (f) registry.set(n, facts(f));
        });
        const own = facts({ ...s.own, guardians: s.guardians });
        const r = routeRecipient({ nin: s.recipient, facts: own, guardianFacts: registry, policy: s.policy, at: s.at }, rules);
        const addressed = r.kind === 'self' ? [r.recipient] : r.kind === 'guardians' ? r.guardians : [];
        for (const p of addressed) {
          expect(p.age).toBeGreaterThanOrEqual(16);
          expect(p.facts.known && !p.facts.deceased && !p.facts.reservedResearch && !p.facts.withdrawn && !p.facts.underGuardianship).toBe(true);
          expect([...p.allowedChannels]).toEqual([...channelsAllowedAt(p.age)]);
        }
        if (r.kind === 'guardians') {
          expect(new Set(r.guardians.map((g) => g.nin)).size).toBe(r.guardians.length);
          expect(s.policy).toBe('guardians');
          expect(own.guardianAccessReserved || own.reservedResearch || own.withdrawn).toBe(false);
          expect(r.guardians.every((g) => g.nin !== s.recipient && s.guardians.includes(g.nin))).toBe(true);
          // Exactly the guardians whose IDs are valid and whose facts allow it.
          expect(guardiansToRead([{ nin: s.recipient, facts: own }], s.policy, s.at, rules)).toEqual(expect.arrayContaining(r.guardians.map((g) => g.nin)));
        }
        if (r.kind === 'self') expect(r.recipient.nin).toBe(s.recipient);
        // And no reachable guardian is left out.
        const childAge = ageFromNin(s.recipient, s.at, rules);
        const ownClear = own.known && !own.deceased && !own.reservedResearch && !own.withdrawn && !own.guardianAccessReserved;
        if (childAge.ok && childAge.age < 16 && s.policy === 'guardians' && ownClear) {
          const reachable = s.guardians.filter((g) => {
            const a = ageFromNin(g, s.at, rules);
            const f = registry.get(g);
            return a.ok && a.age >= 16 && g !== s.recipient && f !== undefined && f.known && !f.deceased && !f.reservedResearch && !f.withdrawn && !f.underGuardianship;
          });
          if (reachable.length === 0) expect(r).toMatchObject({ kind: 'skip', reason: 'no_guardian' });
          else expect(guardianNins(r)).toEqual(reachable);
        }
        if (own.reservedResearch) expect(r).toMatchObject({ kind: 'skip' });
        // What the route says (its `facts` are the registry's answer, passed through as read).
        const said = JSON.stringify(r, (k, v) => (k === 'facts' ? undefined : v));
        if (said.includes('12345678901')) throw new Error('an invalid guardian ID leaked into the route');
      }),
      { numRuns: 3000 },
    );
  });
});

describe('channelsAllowedAt', () => {
  it('none under 16, portal and paper at 16–17, the digital mailbox from 18', () => {
    expect([...channelsAllowedAt(15)]).toEqual([]);
    expect([...channelsAllowedAt(16)].sort()).toEqual(['helsenorge', 'paper']);
    expect([...channelsAllowedAt(17)].sort()).toEqual(['helsenorge', 'paper']);
    expect([...channelsAllowedAt(18)].sort()).toEqual(['digital-mailbox', 'helsenorge', 'paper']);
    expect([...channelsAllowedAt(Number.NaN)]).toEqual([]);
  });
});

describe('guardiansToRead', () => {
  it('asks the registry only for guardians of children who may be written to through them', () => {
    const recipients = [
      { nin: child8, facts: facts({ guardians: [mother, father] }) },
      { nin: child13, facts: facts({ guardians: [father], guardianAccessReserved: true }) },
      { nin: adult, facts: facts({ guardians: [nin('1960-01-01')] }) },
      { nin: nin('2016-01-01'), facts: facts({ guardians: ['12345678901'] }) },
    ];
    expect(guardiansToRead(recipients, 'guardians', AT, rules).sort()).toEqual([mother, father].sort());
    expect(guardiansToRead(recipients, 'exclude', AT, rules)).toEqual([]);
  });
});

describe('guardian deliveries', () => {
  it('a guardian delivery id is stable, distinct per guardian and child, and never holds the ID', () => {
    const a = guardianDeliveryId('dlv_1', mother, 'k');
    expect(guardianDeliveryId('dlv_1', mother, 'k')).toBe(a);
    expect(guardianDeliveryId('dlv_1', father, 'k')).not.toBe(a);
    expect(guardianDeliveryId('dlv_2', mother, 'k')).not.toBe(a);
    expect(a).not.toContain(mother);
    expect(a.startsWith('dlv_1-g')).toBe(true);
    // The channels' message key is `${roundId}.${deliveryId}`: no dot inside a delivery id.
    expect(a).not.toContain('.');
  });
});
