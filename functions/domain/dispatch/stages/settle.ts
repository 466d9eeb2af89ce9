import type { SkipReason } from '../../rounds/round.js';
import { IN_DOUBT, type RecipientOutcome } from '../../rounds/round.js';
import type { ChannelResult } from '../channels.js';
import type { Channel } from '../../shared/channel.js';
import type { LedgerEntry } from '../ports.js';
import { deliveryIdOf, sealGuardian, seconds, type Attempt } from './attempt.js';
import { pseudonymOfChild } from '../../citizens/minors.js';
import type { ToSend } from './compose.js';
import type { HandedLetter } from './hand-over.js';

/** What a wave or a recovery decided: outcomes by recipient index, the ledger entries, letters sent. */
export interface Settled {
  readonly outcomes: Map<number, RecipientOutcome>;
  readonly entries: LedgerEntry[];
  sent: number;
}

export const emptySettled = (): Settled => ({ outcomes: new Map(), entries: [], sent: 0 });

/** What a ledger entry takes from its round. */
export type EntryRound = Pick<Attempt['round'], 'projectId' | 'roundId' | 'letterId' | 'letterVersion' | 'contentHash' | 'test'>;

/** A ledger entry of this attempt's round (or of a failover's rebuild: rebuild-ledger.ts), at `now`. */
export const entryFor = (
  a: { readonly round: EntryRound },
  now: Date,
  nin: string,
  e: Pick<LedgerEntry, 'outcome' | 'reason' | 'channel' | 'detail' | 'aboutChild' | 'viaGuardians' | 'row' | 'language' | 'letterHash'>,
): LedgerEntry => {
  const { round } = a;
  return {
    projectId: round.projectId,
    roundId: round.roundId,
    letterId: round.letterId,
    version: round.letterVersion,
    contentHash: round.contentHash,
    ...(round.test ? { test: true } : {}),
    nin,
    at: now.toISOString(),
    ...Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined)),
  } as LedgerEntry;
};

export const skip = (a: Attempt, s: Settled, now: Date, index: number, nin: string, reason: SkipReason, extra: { channel?: Channel; detail?: string } = {}): void => {
  s.outcomes.set(index, { kind: 'skipped', reason, at: seconds(now) });
  s.entries.push(entryFor(a, now, nin, { outcome: 'skipped', reason, ...extra }));
};

export const fail = (a: Attempt, s: Settled, now: Date, index: number, nin: string, reason: string, channel: Channel | undefined): void => {
  s.outcomes.set(index, { kind: 'failed', reason, ...(channel ? { channel } : {}), at: seconds(now) });
  s.entries.push(entryFor(a, now, nin, { outcome: 'failed', reason, ...(channel ? { channel } : {}) }));
};

/**
 * A recipient's letters reached the channel: `sent` (for a child, through `reached` guardians), with
 * the ledger entries of each guardian who got one (about the child) and of the recipient. The one
 * writer of these entries, for a wave and for a recovery alike: a retry records exactly what the
 * first attempt would have, but the letter's fingerprint (`letter`), which only the attempt that
 * composed the letter knows. `reached` exceeds `guardians.length` only when a recovery could not name
 * every guardian whose letter left (the register no longer lists them).
 */
export const sent = (
  a: Attempt,
  s: Settled,
  now: Date,
  index: number,
  nin: string,
  channel: Channel,
  guardians?: readonly { nin: string; channel: Channel; letter?: HandedLetter | undefined }[],
  reached: number | undefined = guardians?.length,
  letter?: HandedLetter,
): void => {
  s.outcomes.set(index, { kind: 'sent', channel, at: seconds(now), ...(guardians ? { guardians: reached } : {}) });
  // Which row filled the letter, its language and fingerprint: what a complaint lookup renders and checks (a recovery knows none).
  const row = a.range.start + index;
  const about = (l: HandedLetter | undefined) => (l ? { row, language: l.language, letterHash: l.letterHash } : {});
  if (guardians) {
    const child = pseudonymOfChild(nin, a.hashKey);
    for (const g of guardians) s.entries.push(entryFor(a, now, g.nin, { outcome: 'sent', channel: g.channel, aboutChild: child, ...about(g.letter) }));
  }
  s.entries.push(entryFor(a, now, nin, { outcome: 'sent', channel, ...(guardians ? { viaGuardians: reached } : about(letter)) }));
  s.sent++;
};

/**
 * Guardians whose letter about a child may exist though it is not known to have left (an ePROM
 * call without an answer; a Digipost call cut off mid-way) and that is never tried again — the
 * child is sent through another guardian, or is in doubt itself: each gets an entry of their own
 * about the child, `failed` with reason `in_doubt`, so that their complaint lookup says a letter
 * may have reached them rather than nothing.
 */
export const guardiansInDoubt = (a: Attempt, s: Settled, now: Date, childNin: string, guardians: readonly { nin: string; channel: Channel }[]): void => {
  if (guardians.length === 0) return;
  const child = pseudonymOfChild(childNin, a.hashKey);
  for (const g of guardians) s.entries.push(entryFor(a, now, g.nin, { outcome: 'failed', reason: IN_DOUBT, channel: g.channel, aboutChild: child }));
};

/** A channel's answer after which the letter may exist: no answer from ePROM, or a Digipost call cut off (timed out, broken mid-way). */
const mayExist = (r: ChannelResult): boolean => !r.ok && (('inDoubt' in r && r.inDoubt === true) || (r.transient && (r.reason === 'channel_timeout' || r.reason === 'channel_error')));

/**
 * What the channels' answers mean for each recipient of the wave. The recipient is `sent` when a
 * letter of theirs was handed over (a child: when at least one guardian's was, and no other
 * guardian's is tried again — ePROM could deliver it twice), counted the way it went where the
 * channel says (Digipost puts a letter with print details in a user's mailbox). Otherwise: a letter that may exist
 * (`inDoubt`) makes the recipient `failed` with reason `in_doubt`, never re-sent; a transient
 * failure keeps them pending for another try (a child with the guardians whose letter may have
 * left, sealed; failed after `maxTries`, those guardians in doubt); a refusal is final
 * (skipped, never another channel); anything else is a permanent failure (redrivable).
 */
export const settleWave = (
  a: Attempt,
  s: Settled,
  now: Date,
  toSend: readonly ToSend[],
  results: ReadonlyMap<string, ChannelResult>,
  tries: (index: number) => number,
  letters: ReadonlyMap<string, HandedLetter> = new Map(),
): void => {
  for (const t of toSend) {
    const nin = t.recipient.nin;
    const answered = t.addressees.map((to) => ({ to, r: results.get(to.deliveryId) ?? { ok: false, transient: false, inDoubt: true, reason: 'no_result' } }));
    const handed = answered.flatMap((x) => (x.r.ok ? [{ to: x.to, way: x.r.wentAs ?? x.to.channel }] : []));
    const uncertain = () => answered.filter((x) => mayExist(x.r)).map((x) => ({ nin: x.to.nin, channel: x.to.channel }));
    const channel = t.addressees[0]!.channel;
    if (handed.length > 0) {
      const first = handed[0]!;
      sent(
        a,
        s,
        now,
        t.index,
        nin,
        first.way,
        t.guardians ? handed.map((x) => ({ nin: x.to.nin, channel: x.way, letter: letters.get(x.to.deliveryId) })) : undefined,
        undefined,
        letters.get(first.to.deliveryId),
      );
      if (t.guardians) guardiansInDoubt(a, s, now, nin, uncertain());
      continue;
    }
    const failures = answered.map((x) => x.r).filter((r): r is Exclude<ChannelResult, { ok: true }> => !r.ok);
    if (failures.some((r) => !r.transient && r.inDoubt)) {
      fail(a, s, now, t.index, nin, IN_DOUBT, channel);
      if (t.guardians) guardiansInDoubt(a, s, now, nin, uncertain());
      continue;
    }
    const transient = failures.find((r) => r.transient);
    if (transient) {
      const n = tries(t.index) + 1;
      if (n < a.deps.settings.maxTries) {
        // The guardians whose letter may have left, sealed: the next try asks about their letters, whatever the register says by then.
        const self = deliveryIdOf(a.ref.batchNo, t.index);
        const tried = t.guardians ? uncertain().map((g) => sealGuardian(a, g.nin, self)) : [];
        s.outcomes.set(t.index, { kind: 'pending', tries: n, ...(tried.length > 0 ? { tried } : {}) });
      } else {
        fail(a, s, now, t.index, nin, t.guardians ? 'guardian_letters_failed' : (transient as { reason: string }).reason, channel);
        // Out of tries: a guardian's letter that may have left is never asked about again.
        if (t.guardians) guardiansInDoubt(a, s, now, nin, uncertain());
      }
      continue;
    }
    const permanent = failures.find((r) => !r.transient && !r.inDoubt && r.refused === undefined);
    if (permanent) {
      fail(a, s, now, t.index, nin, t.guardians ? 'guardian_letters_failed' : (permanent as { reason: string }).reason, channel);
      continue;
    }
    // Every channel refused: final for this recipient in this round; for a child nobody was reachable.
    const refused = failures.find((r) => !r.transient && !r.inDoubt && r.refused !== undefined) as { refused: 'channel_refused' | 'reserved' } | undefined;
    skip(a, s, now, t.index, nin, t.guardians ? 'no_guardian' : (refused?.refused ?? 'channel_refused'), { channel });
  }
};
