import type { Channel } from '../shared/channel.js';

/**
 * What the channels report about a letter after hand-over (ePROM's callback, Digipost's status),
 * per delivery. Shown on the round next to — never instead of — the nine counts.
 */
export interface ReceiptSummary {
  /** The channel confirmed the letter reached the citizen's inbox, mailbox or the printer. */
  readonly confirmed: number;
  /** Handed over, then reported as not delivered (e.g. ePROM sentStatus Error). */
  readonly failedAfterSend: number;
  /** Handed over, no report yet. */
  readonly awaiting: number;
}

export type ReceiptOutcome = 'confirmed' | 'failedAfterSend';

export interface HandOver {
  readonly roundId: string;
  readonly deliveryId: string;
  /** The way the letter went (Digipost's answer may say the mailbox for a letter sent for paper). */
  readonly channel: Channel;
  /** The channel's own id of the message (ePROM messageToCitizenId, Digipost document uuid). */
  readonly ref: string;
  /** Already confirmed at hand-over (Digipost DELIVERED), else awaiting. */
  readonly outcome?: ReceiptOutcome;
}

export interface ReceiptsReader {
  summary(roundId: string): Promise<ReceiptSummary>;
}

export interface ReceiptsStore extends ReceiptsReader {
  handedOver(items: readonly HandOver[]): Promise<void>;
  /**
   * Which of these deliveries of round `roundId` have a recorded hand-over (read consistently), each
   * with the way it went where that was recorded (hand-overs recorded before the way was kept: undefined).
   */
  handedOverAmong(roundId: string, deliveryIds: readonly string[]): Promise<ReadonlyMap<string, Channel | undefined>>;
  /** The delivery a channel reference belongs to (callbacks name only the channel's id). */
  byRef(ref: string): Promise<{ roundId: string; deliveryId: string; channel: Channel } | undefined>;
  /** Records a later report; a second report for the same delivery keeps the first. False when the ref is not (yet) known. */
  settle(ref: string, outcome: ReceiptOutcome, at: string): Promise<boolean>;
  /**
   * Keeps a report whose hand-over is not recorded (yet): it is settled when the hand-over lands
   * (`handedOver` matches parked reports), or at once when it landed meanwhile (`settled`).
   */
  park(ref: string, outcome: ReceiptOutcome, at: string): Promise<'settled' | 'parked'>;
  /** Hand-overs still awaiting a report on a channel that must be polled (Digipost). */
  awaitingPoll(limit: number): Promise<{ ref: string; roundId: string; deliveryId: string }[]>;
}
