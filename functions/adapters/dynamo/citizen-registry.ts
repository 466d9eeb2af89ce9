import type { CitizenFacts, CitizenFactsReader } from '../../domain/citizens/registries.js';
import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { PopulationFacts, PopulationRegistry, ReservationRegistry } from '../../domain/citizens/ports.js';
import type { Language } from '../../domain/letters/letter.js';
import { batchGetAll, batchPutAll, queryAll } from './batch.js';
import { isConditionFailure } from './errors.js';
import { keys } from './keys.js';

/**
 * Stand-ins for the portal's privacy component (reservations, withdrawals) and the population
 * registry, on the citizens table, keyed by the citizen's own ID. The batch reads are what the
 * dispatch worker calls for every batch of recipients at send time: one BatchGet per 100 IDs.
 */
const pkOf = (nin: string) => keys.reservation(nin).pk;
const ninOf = (pk: unknown) => String(pk).slice('CIT#'.length);

export interface Withdrawal {
  readonly projectId: string;
  readonly withdrawnAt: string;
}

export class DynamoReservationRegistry implements ReservationRegistry {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async setReservation(nin: string, reserved: boolean): Promise<void> {
    await this.setReservations([nin], reserved);
  }

  /** Bulk import from the real registry; the same record as the citizen's own setting. */
  async setReservations(nins: readonly string[], reserved: boolean): Promise<void> {
    const at = new Date().toISOString();
    await batchPutAll(
      this.db,
      this.table,
      [...new Set(nins)].map((nin) => ({ ...keys.reservation(nin), reserved, updatedAt: at })),
    );
  }

  async isReserved(nin: string): Promise<boolean> {
    return (await this.reservedAmong([nin])).has(nin);
  }

  async reservationOf(nin: string): Promise<{ reserved: boolean; updatedAt?: string }> {
    const [item] = await batchGetAll(this.db, this.table, [keys.reservation(nin)], { consistent: true });
    return item ? { reserved: item.reserved === true, updatedAt: String(item.updatedAt) } : { reserved: false };
  }

  async reservedAmong(nins: readonly string[]): Promise<Set<string>> {
    // Strongly consistent: a reservation set a moment ago must stop the next letter.
    const items = await batchGetAll(this.db, this.table, nins.map(keys.reservation), { consistent: true, projection: 'pk, reserved' });
    return new Set(items.filter((i) => i.reserved === true).map((i) => ninOf(i.pk)));
  }

  /** Idempotent: a second withdrawal keeps the first time. */
  async withdraw(nin: string, projectId: string): Promise<void> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...keys.withdrawal(nin, projectId), ...keys.projectWithdrawal(projectId, nin), projectId, withdrawnAt: new Date().toISOString() },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
    }
  }

  async withdrawnAmong(nins: readonly string[], projectId: string): Promise<Set<string>> {
    const items = await batchGetAll(this.db, this.table, nins.map((n) => keys.withdrawal(n, projectId)), { consistent: true, projection: 'pk' });
    return new Set(items.map((i) => ninOf(i.pk)));
  }

  /** Everyone who withdrew from the project (gsi1, eventually consistent): for the pre-flight. */
  async withdrawnFromProject(projectId: string): Promise<Set<string>> {
    const items = await queryAll(this.db, {
      TableName: this.table,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :g',
      ExpressionAttributeValues: { ':g': keys.projectWithdrawal(projectId, '').gsi1pk },
      ProjectionExpression: 'gsi1sk',
    });
    return new Set(items.map((i) => String(i.gsi1sk)));
  }

  async withdrawalsOf(nin: string): Promise<Withdrawal[]> {
    const res = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :w)',
        ExpressionAttributeValues: { ':pk': pkOf(nin), ':w': 'WITHDRAWN#' },
        ConsistentRead: true,
      }),
    );
    return (res.Items ?? []).map((i) => ({ projectId: String(i.projectId), withdrawnAt: String(i.withdrawnAt) }));
  }
}

/** What the stand-in assumes of an ID it has never been told about (API.md: alive, digital, nb). */
export const UNSEEN_FACTS: PopulationFacts = { deceased: false, digitallyActive: true, language: 'nb', known: true };

export type FactsUpdate = Partial<Omit<PopulationFacts, 'known'>> & { known?: boolean };

export class DynamoPopulationRegistry implements PopulationRegistry {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /**
   * Merges the given facts into each citizen's record (read, merge, batch write). `known: false`
   * makes the stand-in answer "not in the registry" for those IDs.
   */
  async setFacts(nins: readonly string[], facts: FactsUpdate): Promise<void> {
    const unique = [...new Set(nins)];
    const current = await this.factsOf(unique);
    const at = new Date().toISOString();
    const items = unique.map((nin) => {
      const merged: PopulationFacts = { ...(current.get(nin) ?? UNSEEN_FACTS), ...definedOnly(facts) };
      return { ...keys.population(nin), ...merged, updatedAt: at };
    });
    await batchPutAll(this.db, this.table, items);
  }

  /** An entry for every requested ID; IDs without a record get UNSEEN_FACTS. */
  async factsOf(nins: readonly string[]): Promise<Map<string, PopulationFacts>> {
    const items = await batchGetAll(this.db, this.table, nins.map(keys.population), { consistent: true });
    const found = new Map<string, PopulationFacts>(
      items.map((i) => [
        ninOf(i.pk),
        {
          deceased: i.deceased === true,
          digitallyActive: i.digitallyActive !== false,
          language: (i.language as Language | undefined) ?? 'nb',
          known: i.known !== false,
        },
      ]),
    );
    return new Map(nins.map((n) => [n, found.get(n) ?? UNSEEN_FACTS]));
  }
}

const definedOnly = <T extends object>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

/**
 * The engine's CitizenFactsReader over the local stand-in records (reservations, withdrawals and
 * population facts in the citizens table), read once per registry for a batch.
 */
export class StandInCitizenFacts implements CitizenFactsReader {
  constructor(
    private readonly reservations: DynamoReservationRegistry,
    private readonly population: DynamoPopulationRegistry,
  ) {}

  async factsOf(nins: readonly string[], projectId: string): Promise<Map<string, CitizenFacts>> {
    const [reserved, withdrawn, facts] = await Promise.all([
      this.reservations.reservedAmong(nins),
      this.reservations.withdrawnAmong(nins, projectId),
      this.population.factsOf(nins),
    ]);
    return new Map(
      nins.map((nin) => {
        const f = facts.get(nin) ?? UNSEEN_FACTS;
        return [
          nin,
          {
            known: f.known,
            deceased: f.deceased,
            reservedResearch: reserved.has(nin),
            withdrawn: withdrawn.has(nin),
            digitallyActive: f.digitallyActive,
            digitalMailbox: f.digitallyActive,
            reservedAgainstDigital: false,
            postalAddress: { lines: ['Testveien 1'], postalCode: '0150', city: 'Oslo' },
            addressProtected: false,
            language: f.language,
            guardians: [],
            guardianAccessReserved: false,
            underGuardianship: false,
          },
        ];
      }),
    );
  }
}
