import type { Channel, ChannelGateway, ChannelResult, Dispatchable } from '../../domain/dispatch/channels.js';
import type { HandOver, ReceiptsStore } from '../../domain/receipts/ports.js';
import { logger } from '../../shared/logger.js';
import type { DigipostClient } from './digipost.js';
import type { EpromClient } from './eprom.js';

/**
 * ChannelGateway over the real channels: helsenorge → ePROM (one-channel priority list),
 * digital-mailbox → Digipost, paper → Digipost with print details. Exactly the channel asked is
 * tried; a refusal is returned as it is, never followed by another channel. Each hand-over is
 * recorded in the receipts store so later reports can be matched to the delivery.
 */
export interface NationalChannelGatewayOptions {
  readonly eprom: Pick<EpromClient, 'send'>;
  readonly digipost: Pick<DigipostClient, 'send'>;
  readonly receipts: Pick<ReceiptsStore, 'handedOver'>;
  /** Letters in flight at once per call (default 8). */
  readonly concurrency?: number;
}

/** Hand-overs per receipts write: up to three rows each, within one BatchWrite of 25 items. */
const RECEIPTS_PER_WRITE = 8;

export class NationalChannelGateway implements ChannelGateway {
  constructor(private readonly opts: NationalChannelGatewayOptions) {}

  async deliver(channel: Channel, items: readonly Dispatchable[]): Promise<Map<string, ChannelResult>> {
    const out = new Map<string, ChannelResult>();
    const handed: HandOver[] = [];
    const recording: Promise<void>[] = [];
    // Recorded as they accumulate (8 hand-overs fill one BatchWrite), not only when the whole call
    // is done: a channel's receipt (ePROM's callback) names only its own id and may come soon.
    const record = () => {
      const some = handed.splice(0);
      if (some.length === 0) return;
      recording.push(
        this.opts.receipts.handedOver(some).catch((error: unknown) => {
          // The letters are out: failing here would make the engine retry them. These receipts
          // stay missing (shown as neither confirmed nor awaiting) and the error is logged.
          logger.error('could not record channel receipts', { channel, count: some.length, error });
        }),
      );
    };
    let next = 0;
    const worker = async () => {
      while (next < items.length) {
        const item = items[next++]!;
        let sent: Awaited<ReturnType<NationalChannelGateway['one']>>;
        try {
          sent = await this.one(channel, item);
        } catch (error) {
          // Nothing reached the channel (a secret could not be read, a host is not configured):
          // retry later under the same key rather than call the letter sent or lost.
          logger.error('channel call failed before hand-over', { channel, error });
          sent = { result: { ok: false, transient: true, reason: 'channel_error' } };
        }
        const { result, ref, outcome } = sent;
        out.set(item.deliveryId, result);
        if (result.ok && ref) handed.push({ roundId: item.roundId, deliveryId: item.deliveryId, channel, ref, ...(outcome ? { outcome } : {}) });
        if (handed.length >= RECEIPTS_PER_WRITE) record();
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.opts.concurrency ?? 8, items.length) }, worker));
    record();
    await Promise.all(recording);
    return out;
  }

  private async one(channel: Channel, item: Dispatchable): Promise<{ result: ChannelResult; ref?: string; outcome?: HandOver['outcome'] }> {
    if (channel === 'helsenorge') {
      const sent = await this.opts.eprom.send(item);
      return { result: sent.result, ref: sent.messageToCitizenId };
    }
    const sent = await this.opts.digipost.send(item, channel === 'paper');
    return { result: sent.result, ref: sent.documentUuid, outcome: sent.outcome };
  }
}
