import type { CitizenFacts, CitizenFactsReader } from '../../domain/citizens/registries.js';
import type { DynamoPopulationRegistry, DynamoReservationRegistry } from '../dynamo/citizen-registry.js';

/**
 * The seeded registry read straight from the citizens table, without the HTTP fakes: only for
 * the local runtime (NATIONAL_INTEGRATIONS=stand-in), e.g. to measure what the fakes' HTTP path
 * costs. Same defaults and the same fail-closed reading of the seed as the fakes.
 */
export class StandInCitizenFactsReader implements CitizenFactsReader {
  constructor(
    private readonly people: Pick<DynamoPopulationRegistry, 'seededPeople'>,
    private readonly own: Pick<DynamoReservationRegistry, 'ownAmong'>,
  ) {}

  /** The seeded own records stand in for the general reservation locally. */
  researchReservationReadable(): boolean {
    return true;
  }

  async factsOf(nins: readonly string[], projectId: string): Promise<Map<string, CitizenFacts>> {
    const [people, { reserved, withdrawn }] = await Promise.all([this.people.seededPeople(nins), this.own.ownAmong(nins, projectId)]);
    return new Map(
      nins.map((nin): [string, CitizenFacts] => {
        const p = people.get(nin);
        const common = { reservedResearch: reserved.has(nin), withdrawn: withdrawn.has(nin) };
        if (!p) {
          return [
            nin,
            {
              ...common,
              known: false,
              deceased: false,
              digitallyActive: false,
              digitalMailbox: false,
              reservedAgainstDigital: true,
              addressProtected: false,
              language: 'nb',
              guardians: [],
              guardianAccessReserved: false,
              underGuardianship: false,
            },
          ];
        }
        return [
          nin,
          {
            ...common,
            known: true,
            deceased: p.deceased,
            digitallyActive: p.digitallyActive,
            digitalMailbox: p.digitalMailbox && !p.reservedAgainstDigital,
            reservedAgainstDigital: p.reservedAgainstDigital,
            ...(p.postalAddress ? { postalAddress: { lines: [`Testveien ${nin.slice(-2)}`], postalCode: '0150', city: 'OSLO', country: 'NO' } } : {}),
            addressProtected: p.addressProtected,
            language: p.language,
            guardians: p.guardians,
            guardianAccessReserved: p.guardianAccessReserved,
            underGuardianship: false,
          },
        ];
      }),
    );
  }
}
