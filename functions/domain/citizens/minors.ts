import type { Channel } from '../shared/channel.js';
import { ageFromNin, type CheckDigitRule } from '../shared/nin.js';
import type { MinorsPolicy } from '../projects/project.js';
import { citizenKey, liveKeys, type HashKeyring } from '../shared/citizen-key.js';
import type { CitizenFacts, CitizenFactsReader } from './registries.js';

/**
 * Who may be written to about a recipient, by age and parental responsibility (pasient- og
 * brukerrettighetsloven § 3-4: health consent from 16; below it the persons with parental
 * responsibility act for the child, and a 12–15-year-old may refuse them access).
 *
 * Pure: the engine calls `routeRecipient` at the moment of sending with facts read then (the
 * child's and the guardians', one registry read per batch each), and the pre-flight calls the same
 * function, so the report predicts the send.
 */

/** The age of consent in health matters: from this age a citizen is written to themselves. */
export const AGE_OF_CONSENT = 16;
/** A digital mailbox (KRR `digital_post`) may be used from 18 only. */
export const DIGITAL_MAILBOX_MIN_AGE = 18;

/** Skip reasons this policy adds to the round's breakdown (all counted in `skippedOther`). */
export const MINOR_SKIP_REASONS = ['minor', 'no_guardian', 'guardian_access_reserved', 'under_guardianship'] as const;
export type MinorSkipReason = (typeof MINOR_SKIP_REASONS)[number];

/** Every reason `routeRecipient` can skip for: the child's own checks first, in the engine's order. */
export type RouteSkipReason = 'invalid' | 'reserved' | 'withdrawn' | 'deceased' | 'not_found' | 'address_protected' | MinorSkipReason;

/**
 * The channels a person may be reached through at this age: none under 16 (their guardians are
 * written to instead, if at all); the portal and paper from 16 (whether paper is used is the
 * project's distribution rule); the digital mailbox from 18. The channel is still chosen once, from
 * the rule and the registry facts: an age-barred channel is never a candidate, which is not a
 * fallback after a refusal (e.g. `digital-mailbox-then-paper` at 17 → paper, or nothing when the
 * person has no usable postal address).
 */
export const channelsAllowedAt = (age: number): ReadonlySet<Channel> => {
  if (!Number.isFinite(age) || age < AGE_OF_CONSENT) return new Set();
  if (age < DIGITAL_MAILBOX_MIN_AGE) return new Set<Channel>(['helsenorge', 'paper']);
  return new Set<Channel>(['helsenorge', 'digital-mailbox', 'paper']);
};

/** A person a letter goes to: the recipient themselves, or one of a child's guardians. */
export interface AddressedPerson {
  readonly nin: string;
  readonly facts: CitizenFacts;
  readonly age: number;
  /** What `channelsAllowedAt(age)` says: the channel choice picks only among these. */
  readonly allowedChannels: ReadonlySet<Channel>;
}

export type GuardianExclusion = 'unknown' | 'deceased' | 'reserved' | 'withdrawn' | 'invalid_age' | 'minor' | 'under_guardianship' | 'is_the_child';

export type Route =
  /** 16 or older: the recipient is written to as anyone else (the usual rules still apply). */
  | { readonly kind: 'self'; readonly recipient: AddressedPerson }
  | { readonly kind: 'skip'; readonly reason: RouteSkipReason; readonly age?: number; readonly ignoredGuardianIds: number }
  /**
   * Under 16, policy `guardians`: one letter to each guardian listed (distinct, reachable), each
   * `onBehalfOfMinor`, rendered with the child's list fields. The child's delivery counts `sent`
   * when at least one of them received it.
   */
  | {
      readonly kind: 'guardians';
      readonly childAge: number;
      readonly guardians: readonly AddressedPerson[];
      /** Guardians listed by the register but not written to, and why (for the round report; never IDs). */
      readonly excluded: Readonly<Partial<Record<GuardianExclusion, number>>>;
      readonly ignoredGuardianIds: number;
    };

export interface RouteInput {
  readonly nin: string;
  /** The recipient's facts; undefined when no registry answered for them (→ `not_found`). */
  readonly facts: CitizenFacts | undefined;
  /** Facts of persons listed as guardians, by national ID (those the reader returned). */
  readonly guardianFacts: ReadonlyMap<string, CitizenFacts>;
  /** The project's minors policy in force (`effectiveMinorsPolicy`, never a pending change). */
  readonly policy: MinorsPolicy;
  /** The moment of sending. */
  readonly at: Date;
}

export interface NinRules {
  readonly allowSynthetic: boolean;
  readonly checkDigits?: CheckDigitRule;
}

/**
 * Which guardians of a child may be written to. Every reservation counts: a guardian who reserved
 * against research contact, withdrew from the project, is dead or unknown to the register, is not
 * written to; nor is one under 16 (no research letter to anyone under 16) or under guardianship.
 * IDs that fail validation are dropped and only counted, so the caller can log the count.
 */
const reachableGuardians = (childNin: string, facts: CitizenFacts, guardianFacts: ReadonlyMap<string, CitizenFacts>, at: Date, rules: NinRules) => {
  const excluded: Partial<Record<GuardianExclusion, number>> = {};
  const exclude = (why: GuardianExclusion) => {
    excluded[why] = (excluded[why] ?? 0) + 1;
  };
  let ignoredGuardianIds = 0;
  const guardians: AddressedPerson[] = [];
  for (const nin of new Set(facts.guardians)) {
    const age = ageFromNin(nin, at, rules);
    if (!age.ok) {
      if (age.code === 'FUTURE_BIRTH_DATE') exclude('invalid_age');
      else ignoredGuardianIds++;
      continue;
    }
    if (nin === childNin) {
      exclude('is_the_child');
      continue;
    }
    const g = guardianFacts.get(nin);
    if (!g || !g.known) exclude('unknown');
    else if (g.deceased) exclude('deceased');
    else if (g.reservedResearch) exclude('reserved');
    else if (g.withdrawn) exclude('withdrawn');
    else if (age.age < AGE_OF_CONSENT) exclude('minor');
    else if (g.underGuardianship) exclude('under_guardianship');
    else guardians.push({ nin, facts: g, age: age.age, allowedChannels: channelsAllowedAt(age.age) });
  }
  return { guardians, excluded, ignoredGuardianIds };
};

/**
 * Decides who, if anyone, gets a letter about one recipient at the moment of sending, in this
 * order: an age that cannot be computed (`invalid`); the recipient's own reservation, withdrawal,
 * death, unknown person (the engine's usual order, repeated so this function is safe on its own);
 * then 16+ under guardianship (`under_guardianship`) or 16+ (`self`); under 16: `exclude` →
 * `minor`; a reservation against guardian access → `guardian_access_reserved` (nothing about the
 * child goes to anyone); no reachable guardian → `no_guardian`; otherwise the guardians.
 *
 * The reservation against guardian access is honoured whatever the child's age under 16: the
 * register should only hold it for 12–15-year-olds, and where it says otherwise, silence is safe.
 */
export const routeRecipient = (input: RouteInput, rules: NinRules): Route => {
  const { nin, facts, at } = input;
  const skip = (reason: RouteSkipReason, age?: number, ignoredGuardianIds = 0): Route => ({
    kind: 'skip',
    reason,
    ...(age !== undefined ? { age } : {}),
    ignoredGuardianIds,
  });
  const age = ageFromNin(nin, at, rules);
  if (!age.ok) return skip('invalid');
  if (!facts) return skip('not_found', age.age);
  if (facts.reservedResearch) return skip('reserved', age.age);
  if (facts.withdrawn) return skip('withdrawn', age.age);
  if (facts.deceased) return skip('deceased', age.age);
  if (!facts.known) return skip('not_found', age.age);
  if (age.age >= AGE_OF_CONSENT) {
    if (facts.underGuardianship) return skip('under_guardianship', age.age);
    return { kind: 'self', recipient: { nin, facts, age: age.age, allowedChannels: channelsAllowedAt(age.age) } };
  }
  if (input.policy !== 'guardians') return skip('minor', age.age);
  if (facts.guardianAccessReserved) return skip('guardian_access_reserved', age.age);
  // A child with a protected address may be protected from a parent who holds parental
  // responsibility: nothing about the child goes to any guardian.
  if (facts.addressProtected) return skip('address_protected', age.age);
  const { guardians, excluded, ignoredGuardianIds } = reachableGuardians(nin, facts, input.guardianFacts, at, rules);
  if (guardians.length === 0) return skip('no_guardian', age.age, ignoredGuardianIds);
  return { kind: 'guardians', childAge: age.age, guardians, excluded, ignoredGuardianIds };
};

/**
 * The guardian IDs whose facts `routeRecipient` needs for these recipients: only children under 16,
 * only under policy `guardians`, only when nothing else already rules them out. One registry read
 * for all of them per batch. Invalid IDs are left out (they are ignored anyway).
 */
export const guardiansToRead = (recipients: Iterable<{ readonly nin: string; readonly facts: CitizenFacts | undefined }>, policy: MinorsPolicy, at: Date, rules: NinRules): string[] => {
  if (policy !== 'guardians') return [];
  const out = new Set<string>();
  for (const r of recipients) {
    const f = r.facts;
    if (!f || !f.known || f.deceased || f.reservedResearch || f.withdrawn || f.guardianAccessReserved || f.addressProtected) continue;
    const age = ageFromNin(r.nin, at, rules);
    if (!age.ok || age.age >= AGE_OF_CONSENT) continue;
    for (const g of f.guardians) if (ageFromNin(g, at, rules).ok && g !== r.nin) out.add(g);
  }
  return [...out];
};

/**
 * The delivery id (the channel's idempotency key) of the letter to one guardian about one child:
 * derived from the child's delivery id and the guardian's keyed hash — never the ID itself, and
 * not the guardian's position in the register's answer, which may change between retries. A retry
 * therefore hands the channel the same id and leaves one letter per guardian per child per round.
 */
/**
 * How a guardian's records name the child they concern (their task, ledger entry, reminder): the
 * child's keyed hash, never the ID.
 */
export const pseudonymOfChild = (nin: string, hashKey: string): string =>
  citizenKey(nin, hashKey)
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, 24);

/**
 * Every reference a guardian's records about this child may carry: under each live key version,
 * the current one first (records made before a rotation carry an older one).
 */
export const pseudonymsOfChild = (nin: string, ring: HashKeyring): string[] => liveKeys(ring).map((k) => pseudonymOfChild(nin, k));

export const guardianDeliveryId = (childDeliveryId: string, guardianNin: string, hashKey: string): string =>
  `${childDeliveryId}-g${citizenKey(guardianNin, hashKey)
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, 16)}`;

/**
 * Routes a batch of recipients whose facts were already read (the engine reads them once per batch
 * for its own checks): one more read, for the guardians of children who may be written about —
 * none under `exclude`. A registry that cannot be read throws RegistryUnavailableError: the batch
 * waits, nothing is decided on partial facts.
 */
export const routeWithFacts = async (
  reader: CitizenFactsReader,
  input: {
    readonly projectId: string;
    readonly nins: readonly string[];
    readonly facts: ReadonlyMap<string, CitizenFacts>;
    readonly policy: MinorsPolicy;
    readonly at: Date;
    readonly rules: NinRules;
  },
): Promise<Map<string, Route>> => {
  const { projectId, nins, facts, policy, at, rules } = input;
  const wanted = guardiansToRead(
    nins.map((nin) => ({ nin, facts: facts.get(nin) })),
    policy,
    at,
    rules,
  );
  const guardianFacts = wanted.length > 0 ? await reader.factsOf(wanted, projectId) : new Map<string, CitizenFacts>();
  return new Map(nins.map((nin) => [nin, routeRecipient({ nin, facts: facts.get(nin), guardianFacts, policy, at }, rules)]));
};

/** The same, reading the recipients' own facts first (the pre-flight): two reads at most. */
export const routeRecipients = async (
  reader: CitizenFactsReader,
  input: { readonly projectId: string; readonly nins: readonly string[]; readonly policy: MinorsPolicy; readonly at: Date; readonly rules: NinRules },
): Promise<Map<string, Route>> => routeWithFacts(reader, { ...input, facts: await reader.factsOf(input.nins, input.projectId) });
