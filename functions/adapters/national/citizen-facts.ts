import { AGE_OF_CONSENT } from '../../domain/citizens/minors.js';
import { RegistryUnavailableError, type CitizenFacts, type CitizenFactsReader, type RegistryName } from '../../domain/citizens/registries.js';
import { ageFromNin, relaxed2032CheckDigits } from '../../domain/shared/nin.js';
import type { Language } from '../../domain/letters/letter.js';
import type { FregLookup, FregPerson } from './folkeregisteret.js';
import type { KrrPerson } from './krr.js';

/**
 * CitizenFactsReader over the national registries and the platform's own records: for one batch,
 * each registry is read ONCE for all IDs, all registries at the same time, and the answers are
 * joined into CitizenFacts.
 *
 * Fail closed: any error, timeout or malformed answer from any of them throws
 * RegistryUnavailableError naming the registry — the batch is not sent, it waits and retries.
 * Only an ID Folkeregisteret itself says it does not know becomes `known: false`.
 */
export interface PopulationSource {
  lookup(nins: readonly string[]): Promise<FregLookup>;
}
export interface ContactSource {
  lookup(nins: readonly string[]): Promise<Map<string, KrrPerson>>;
}
export interface PrivacySource {
  activeAmong(pvkId: string, nins: readonly string[]): Promise<Set<string>>;
}
/** The platform's own reservation and withdrawal records, one read for both (functions/adapters/dynamo/citizen-registry.ts). */
export interface OwnRecordsSource {
  ownAmong(nins: readonly string[], projectId: string): Promise<{ reserved: Set<string>; withdrawn: Set<string> }>;
}

/**
 * NARROW SEAM: who uses the health portal (and so has a Helsenorge inbox) has no public query API.
 * Deployed, `AssumePortalUsers` lets the portal itself refuse a non-user (ePROM notificationChannel
 * 0 → skipped `channel_refused`, never another channel); locally the seeded fact is read.
 */
export interface PortalActivitySource {
  /** The subset of `nins` known NOT to use the portal. */
  inactiveAmong(nins: readonly string[]): Promise<Set<string>>;
}

export const assumePortalUsers: PortalActivitySource = { inactiveAmong: async () => new Set() };

export interface RegistryCitizenFactsOptions {
  readonly population: PopulationSource;
  readonly contact: ContactSource;
  readonly privacy: PrivacySource;
  readonly own: OwnRecordsSource;
  readonly portal: PortalActivitySource;
  /** Definitions whose active setting is a reservation against research contact. */
  readonly researchPvkIds: readonly string[];
  /** The definition of a 12–15-year-old's reservation against guardian access, when configured: asked only about those it can concern. */
  readonly guardianAccessPvkId?: string;
  /** A registry that has not answered by then counts as unavailable (default 10 s). */
  readonly timeoutMs?: number;
}

const LANG: Record<string, Language> = { nb: 'nb', nn: 'nn', en: 'en' };

/** Days of margin around a 16th birthday: whatever moment the route is decided at (minors.ts), a child is never taken for 16. */
const AGE_MARGIN_MS = 2 * 86_400_000;
/** The most permissive reading of an ID's birth date: one that cannot be read is a reason to ask, never to skip. */
const ANY_VALID = { allowSynthetic: true, checkDigits: relaxed2032CheckDigits } as const;

/**
 * Clearly 16 or older: a reservation against guardian access (a 12–15-year-old's) cannot concern
 * them, and routeRecipient reads it for nobody 16 or older. A child, someone within days of 16, or
 * an ID whose age cannot be read is asked about it.
 */
const clearlyOfAge = (nin: string, now: Date): boolean => {
  const age = ageFromNin(nin, new Date(now.getTime() - AGE_MARGIN_MS), ANY_VALID);
  return age.ok && age.age >= AGE_OF_CONSENT;
};

export class RegistryCitizenFactsReader implements CitizenFactsReader {
  constructor(private readonly opts: RegistryCitizenFactsOptions) {}

  /** Readable only through at least one configured (and so mirrored) research definition. */
  researchReservationReadable(): boolean {
    return this.opts.researchPvkIds.length > 0;
  }

  async factsOf(nins: readonly string[], projectId: string): Promise<Map<string, CitizenFacts>> {
    const ids = [...new Set(nins)];
    if (ids.length === 0) return new Map();
    const o = this.opts;
    const [population, contact, portalInactive, own, privacyReserved, guardianAccess] = await Promise.all([
      this.guard('population', () => o.population.lookup(ids)),
      this.guard('contact', () => o.contact.lookup(ids)),
      this.guard('contact', () => o.portal.inactiveAmong(ids)),
      this.guard('reservations', () => o.own.ownAmong(ids, projectId)),
      this.guard('reservations', async () => {
        const sets = await Promise.all(o.researchPvkIds.map((pvk) => o.privacy.activeAmong(pvk, ids)));
        return new Set(sets.flatMap((s) => [...s]));
      }),
      this.guard('reservations', async () => {
        const now = new Date();
        const mayConcern = ids.filter((id) => !clearlyOfAge(id, now));
        return o.guardianAccessPvkId && mayConcern.length > 0 ? o.privacy.activeAmong(o.guardianAccessPvkId, mayConcern) : new Set<string>();
      }),
    ]);
    for (const id of ids) {
      // The bulk lookup answers for every ID asked (somBestilt); a gap is a broken answer.
      if (!population.has(id)) throw new RegistryUnavailableError('population', 'the population register left a person out of its answer');
    }
    return new Map(
      ids.map((nin) => [
        nin,
        toFacts(population.get(nin), contact.get(nin), {
          portalInactive: portalInactive.has(nin),
          reservedResearch: own.reserved.has(nin) || privacyReserved.has(nin),
          withdrawn: own.withdrawn.has(nin),
          guardianAccessReserved: guardianAccess.has(nin),
        }),
      ]),
    );
  }

  private async guard<T>(registry: RegistryName, read: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RegistryUnavailableError(registry, `${registry} registry did not answer in time`)), this.opts.timeoutMs ?? 10_000);
    });
    try {
      return await Promise.race([read(), timeout]);
    } catch (e) {
      if (e instanceof RegistryUnavailableError) throw e;
      const retryAfterMs = (e as { retryAfterMs?: unknown }).retryAfterMs;
      // The cause's own message is one of ours (no IDs, no tokens); kept for the log.
      throw new RegistryUnavailableError(registry, `${registry} registry unavailable: ${(e as Error).message}`, typeof retryAfterMs === 'number' ? retryAfterMs : undefined);
    } finally {
      clearTimeout(timer);
    }
  }
}

const UNKNOWN: Omit<CitizenFacts, 'reservedResearch' | 'withdrawn' | 'guardianAccessReserved'> = {
  known: false,
  deceased: false,
  digitallyActive: false,
  digitalMailbox: false,
  reservedAgainstDigital: true,
  addressProtected: false,
  language: 'nb',
  guardians: [],
  underGuardianship: false,
};

export const toFacts = (
  freg: FregPerson | undefined,
  krr: KrrPerson | undefined,
  own: { portalInactive: boolean; reservedResearch: boolean; withdrawn: boolean; guardianAccessReserved: boolean },
): CitizenFacts => {
  const common = { reservedResearch: own.reservedResearch, withdrawn: own.withdrawn, guardianAccessReserved: own.guardianAccessReserved };
  if (!freg) return { ...UNKNOWN, ...common };
  // Public bodies may write digitally only to people KRR holds as active and not reserved; anyone
  // else (absent, deleted, not registered, no reservation value) gets no digital channel.
  const krrActive = krr?.status === 'AKTIV';
  const reservedAgainstDigital = !krrActive || krr.reservasjon !== 'NEI';
  return {
    ...common,
    known: true,
    deceased: freg.deceased,
    digitallyActive: !own.portalInactive,
    digitalMailbox: krrActive && krr.reservasjon === 'NEI' && Boolean(krr.digital_post?.postkasseadresse),
    reservedAgainstDigital,
    ...(freg.postalAddress ? { postalAddress: freg.postalAddress } : {}),
    addressProtected: freg.addressProtected,
    language: LANG[krr?.spraak ?? ''] ?? 'nb',
    guardians: freg.guardians,
    underGuardianship: freg.underGuardianship,
  };
};
