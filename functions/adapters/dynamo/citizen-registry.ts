import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RegistryName } from '../../domain/citizens/registries.js';
import { validateNin } from '../../domain/shared/nin.js';
import { globalCitizenKey, type HashKeyring } from '../../domain/shared/citizen-key.js';
import type { PopulationFacts, PopulationRegistry, ReservationRegistry } from '../../domain/citizens/ports.js';
import type { Language } from '../../domain/letters/letter.js';
import { mapLimited } from '../../domain/shared/concurrency.js';
import { batchGetAll, batchPutAll, queryAll } from './batch.js';
import { isConditionFailure } from './errors.js';
import { keys } from './keys.js';

/**
 * The platform's own records of what a citizen chose: the reservation against research and the
 * projects they withdrew from, under the citizen's own key in a partition of their own (`OWN#`,
 * keys.ts ownSettings): one item per citizen answers both at send time, one BatchGet per 100 IDs,
 * and no function that writes contacts, tasks or letters (`CIT#`) may write here (lib/access-matrix.ts).
 * Until the move of the records that lived under `CIT#` is marked done on the table
 * (own-records-move.ts), those are read as well: a setting made since the move wins, a withdrawal
 * found in either place counts (the safe side while both exist).
 */
const pkOf = (nin: string) => keys.legacyReservation(nin).pk;
/** The person of an item in their own partition (`CIT#` or `OWN#`). */
const ninOf = (pk: unknown) => String(pk).slice(String(pk).indexOf('#') + 1);

export interface Withdrawal {
  readonly projectId: string;
  readonly withdrawnAt: string;
}

/** The migration that moved the own records out of `CIT#`: its marker item in the citizens table. */
export const OWN_RECORDS_MOVED = 'own-records-moved';
/** How long a "not yet moved" answer is kept: until then both places are read, which is the safe side. */
const MOVE_RECHECK_MS = 30_000;

/** Whether the old places must still be read on a table: once the move is marked done, never again. */
export class OwnRecordsMoveState {
  private done = false;
  private checkedAt = Number.NEGATIVE_INFINITY;
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async readLegacyToo(): Promise<boolean> {
    if (this.done) return false;
    if (Date.now() - this.checkedAt < MOVE_RECHECK_MS) return true;
    const res = await this.db.send(new GetCommand({ TableName: this.table, Key: keys.migration(OWN_RECORDS_MOVED), ConsistentRead: true }));
    this.done = res.Item?.done === true;
    this.checkedAt = Date.now();
    return !this.done;
  }
}
/** One state per table and process: every registry of a process asks the marker at most every 30 s until it is done. */
const moveStates = new Map<string, OwnRecordsMoveState>();
const moveStateOf = (db: DynamoDBDocumentClient, table: string): OwnRecordsMoveState => {
  let state = moveStates.get(table);
  if (!state) moveStates.set(table, (state = new OwnRecordsMoveState(db, table)));
  return state;
};

const withdrawnSet = (v: unknown): ReadonlySet<string> => (v instanceof Set ? (v as Set<string>) : new Set());

export class DynamoReservationRegistry implements ReservationRegistry {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    /** The citizen hash keyring, for the withdrawals index key; only a withdrawal reads it (absent: withdrawals refused). */
    private readonly hashKeys?: () => HashKeyring,
    private readonly move: OwnRecordsMoveState = moveStateOf(db, table),
  ) {}

  /** The citizen's own setting: one update of their settings item (the citizens function may not BatchWriteItem, which can delete). */
  async setReservation(nin: string, reserved: boolean): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: keys.ownSettings(nin),
        UpdateExpression: 'SET reserved = :r, reservationUpdatedAt = :u',
        ExpressionAttributeValues: { ':r': reserved, ':u': new Date().toISOString() },
      }),
    );
  }

  /** Bulk import from the real registry; the same record as the citizen's own setting. */
  async setReservations(nins: readonly string[], reserved: boolean): Promise<void> {
    await mapLimited([...new Set(nins)], 16, (nin) => this.setReservation(nin, reserved));
  }

  async isReserved(nin: string): Promise<boolean> {
    return (await this.reservedAmong([nin])).has(nin);
  }

  async reservationOf(nin: string): Promise<{ reserved: boolean; updatedAt?: string }> {
    const legacy = await this.move.readLegacyToo();
    const [own, old] = await Promise.all([
      this.db.send(new GetCommand({ TableName: this.table, Key: keys.ownSettings(nin), ConsistentRead: true })).then((r) => r.Item),
      legacy ? this.db.send(new GetCommand({ TableName: this.table, Key: keys.legacyReservation(nin), ConsistentRead: true })).then((r) => r.Item) : undefined,
    ]);
    if (typeof own?.reserved === 'boolean') return { reserved: own.reserved, updatedAt: String(own.reservationUpdatedAt) };
    return old ? { reserved: old.reserved === true, updatedAt: String(old.updatedAt) } : { reserved: false };
  }

  /**
   * Both of a citizen's own send-time facts in one batched, strongly consistent read (a reservation
   * set a moment ago must stop the next letter): who of `nins` reserved, and who withdrew from the
   * project (none asked without one: the records not moved yet are then read for reservations only).
   */
  async ownAmong(nins: readonly string[], projectId?: string): Promise<{ reserved: Set<string>; withdrawn: Set<string> }> {
    const legacy = await this.move.readLegacyToo();
    const [own, old] = await Promise.all([
      batchGetAll(this.db, this.table, nins.map(keys.ownSettings), { consistent: true, projection: 'pk, reserved, withdrawnFrom' }),
      legacy
        ? batchGetAll(
            this.db,
            this.table,
            nins.flatMap((n) => [keys.legacyReservation(n), ...(projectId !== undefined ? [keys.legacyWithdrawal(n, projectId)] : [])]),
            { consistent: true, projection: 'pk, sk, reserved' },
          )
        : [],
    ]);
    const settings = new Map(own.map((i) => [ninOf(i.pk), i]));
    const reserved = new Set<string>();
    const withdrawn = new Set<string>();
    if (projectId !== undefined) for (const i of own) if (withdrawnSet(i.withdrawnFrom).has(projectId)) withdrawn.add(ninOf(i.pk));
    for (const i of old) {
      const nin = ninOf(i.pk);
      if (i.sk !== 'RESERVATION') withdrawn.add(nin);
      // The old reservation counts only where no setting was made since.
      else if (i.reserved === true && typeof settings.get(nin)?.reserved !== 'boolean') reserved.add(nin);
    }
    for (const [nin, i] of settings) if (i.reserved === true) reserved.add(nin);
    return { reserved, withdrawn };
  }

  async reservedAmong(nins: readonly string[]): Promise<Set<string>> {
    return (await this.ownAmong(nins)).reserved;
  }

  /**
   * Idempotent: a second withdrawal keeps the first time. The citizen's settings item first (from
   * then on the send-time read sees it), then the withdrawal with its time, indexed by project.
   */
  async withdraw(nin: string, projectId: string): Promise<void> {
    if (!this.hashKeys) throw new Error('this reservation registry was built without the citizen hash keys: it cannot record a withdrawal');
    const indexed = keys.projectWithdrawal(projectId, globalCitizenKey(nin, this.hashKeys()));
    await this.db.send(new UpdateCommand({ TableName: this.table, Key: keys.ownSettings(nin), UpdateExpression: 'ADD withdrawnFrom :p', ExpressionAttributeValues: { ':p': new Set([projectId]) } }));
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...keys.ownWithdrawal(nin, projectId), ...indexed, projectId, withdrawnAt: new Date().toISOString() },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
    }
  }

  async withdrawnAmong(nins: readonly string[], projectId: string): Promise<Set<string>> {
    return (await this.ownAmong(nins, projectId)).withdrawn;
  }

  /**
   * Everyone who withdrew from the project (gsi1, eventually consistent): for the pre-flight. The
   * person comes from each item's own pk (the index sorts by keyed hash), so no key is needed here;
   * a withdrawal not moved yet is found under its old partition the same way.
   */
  async withdrawnFromProject(projectId: string): Promise<Set<string>> {
    const items = await queryAll(this.db, {
      TableName: this.table,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :g',
      ExpressionAttributeValues: { ':g': keys.projectWithdrawal(projectId, '').gsi1pk },
      ProjectionExpression: 'pk',
    });
    return new Set(items.map((i) => ninOf(i.pk)));
  }

  async withdrawalsOf(nin: string): Promise<Withdrawal[]> {
    const legacy = await this.move.readLegacyToo();
    const partitions = [keys.ownWithdrawal(nin, '').pk, ...(legacy ? [pkOf(nin)] : [])];
    const items = (
      await Promise.all(
        partitions.map((pk) =>
          queryAll(this.db, { TableName: this.table, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :w)', ExpressionAttributeValues: { ':pk': pk, ':w': 'WITHDRAWN#' }, ConsistentRead: true }),
        ),
      )
    ).flat();
    // A withdrawal found in both places (moved, its old copy not yet gone): the first time.
    const first = new Map<string, string>();
    for (const i of items) {
      const [projectId, at] = [String(i.projectId), String(i.withdrawnAt)];
      if (!first.has(projectId) || at < first.get(projectId)!) first.set(projectId, at);
    }
    return [...first].map(([projectId, withdrawnAt]) => ({ projectId, withdrawnAt }));
  }
}

/** What the stand-in assumes of an ID it has never been told about (API.md: alive, digital, nb). */
export const UNSEEN_FACTS: PopulationFacts = { deceased: false, digitallyActive: true, language: 'nb', known: true };

export type FactsUpdate = Partial<Omit<PopulationFacts, 'known'>> & { known?: boolean } & Partial<Omit<SeededPerson, 'deceased' | 'digitallyActive' | 'language'>>;

/**
 * What the local registry fakes (local/fakes) serve for one person, seeded through
 * PUT /registry/population and stored on the person's POPULATION item so that every process
 * sees the same registry.
 */
export interface SeededPerson {
  readonly deceased: boolean;
  readonly digitallyActive: boolean;
  readonly language: Language;
  readonly guardians: readonly string[];
  readonly guardianAccessReserved: boolean;
  readonly digitalMailbox: boolean;
  readonly reservedAgainstDigital: boolean;
  /** Has a postal address in the population register. */
  readonly postalAddress: boolean;
  /** The address is `strengtFortrolig` (never paper). */
  readonly addressProtected: boolean;
}

/** API.md: every synthetic ID exists as alive, digitally active, nb, with a digital mailbox and a postal address, no guardians. */
export const SYNTHETIC_DEFAULT: SeededPerson = {
  deceased: false,
  digitallyActive: true,
  language: 'nb',
  guardians: [],
  guardianAccessReserved: false,
  digitalMailbox: true,
  reservedAgainstDigital: false,
  postalAddress: true,
  addressProtected: false,
};

/**
 * Before issue 24 #5 the guardian-access listing was an item of its own per person, keyed
 * `SEED#GUARDIAN_ACCESS` / <nin>: the ID in clear in a key. A local data directory may still hold
 * some; the listing moves them onto the population record's index (keys.guardianAccessSeed) and
 * deletes them.
 */
const LEGACY_GUARDIAN_ACCESS_PK = 'SEED#GUARDIAN_ACCESS';

const isSynthetic = (nin: string): boolean => {
  const v = validateNin(nin, { allowSynthetic: true });
  return v.ok && v.synthetic;
};

const SEED_FIELDS = [
  'deceased',
  'digitallyActive',
  'language',
  'guardians',
  'guardianAccessReserved',
  'digitalMailbox',
  'reservedAgainstDigital',
  'postalAddress',
  'addressProtected',
  'known',
] as const;

export class DynamoPopulationRegistry implements PopulationRegistry {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    /** The citizen hash keyring, for the guardian-access index key; only seeding someone reserved against guardian access reads it. */
    private readonly hashKeys?: () => HashKeyring,
  ) {}

  /**
   * Merges the given facts into each citizen's record (read, merge, batch write). `known: false`
   * makes the stand-in answer "not in the registry" for those IDs.
   */
  async setFacts(nins: readonly string[], facts: FactsUpdate): Promise<void> {
    const unique = [...new Set(nins)];
    const items = await batchGetAll(this.db, this.table, unique.map(keys.population), { consistent: true });
    const held = new Map(items.map((i) => [ninOf(i.pk), i]));
    const at = new Date().toISOString();
    const out = unique.map((nin) => {
      const before = held.get(nin);
      const base: Record<string, unknown> = before ? Object.fromEntries(SEED_FIELDS.filter((f) => before[f] !== undefined).map((f) => [f, before[f]])) : { ...SYNTHETIC_DEFAULT, known: true };
      const record = { ...base, ...definedOnly(facts) };
      // The record carries its place in the guardian-access index while it says so: one write, never out of step.
      return { ...keys.population(nin), ...record, ...(record.guardianAccessReserved === true ? keys.guardianAccessSeed(this.citizenHash(nin)) : {}), updatedAt: at };
    });
    await batchPutAll(this.db, this.table, out);
    // Only after the write: a concurrent read that repopulates an entry reads the new record.
    for (const nin of unique) seedCache(this.table).delete(nin);
  }

  private citizenHash(nin: string): string {
    if (!this.hashKeys) throw new Error('seeding a reservation against guardian access needs the citizen hash keyring');
    return globalCitizenKey(nin, this.hashKeys());
  }

  /** Everyone seeded with guardianAccessReserved (served by the privacy-component fake): the index, the person from each record's pk. */
  async guardianAccessReserved(): Promise<string[]> {
    await this.moveLegacyGuardianAccess();
    const seed = keys.guardianAccessSeed('');
    const items = await queryAll(this.db, {
      TableName: this.table,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :p',
      ExpressionAttributeValues: { ':p': seed.gsi1pk },
      ProjectionExpression: 'pk',
    });
    return items.map((i) => ninOf(i.pk));
  }

  private async moveLegacyGuardianAccess(): Promise<void> {
    const legacy = await queryAll(this.db, {
      TableName: this.table,
      KeyConditionExpression: 'pk = :p',
      ExpressionAttributeValues: { ':p': LEGACY_GUARDIAN_ACCESS_PK },
      ConsistentRead: true,
    });
    if (legacy.length === 0) return;
    const nins = legacy.map((i) => String(i.sk));
    await this.setFacts(nins, { guardianAccessReserved: true });
    for (const nin of nins) await this.db.send(new DeleteCommand({ TableName: this.table, Key: { pk: LEGACY_GUARDIAN_ACCESS_PK, sk: nin } }));
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

  /**
   * What the local registry fakes serve: the seeded person, the synthetic default for a synthetic
   * ID never seeded, and undefined (unknown to the registries) for any other ID or one seeded
   * with `known: false`.
   */
  async seededPeople(nins: readonly string[]): Promise<Map<string, SeededPerson | undefined>> {
    const cache = seedCache(this.table);
    const missing = nins.filter((n) => !cache.has(n));
    const items = missing.length > 0 ? await batchGetAll(this.db, this.table, missing.map(keys.population), { consistent: true }) : [];
    const found = new Map(items.map((i) => [ninOf(i.pk), i]));
    for (const nin of missing) cache.set(nin, found.get(nin) ?? ABSENT);
    return new Map(
      nins.map((nin) => {
        const cached = cache.get(nin);
        const i = cached === ABSENT ? undefined : cached;
        if (!i) return [nin, isSynthetic(nin) ? SYNTHETIC_DEFAULT : undefined];
        if (i.known === false) return [nin, undefined];
        const person: SeededPerson = {
          deceased: i.deceased === true,
          digitallyActive: i.digitallyActive !== false,
          language: (i.language as Language | undefined) ?? 'nb',
          guardians: Array.isArray(i.guardians) ? (i.guardians as string[]) : [],
          guardianAccessReserved: i.guardianAccessReserved === true,
          digitalMailbox: i.digitalMailbox !== false,
          reservedAgainstDigital: i.reservedAgainstDigital === true,
          postalAddress: i.postalAddress !== false,
          addressProtected: i.addressProtected === true,
        };
        return [nin, person];
      }),
    );
  }
}

/**
 * The local registry fakes read the seeded people on every bulk call, several registries per
 * batch; the seeds change only through setFacts (PUT /registry/population) in this same process,
 * so this process keeps what it read and forgets what setFacts changes. Local runtime only: the
 * fakes and the seeding routes live in one process.
 */
const ABSENT = Symbol('absent');
const seedCaches = new Map<string, Map<string, Record<string, unknown> | typeof ABSENT>>();
const seedCache = (table: string) => {
  let c = seedCaches.get(table);
  if (!c) seedCaches.set(table, (c = new Map<string, Record<string, unknown> | typeof ABSENT>()));
  return c;
};

/** Local only: which stand-in registries are "down" (PUT /registry/outage), shared by every process through the table. */
export class DynamoRegistryOutage {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  private static key = { pk: 'REGISTRY', sk: 'OUTAGE' };

  async setOutage(registry: RegistryName, down: boolean): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: DynamoRegistryOutage.key,
        UpdateExpression: 'SET #r = :d',
        ExpressionAttributeNames: { '#r': registry },
        ExpressionAttributeValues: { ':d': down },
      }),
    );
  }

  async isDown(registry: RegistryName): Promise<boolean> {
    const res = await this.db.send(new GetCommand({ TableName: this.table, Key: DynamoRegistryOutage.key, ConsistentRead: true }));
    return res.Item?.[registry] === true;
  }
}

const definedOnly = <T extends object>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
