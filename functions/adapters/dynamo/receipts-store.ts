import { DeleteCommand, GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Channel } from '../../domain/dispatch/channels.js';
import type { HandOver, ReceiptOutcome, ReceiptsStore, ReceiptSummary } from '../../domain/receipts/ports.js';
import { batchGetAll, batchPutAll, queryAll } from './batch.js';
import { isConditionFailure } from './errors.js';

/**
 * Receipts per delivery, in the main table: `RECEIPT#<roundId>` / `D#<deliveryId>` holds the
 * outcome, `RECEIPTREF#<channel ref>` finds it from a callback, and `RECEIPTPOLL` lists hand-overs
 * whose channel must be asked (Digipost). No national ID is stored here.
 */
const receiptKey = (roundId: string, deliveryId: string) => ({ pk: `RECEIPT#${roundId}`, sk: `D#${deliveryId}` });
const refKey = (ref: string) => ({ pk: `RECEIPTREF#${ref}`, sk: 'REF' });
const pollKey = (ref: string) => ({ pk: 'RECEIPTPOLL', sk: ref });

export class DynamoReceiptsStore implements ReceiptsStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async handedOver(items: readonly HandOver[]): Promise<void> {
    const at = new Date().toISOString();
    await batchPutAll(
      this.db,
      this.table,
      items.flatMap((i) => {
        const outcome = i.outcome ?? 'awaiting';
        const rows: Record<string, unknown>[] = [
          { ...receiptKey(i.roundId, i.deliveryId), channel: i.channel, ref: i.ref, outcome, at },
          { ...refKey(i.ref), roundId: i.roundId, deliveryId: i.deliveryId, channel: i.channel },
        ];
        if (outcome === 'awaiting' && i.channel !== 'helsenorge') rows.push({ ...pollKey(i.ref), roundId: i.roundId, deliveryId: i.deliveryId });
        return rows;
      }),
    );
  }

  async handedOverAmong(roundId: string, deliveryIds: readonly string[]): Promise<ReadonlySet<string>> {
    if (deliveryIds.length === 0) return new Set();
    const rows = await batchGetAll(this.db, this.table, deliveryIds.map((d) => receiptKey(roundId, d)), { consistent: true, projection: 'sk' });
    return new Set(rows.map((r) => String(r.sk).slice('D#'.length)));
  }

  async byRef(ref: string): Promise<{ roundId: string; deliveryId: string; channel: Channel } | undefined> {
    const res = await this.db.send(new GetCommand({ TableName: this.table, Key: refKey(ref), ConsistentRead: true }));
    if (!res.Item) return undefined;
    return { roundId: String(res.Item.roundId), deliveryId: String(res.Item.deliveryId), channel: res.Item.channel as Channel };
  }

  async settle(ref: string, outcome: ReceiptOutcome, at: string): Promise<boolean> {
    const found = await this.byRef(ref);
    if (!found) return false;
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: receiptKey(found.roundId, found.deliveryId),
          UpdateExpression: 'SET outcome = :o, settledAt = :at',
          ConditionExpression: 'outcome = :awaiting',
          ExpressionAttributeValues: { ':o': outcome, ':at': at, ':awaiting': 'awaiting' },
        }),
      );
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
    }
    // Only channels that are polled (Digipost) have a poll entry to drop.
    if (found.channel !== 'helsenorge') await this.db.send(new DeleteCommand({ TableName: this.table, Key: pollKey(ref) }));
    return true;
  }

  async awaitingPoll(limit: number): Promise<{ ref: string; roundId: string; deliveryId: string }[]> {
    const res = await this.db.send(
      new QueryCommand({ TableName: this.table, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': 'RECEIPTPOLL' }, Limit: limit }),
    );
    return (res.Items ?? []).map((i) => ({ ref: String(i.sk), roundId: String(i.roundId), deliveryId: String(i.deliveryId) }));
  }

  async summary(roundId: string): Promise<ReceiptSummary> {
    const items = await queryAll(this.db, {
      TableName: this.table,
      KeyConditionExpression: 'pk = :p',
      ExpressionAttributeValues: { ':p': `RECEIPT#${roundId}` },
      ProjectionExpression: 'outcome',
    });
    const out = { confirmed: 0, failedAfterSend: 0, awaiting: 0 };
    for (const i of items) {
      if (i.outcome === 'confirmed') out.confirmed++;
      else if (i.outcome === 'failedAfterSend') out.failedAfterSend++;
      else out.awaiting++;
    }
    return out;
  }
}
