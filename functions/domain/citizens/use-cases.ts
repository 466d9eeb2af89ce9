import { ForbiddenError, NotFoundError, ValidationError } from '../../shared/errors.js';
import type { Principal } from '../../shared/principal.js';
import type { Language } from '../letters/letter.js';
import { validateNin } from '../shared/nin.js';
import type { ProjectRepository } from '../projects/ports.js';
import { auditScope } from '../projects/use-cases.js';
import { auditEvent, type AuditLog } from '../shared/audit.js';
import { projectPseudonym, type HashKeyring } from '../shared/citizen-key.js';
import type { PopulationAdmin, PopulationSeed, RegistryOutageAdmin, RegistryStandIn, ReservationAdmin } from './ports.js';

export interface CitizenDeps {
  readonly projects: ProjectRepository;
  readonly audit: AuditLog;
  readonly reservations: ReservationAdmin;
  readonly population: PopulationAdmin;
}

export interface CitizenPolicy {
  readonly allowSynthetic: boolean;
  /** The citizen hash keyring (project pseudonyms are derived from it). */
  readonly hashKeys: () => HashKeyring;
}

/** A citizen's `sub` is their national ID; a token whose sub is not one cannot act as a citizen. */
const citizenNin = (principal: Principal, policy: CitizenPolicy): string => {
  if (principal.role !== 'citizen') throw new ForbiddenError('Only citizens have reservations');
  const v = validateNin(principal.sub, { allowSynthetic: policy.allowSynthetic });
  if (!v.ok) throw new ForbiddenError('The identity in the token is not a usable national ID', 'INVALID_CITIZEN_IDENTITY');
  return principal.sub;
};

export const setResearchReservation = async (deps: CitizenDeps, policy: CitizenPolicy, principal: Principal, reserved: boolean) => {
  const nin = citizenNin(principal, policy);
  await deps.reservations.setReservation(nin, reserved);
  return { research: reserved };
};

export const getReservations = async (deps: CitizenDeps, policy: CitizenPolicy, principal: Principal) => {
  const nin = citizenNin(principal, policy);
  const [reservation, withdrawals] = await Promise.all([deps.reservations.reservationOf(nin), deps.reservations.withdrawalsOf(nin)]);
  return {
    research: reservation.reserved,
    ...(reservation.updatedAt ? { updatedAt: reservation.updatedAt } : {}),
    withdrawals,
  };
};

/**
 * Allowed at any time, also before the project ever wrote to the citizen. Audited in the project's
 * trail by the project's pseudonym, so the project can see that someone withdrew but not who,
 * and cannot match them with another project's trail.
 */
export const withdrawFromProject = async (deps: CitizenDeps, policy: CitizenPolicy, principal: Principal, projectId: string) => {
  const nin = citizenNin(principal, policy);
  const project = await deps.projects.getProject(projectId);
  if (!project) throw new NotFoundError('Project');
  await deps.reservations.withdraw(nin, projectId);
  const ring = policy.hashKeys();
  await deps.audit.append(auditScope(projectId), auditEvent(principal, 'citizen.withdrew', {}, projectPseudonym(nin, projectId, ring, project.pseudonymKeyVersion)));
  return { projectId, withdrawn: true };
};

/** Registry imports name invalid IDs by position only. */
const validateAll = (nins: readonly string[], policy: CitizenPolicy): void => {
  const bad: { field: string; message: string }[] = [];
  nins.forEach((n, i) => {
    const v = validateNin(n, { allowSynthetic: policy.allowSynthetic });
    if (!v.ok && bad.length < 100) bad.push({ field: `nins.${i}`, message: v.code });
  });
  if (bad.length) throw new ValidationError('Some national IDs are not valid; nothing was imported', bad);
};

export const importReservations = async (deps: CitizenDeps, policy: CitizenPolicy, nins: readonly string[], reserved: boolean) => {
  validateAll(nins, policy);
  await deps.reservations.setReservations(nins, reserved);
  return { updated: new Set(nins).size, reserved };
};

export type PopulationFactsInput = PopulationSeed & { readonly language?: Language };

export const importPopulationFacts = async (deps: CitizenDeps, policy: CitizenPolicy, nins: readonly string[], facts: PopulationFactsInput) => {
  validateAll(nins, policy);
  if (facts.guardians?.length) {
    // Guardians are national IDs too; named by position only.
    const bad = facts.guardians.flatMap((g, i) => (validateNin(g, { allowSynthetic: policy.allowSynthetic }).ok ? [] : [{ field: `guardians.${i}`, message: 'INVALID_NIN' }]));
    if (bad.length) throw new ValidationError('Some guardian IDs are not valid; nothing was imported', bad);
  }
  await deps.population.setFacts(nins, facts);
  return { updated: new Set(nins).size };
};

/** Local stand-ins only: a registry that cannot be reached, to see that nothing is sent meanwhile. */
export const setRegistryOutage = async (deps: { registryOutage: RegistryOutageAdmin }, registry: RegistryStandIn, down: boolean) => {
  await deps.registryOutage.setOutage(registry, down);
  return { registry, down };
};
