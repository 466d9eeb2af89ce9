import { type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ChannelGateway, ChannelResult, Dispatchable, HandOverOptions, LetterFate } from '../../domain/dispatch/channels.js';
import type { Channel } from '../../domain/shared/channel.js';
import { batchGetAll, batchPutAll, queryAll } from '../dynamo/batch.js';
import { keys } from '../dynamo/keys.js';
import { isExpired, retentionFor, type RetentionPolicy } from '../../domain/shared/retention.js';
import { config } from '../../shared/config.js';

/**
 * Stand-ins for the portal's delivery channels, kept in the citizens table under the citizen's
 * own key: the helsenorge inbox (read back by GET /citizen/inbox), the digital mailbox and the
 * paper print queue. Each letter is stored under its delivery id, so delivering the same id again
 * rewrites the same record: one letter, never two. The deployed stack swaps in the real channel
 * integrations behind the same port.
 *
 * Because it deduplicates by delivery id, a call that was aborted (or whose answer was lost) is
 * always safe to repeat (`transient`), and `fateOf` tells from the stored letters whether a dead
 * attempt's letter exists. A stored letter is its own record of the hand-over.
 */
const indexKey = (channel: Channel, roundId: string, deliveryId: string) => ({ pk: `LOCALSENT#${channel}#${roundId}`, sk: `D#${deliveryId}` });

export class LocalChannelGateway implements ChannelGateway {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly citizensTable: string,
    /** How long a delivered copy is kept (RETENTION_DAYS after delivery, DynamoDB TTL). */
    private readonly retention: RetentionPolicy = config.retention(),
  ) {}

  async handOver(channel: Channel, items: readonly Dispatchable[], { signal }: HandOverOptions): Promise<Map<string, ChannelResult>> {
    // Past the wave's deadline nothing is written: the letters certainly did not leave.
    if (signal.aborted) return new Map(items.map((i) => [i.deliveryId, { ok: false, transient: true, reason: 'channel_timeout' }]));
    await this.deliver(channel, items);
    return new Map(items.map((i) => [i.deliveryId, { ok: true }]));
  }

  async fateOf(channel: Channel, roundId: string, deliveryIds: readonly string[], _opts: HandOverOptions): Promise<Map<string, LetterFate>> {
    const out = new Map<string, LetterFate>(deliveryIds.map((d) => [d, { fate: 'not_handed_over' }]));
    if (deliveryIds.length === 0) return out;
    // As Digipost knows a message by its id whichever way it went, the mailbox and print are both looked in.
    const ways: Channel[] = channel === 'helsenorge' ? [channel] : ['digital-mailbox', 'paper'];
    // The letters live under the citizen's key; the delivery index row names them by round and id.
    const rows = await batchGetAll(
      this.db,
      this.citizensTable,
      ways.flatMap((way) => deliveryIds.map((d) => indexKey(way, roundId, d))),
      { consistent: true, projection: 'pk, sk' },
    );
    for (const r of rows) out.set(String(r.sk).slice('D#'.length), { fate: 'handed_over', wentAs: String(r.pk).split('#')[1] as Channel });
    return out;
  }

  /** Stores the letters (one record per delivery id) and the per-round index fateOf reads. */
  async deliver(channel: Channel, items: readonly Dispatchable[]): Promise<Map<string, ChannelResult>> {
    const receivedAt = new Date().toISOString();
    const expiresAt = retentionFor('inbox', receivedAt, this.retention);
    await batchPutAll(
      this.db,
      this.citizensTable,
      items.map((i) => ({
        ...keys.deliveredLetter(i.nin, channel, i.roundId, i.deliveryId),
        deliveryId: `${i.roundId}/${i.deliveryId}`,
        projectId: i.projectId,
        channel,
        subject: i.letter.subject,
        body: i.letter.body,
        language: i.letter.language,
        format: i.letter.format,
        receivedAt,
        expiresAt,
        ...(i.taskId ? { taskId: i.taskId } : {}),
        // The flag travels on the rendered letter (and on the v2 Dispatchable, channels.ts).
        ...(i.letter.onBehalfOfMinor === true || (i as { onBehalfOfMinor?: boolean }).onBehalfOfMinor === true ? { onBehalfOfMinor: true } : {}),
      })),
    );
    // After the letters: an index row exists only for a letter that exists. No national ID in it.
    await batchPutAll(
      this.db,
      this.citizensTable,
      items.map((i) => ({ ...indexKey(channel, i.roundId, i.deliveryId), expiresAt })),
    );
    return new Map(items.map((i) => [i.deliveryId, { ok: true }]));
  }

  /** What one citizen has received through a channel (the inbox endpoint, and tests). */
  async received(nin: string, channel: Channel): Promise<Record<string, unknown>[]> {
    const { pk, skPrefix } = keys.deliveredLetters(nin, channel);
    const out = await queryAll(this.db, {
      TableName: this.citizensTable,
      KeyConditionExpression: 'pk = :p AND begins_with(sk, :s)',
      ExpressionAttributeValues: { ':p': pk, ':s': skPrefix },
    });
    return out.filter((i) => !isExpired(i.expiresAt)).sort((a, b) => String(a.receivedAt).localeCompare(String(b.receivedAt)));
  }
}
