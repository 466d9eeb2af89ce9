import type { PostalAddress } from '../citizens/registries.js';
import type { RenderedLetter } from '../letters/render.js';

/** The three ways a letter reaches a citizen; the platform picks one, once, per letter. */
export type Channel = 'helsenorge' | 'digital-mailbox' | 'paper';

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
 * - `ok`: handed over (a later receipt may still say it failed after hand-over).
 * - `transient`: the channel could not be reached or timed out; the letter may or may not exist,
 *   so the engine retries later under the same `deliveryId`.
 * - `refused`: final for this recipient in this round, never followed by another channel
 *   (`channel_refused` when the reason is undisclosed, e.g. ePROM `notificationChannel: 0`;
 *   `reserved` when the channel says the citizen reserved).
 * - otherwise a permanent failure (`failed`, redrivable by operations).
 */
export type ChannelResult =
  | { readonly ok: true; readonly receiptRef?: string }
  | { readonly ok: false; readonly transient: true; readonly reason: string }
  | { readonly ok: false; readonly transient: false; readonly refused: 'channel_refused' | 'reserved' }
  | { readonly ok: false; readonly transient: false; readonly refused?: undefined; readonly reason: string };

/** Delivery channels behind one port. */
export interface ChannelGateway {
  /** Idempotent per deliveryId: delivering the same id twice leaves one letter. */
  deliver(channel: Channel, items: readonly Dispatchable[]): Promise<Map<string, ChannelResult>>;
}
