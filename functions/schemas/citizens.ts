import { z } from 'zod';
import { LANGUAGES } from '../domain/letters/letter.js';

/** Bulk imports carry IDs in the body only; each is validated in the domain and named by index if invalid. */
const nins = z.array(z.string().max(20)).min(1).max(100_000);

export const registryReservationsBody = z.strictObject({ nins, reserved: z.boolean() });

export const registryPopulationBody = z.strictObject({
  nins,
  deceased: z.boolean().optional(),
  digitallyActive: z.boolean().optional(),
  language: z.enum(LANGUAGES).optional(),
  /** Stand-in only: false makes the registry answer "unknown ID" (not-found) for these IDs. */
  known: z.boolean().optional(),
  guardians: z.array(z.string().max(20)).max(10).optional(),
  guardianAccessReserved: z.boolean().optional(),
  digitalMailbox: z.boolean().optional(),
  reservedAgainstDigital: z.boolean().optional(),
  postalAddress: z.boolean().optional(),
  /** Addition: the postal address is `strengtFortrolig` (never paper, skip `address_protected`). */
  addressProtected: z.boolean().optional(),
});

export const registryOutageBody = z.strictObject({ registry: z.enum(['population', 'reservations', 'contact']), down: z.boolean() });
