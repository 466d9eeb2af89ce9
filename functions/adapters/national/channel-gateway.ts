import { HandOverNotRecordedError, type ChannelGateway, type ChannelResult, type Dispatchable, type HandOverOptions, type LetterFate } from '../../domain/dispatch/channels.js';
import { type Channel } from '../../domain/shared/channel.js';
import type { HandOver, ReceiptsStore } from '../../domain/receipts/ports.js';
import { logger } from '../../shared/logger.js';
import { documentUuidOf, type DigipostClient } from './digipost.js';
import type { EpromClient } from './eprom.js';
import { messageKeyOf } from './message-key.js';
import { mapLimited } from '../../domain/shared/concurrency.js';
import { withRetry, type Backoff } from '../../domain/shared/retry.js';

/**
 * ChannelGateway over the real channels: helsenorge → ePROM (one-channel priority list),
 * digital-mailbox → Digipost, paper → Digipost with print details. Exactly the channel asked is
 * tried; a refusal is returned as it is, never followed by another channel.
 *
 * handOver: every letter of the call is in flight at once (the engine sizes the wave; an optional
 * `concurrency` caps it), each call carries the wave's abort signal, and every hand-over is recorded
 * in the receipts store before the call returns — tried 3 times with backoff, then
 * `HandOverNotRecordedError`, so the batch comes back instead of committing letters whose receipts
 * are lost.
 *
 * handOver answers (and records) a Digipost letter the way Digipost says it went: a letter with
 * print details goes to a Digipost user's mailbox, and is counted there, not as paper.
 *
 * fateOf: a recorded hand-over → `handed_over`, the way it was recorded. Otherwise Digipost (mailbox, paper) is asked by the
 * document uuid our key gives: known → `handed_over` the way its status says it went (and recorded
 * so), 404 → `not_handed_over`; when
 * Digipost does not answer, fateOf throws (the fate cannot be told now: ask again later). ePROM
 * cannot be asked by our key: → `unknown`.
 */
export interface NationalChannelGatewayOptions {
  readonly eprom: Pick<EpromClient, 'send'>;
  readonly digipost: Pick<DigipostClient, 'send' | 'find'>;
  readonly receipts: Pick<ReceiptsStore, 'handedOver' | 'handedOverAmong'>;
  /** At most this many letters in flight at once per call (default: the whole call). */
  readonly concurrency?: number;
  /** Waits between the tries of recording hand-overs (default from 100 ms, doubling, at most 400 ms, half jittered). */
  readonly recordBackoff?: Backoff;
}

const RECORD_TRIES = 3;
const DEFAULT_BACKOFF: Backoff = { baseDelayMs: 100, maxDelayMs: 400 };

export class NationalChannelGateway implements ChannelGateway {
  constructor(private readonly opts: NationalChannelGatewayOptions) {}

  async handOver(channel: Channel, items: readonly Dispatchable[], { signal }: HandOverOptions): Promise<Map<string, ChannelResult>> {
    const out = new Map<string, ChannelResult>();
    const handed: HandOver[] = [];
    await mapLimited(items, this.opts.concurrency ?? items.length, async (item) => {
      if (signal.aborted) {
        // The wave's deadline passed before this letter's turn: it certainly did not leave.
        out.set(item.deliveryId, { ok: false, transient: true, reason: 'channel_timeout' });
        return;
      }
      let sent: Awaited<ReturnType<NationalChannelGateway['one']>>;
      try {
        sent = await this.one(channel, item, signal);
      } catch (error) {
        // Nothing reached the channel (a secret could not be read, a host is not configured):
        // retry later under the same key rather than call the letter sent or lost.
        logger.error('channel call failed before hand-over', { channel, error });
        sent = { result: { ok: false, transient: true, reason: 'channel_error' } };
      }
      const { result, ref, outcome } = sent;
      out.set(item.deliveryId, result);
      // Recorded the way it went where Digipost's answer says (its `delivery-method`).
      if (result.ok && ref) handed.push({ roundId: item.roundId, deliveryId: item.deliveryId, channel: result.wentAs ?? channel, ref, ...(outcome ? { outcome } : {}) });
    });
    await this.record(channel, handed);
    return out;
  }

  async fateOf(channel: Channel, roundId: string, deliveryIds: readonly string[], { signal }: HandOverOptions): Promise<Map<string, LetterFate>> {
    const out = new Map<string, LetterFate>();
    const recorded = await this.opts.receipts.handedOverAmong(roundId, deliveryIds);
    const open = deliveryIds.filter((d) => !recorded.has(d));
    for (const [d, wentAs] of recorded) out.set(d, { fate: 'handed_over', ...(wentAs ? { wentAs } : {}) });
    if (channel === 'helsenorge') {
      // ePROM takes no key of ours and cannot be asked by one.
      for (const d of open) out.set(d, { fate: 'unknown' });
      return out;
    }
    const found: HandOver[] = [];
    // Throws (a Digipost status call without a usable answer) when any cannot be told now.
    await Promise.all(
      open.map(async (deliveryId) => {
        const ref = documentUuidOf(messageKeyOf({ roundId, deliveryId }));
        const held = await this.opts.digipost.find(ref, { signal });
        if (!held) {
          out.set(deliveryId, { fate: 'not_handed_over' });
          return;
        }
        out.set(deliveryId, { fate: 'handed_over', ...(held.wentAs ? { wentAs: held.wentAs } : {}) });
        found.push({ roundId, deliveryId, channel: held.wentAs ?? channel, ref });
      }),
    );
    await this.record(channel, found);
    return out;
  }

  /** Records hand-overs, 3 tries with backoff; then HandOverNotRecordedError (never only a log line). */
  private async record(channel: Channel, handed: readonly HandOver[]): Promise<void> {
    if (handed.length === 0) return;
    try {
      await withRetry(() => this.opts.receipts.handedOver(handed), { maxAttempts: RECORD_TRIES, ...(this.opts.recordBackoff ?? DEFAULT_BACKOFF) });
    } catch (error) {
      logger.error('could not record channel receipts', { channel, count: handed.length, error });
      throw new HandOverNotRecordedError();
    }
  }

  private async one(channel: Channel, item: Dispatchable, signal: AbortSignal): Promise<{ result: ChannelResult; ref?: string; outcome?: HandOver['outcome'] }> {
    if (channel === 'helsenorge') {
      const sent = await this.opts.eprom.send(item, { signal });
      return { result: sent.result, ref: sent.messageToCitizenId };
    }
    const sent = await this.opts.digipost.send(item, channel === 'paper', { signal });
    return { result: sent.result, ref: sent.documentUuid, outcome: sent.outcome };
  }
}
