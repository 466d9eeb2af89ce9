import type { Language } from '../letters/letter.js';

/** What the population registry says of a citizen; one it has never seen is alive, digital, nb. */
export interface PopulationFacts {
  readonly deceased: boolean;
  readonly digitallyActive: boolean;
  readonly language: Language;
  /** False when the registry does not know the ID (counted as not-found, not an error). */
  readonly known: boolean;
}

/** Stand-in for the portal's privacy component: reservations against research and withdrawals. */
export interface ReservationRegistry {
  setReservation(nin: string, reserved: boolean): Promise<void>;
  isReserved(nin: string): Promise<boolean>;
  /** Batch read at send time; returns the reserved subset. */
  reservedAmong(nins: readonly string[]): Promise<Set<string>>;
  withdraw(nin: string, projectId: string): Promise<void>;
  /** Batch read at send time; returns those who withdrew from the project. */
  withdrawnAmong(nins: readonly string[], projectId: string): Promise<Set<string>>;
}

export interface PopulationRegistry {
  setFacts(nins: readonly string[], facts: Partial<Omit<PopulationFacts, 'known'>>): Promise<void>;
  factsOf(nins: readonly string[]): Promise<Map<string, PopulationFacts>>;
}

/** The citizen's own view and the bulk import: what the stand-in's HTTP routes need beyond the send-time reads. */
export interface ReservationAdmin extends ReservationRegistry {
  setReservations(nins: readonly string[], reserved: boolean): Promise<void>;
  reservationOf(nin: string): Promise<{ reserved: boolean; updatedAt?: string }>;
  withdrawalsOf(nin: string): Promise<{ projectId: string; withdrawnAt: string }[]>;
}

/**
 * What the local registry fakes can be seeded with (PUT /registry/population); `known: false`
 * makes the registries answer "unknown ID" (not-found).
 */
export interface PopulationSeed extends Partial<Omit<PopulationFacts, 'known'>> {
  readonly known?: boolean;
  readonly guardians?: readonly string[];
  readonly guardianAccessReserved?: boolean;
  readonly digitalMailbox?: boolean;
  readonly reservedAgainstDigital?: boolean;
  readonly postalAddress?: boolean;
  readonly addressProtected?: boolean;
}

export interface PopulationAdmin extends PopulationRegistry {
  setFacts(nins: readonly string[], facts: PopulationSeed): Promise<void>;
}

export type RegistryStandIn = 'population' | 'reservations' | 'contact';

/** Local only: takes a stand-in registry down and up again (PUT /registry/outage). */
export interface RegistryOutageAdmin {
  setOutage(registry: RegistryStandIn, down: boolean): Promise<void>;
}
