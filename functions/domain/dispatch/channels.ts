import type { PostalAddress } from '../citizens/registries.js';
import type { RenderedLetter } from '../letters/render.js';
import type { Channel } from '../shared/channel.js';

/** One letter handed to a channel; `deliveryId` is the channel's idempotency key (ePROM message key, Digipost message-id). */
export interface Dispatchable {
  readonly deliveryId: string;
  readonly projectId: string;
  readonly roundId: string;
  /** The person the letter is addressed to (a guardian, for a letter about a minor). */
  readonly nin: string;
  readonly letter: RenderedLetter;
  readonly taskId?: string;
  /** Only for `paper`: the address Folkeregisteret gave at send time. */
  readonly address?: PostalAddress;
  /** A letter to a guardian about a child they have parental responsibility for. */
  readonly onBehalfOfMinor?: boolean;
  /** Sender shown by the channel (organisation of the project). */
  readonly sender?: { readonly organisationName: string; readonly organisationNr?: string };
}

/**
 * What a channel answered for one letter.
 * - `ok`: handed over (a later receipt may still say it failed after hand-over); `wentAs` where
 *   the channel's answer says the way it went (Digipost's delivery method: a letter sent for paper
 *   goes to the mailbox of a Digipost user).
 * - `transient`: the letter certainly does not exist at the channel, or the channel deduplicates
 *   by our key (Digipost's `message-id`), so trying again later under the same `deliveryId` is safe.
 * - `inDoubt`: the call got no answer (or 502/504, or was aborted at its deadline) on a channel
 *   that takes no sender key (ePROM): the letter may exist. Never re-sent automatically; the
 *   recipient is `failed` with reason `in_doubt` until a receipt settles it.
 * - `refused`: final for this recipient in this round, never followed by another channel
 *   (`channel_refused` when the reason is undisclosed, e.g. ePROM `notificationChannel: 0`;
 *   `reserved` when the channel says the citizen reserved).
 * - otherwise a permanent failure (`failed`, redrivable by operations).
 */
export type ChannelResult =
  | { readonly ok: true; readonly receiptRef?: string; readonly wentAs?: Channel }
  | { readonly ok: false; readonly transient: true; readonly reason: string }
  | { readonly ok: false; readonly transient: false; readonly inDoubt: true; readonly reason: string }
  | { readonly ok: false; readonly transient: false; readonly inDoubt?: undefined; readonly refused: 'channel_refused' | 'reserved' }
  | { readonly ok: false; readonly transient: false; readonly inDoubt?: undefined; readonly refused?: undefined; readonly reason: string };

/**
 * What the channel side can tell of a letter an attempt that died may have handed over:
 * `handed_over` (a recorded hand-over, or the channel knows the key), `not_handed_over` (the
 * channel says it has no letter under our key), `unknown` (no record and the channel cannot be
 * asked by our key — ePROM).
 */
export type Fate = 'handed_over' | 'not_handed_over' | 'unknown';

/**
 * One letter's fate and, for a letter that left, the way it went where the channel side says
 * (Digipost's delivery method: the mailbox or print, whichever channel the letter was sent for).
 */
export interface LetterFate {
  readonly fate: Fate;
  readonly wentAs?: Channel;
}

export interface HandOverOptions {
  /** Aborted at the wave's deadline: every call of the hand-over ends by then. */
  readonly signal: AbortSignal;
}

/** Delivery channels behind one port. */
export interface ChannelGateway {
  /**
   * Hands these letters to the channel, all of them in flight at once (the caller sizes the wave),
   * and records every hand-over in the receipts store before returning (throws
   * `HandOverNotRecordedError` when a hand-over cannot be recorded: the batch must not commit).
   * No call outlives `signal`: an aborted call answers `inDoubt` (ePROM) or `transient` (Digipost).
   */
  handOver(channel: Channel, items: readonly Dispatchable[], opts: HandOverOptions): Promise<Map<string, ChannelResult>>;
  /**
   * The fate of letters a dead attempt of round `roundId` planned (delivery ids are unique within
   * their round only): recorded hand-overs first, then the channel by our key where it can tell.
   * Throws when the channel that could tell does not answer (Digipost): ask again later.
   */
  fateOf(channel: Channel, roundId: string, deliveryIds: readonly string[], opts: HandOverOptions): Promise<Map<string, LetterFate>>;
}

/** A hand-over happened but could not be recorded (receipts store down): the batch must come back, not commit. */
export class HandOverNotRecordedError extends Error {
  constructor() {
    super('letters were handed over but their receipts could not be recorded');
    this.name = 'HandOverNotRecordedError';
  }
}
