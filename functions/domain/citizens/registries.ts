import { DomainError } from '../../shared/errors.js';
import type { Language } from '../letters/letter.js';

/**
 * What the dispatch engine needs to know of citizens at the moment of sending, read once per
 * batch from every registry (never per recipient). The engine decides only from these facts;
 * which registry each comes from (Folkeregisteret, KRR, the privacy component, the platform's own
 * reservation and withdrawal records) is the adapters' business.
 *
 * Fail closed: a registry that cannot be read, answers 5xx, times out or answers something that
 * cannot be parsed makes `factsOf` throw `RegistryUnavailableError` (the batch waits and retries);
 * it never yields "not reserved" or "alive". A person the population register does not know is
 * absent from the map or `known: false` (skip reason `not_found`).
 */
export interface CitizenFacts {
  /** The population register knows the person. False → nothing is sent (`not_found`). */
  readonly known: boolean;
  readonly deceased: boolean;
  /** Reserved against research contact (the platform's own records or the privacy component). */
  readonly reservedResearch: boolean;
  /** Withdrew from the project asked about. */
  readonly withdrawn: boolean;
  /** Uses the health portal (Helsenorge): its inbox is a channel. */
  readonly digitallyActive: boolean;
  /** Has a digital mailbox (KRR `digital_post`). */
  readonly digitalMailbox: boolean;
  /** KRR `reservasjon: "JA"`: no digital channel at all for this person. */
  readonly reservedAgainstDigital: boolean;
  /** Folkeregisteret's current postal address (paper needs one; the print channel prints it). */
  readonly postalAddress?: PostalAddress;
  /** `fortrolig`/`strengtFortrolig`: never paper (`address_protected`). */
  readonly addressProtected: boolean;
  /** Preferred language (KRR `spraak`, nb when unknown or `se`). */
  readonly language: Language;
  /** Valid national IDs of persons with parental responsibility (Folkeregisteret `foreldreansvar`). */
  readonly guardians: readonly string[];
  /** A 12–15-year-old who reserved against guardian access to their health information. */
  readonly guardianAccessReserved: boolean;
  /** An adult under guardianship (`vergemaalEllerFremtidsfullmakt`). */
  readonly underGuardianship: boolean;
}

/**
 * Facts with nothing against contact and no channel yet, changed by `changes`: the one place a
 * CitizenFacts value is built from scratch (the engine's "unknown", the preview's assumed adult,
 * test fixtures).
 */
export const citizenFacts = (changes: Partial<CitizenFacts> = {}): CitizenFacts => ({
  known: true,
  deceased: false,
  reservedResearch: false,
  withdrawn: false,
  digitallyActive: false,
  digitalMailbox: false,
  reservedAgainstDigital: false,
  addressProtected: false,
  language: 'nb',
  guardians: [],
  guardianAccessReserved: false,
  underGuardianship: false,
  ...changes,
});

export interface PostalAddress {
  /** The name printed above the address (Folkeregisteret `navn`), when the register gave one. */
  readonly addressee?: string;
  readonly lines: readonly string[];
  readonly postalCode: string;
  readonly city: string;
  /** ISO 3166 alpha-2; NO when absent. */
  readonly country?: string;
}

export type RegistryName = 'population' | 'contact' | 'reservations';

/** A registry could not be read: the batch is not sent; it waits and retries. */
export class RegistryUnavailableError extends DomainError {
  constructor(
    readonly registry: RegistryName,
    message: string,
    /** The registry asked us to wait this long (429 Retry-After). */
    readonly retryAfterMs?: number,
  ) {
    // Where a person waits (a pre-flight, a preview): 503, try again shortly. Never an ID in it.
    super('REGISTRY_UNAVAILABLE', 503, message, { registry });
    this.name = 'RegistryUnavailableError';
  }
}

export interface CitizenFactsReader {
  /**
   * Whether the general reservation against research contact can be read on this stage (a
   * configured, mirrored privacy-component definition; an empty list is not). Only the portal
   * enforces it itself: without it a research letter may go nowhere but the portal.
   */
  researchReservationReadable(): boolean;
  /** One read per registry for all of `nins` (chunked to the registry's limit inside). */
  factsOf(nins: readonly string[], projectId: string): Promise<Map<string, CitizenFacts>>;
}
