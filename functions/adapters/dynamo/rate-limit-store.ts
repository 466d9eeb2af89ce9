import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RateWindowStore } from '../channels/fleet-rate-limit.js';
import { keys } from './keys.js';

/** How long a second's counter is kept after that second (DynamoDB's TTL removes it). */
const KEEP_SECONDS = 60;

/**
 * The fleet's per-second counters in the main table (keys.rateWindow): one conditional ADD per
 * take, refused when it would pass the shard's capacity. A refusal tells how much room is left
 * (ReturnValuesOnConditionCheckFailure), and the rest of it is taken instead.
 */
export class DynamoRateWindowStore implements RateWindowStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async take(service: string, second: number, shard: number, want: number, capacity: number): Promise<number> {
    let ask = Math.min(want, capacity);
    while (ask > 0) {
      try {
        await this.db.send(
          new UpdateCommand({
            TableName: this.table,
            Key: keys.rateWindow(service, second, shard),
            UpdateExpression: 'ADD #n :ask SET expiresAt = :exp',
            ConditionExpression: 'attribute_not_exists(#n) OR #n <= :room',
            ExpressionAttributeNames: { '#n': 'taken' },
            ExpressionAttributeValues: { ':ask': ask, ':room': capacity - ask, ':exp': second + KEEP_SECONDS },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return ask;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        const old = (error.Item as { taken?: { N?: string } | number } | undefined)?.taken;
        const taken = typeof old === 'number' ? old : Number(old?.N ?? Number.NaN);
        // Without the old count, ask for half as much until one token is refused.
        ask = Number.isFinite(taken) ? Math.min(ask - 1, capacity - taken) : Math.floor(ask / 2);
      }
    }
    return 0;
  }
}
