import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Platform } from '../../../local/platform.js';

/**
 * Every letter the stand-in channels (inbox, digital mailbox, paper) hold for a round, read
 * straight from the citizens table: the ground truth for "exactly one letter per citizen".
 */
export const lettersByCitizen = async (p: Pick<Platform, 'dynamo' | 'env'>, roundId: string): Promise<Map<string, number>> => {
  const db = DynamoDBDocumentClient.from(p.dynamo);
  const out = new Map<string, number>();
  let start: Record<string, unknown> | undefined;
  do {
    const res = await db.send(
      new ScanCommand({
        TableName: p.env.TABLE_CITIZENS,
        FilterExpression: 'begins_with(sk, :i) OR begins_with(sk, :m) OR begins_with(sk, :p)',
        ExpressionAttributeValues: { ':i': `INBOX#${roundId}#`, ':m': `MAILBOX#${roundId}#`, ':p': `PRINT#${roundId}#` },
        ProjectionExpression: 'pk',
        ExclusiveStartKey: start,
      }),
    );
    for (const item of res.Items ?? []) {
      const nin = String(item.pk).slice('CIT#'.length);
      out.set(nin, (out.get(nin) ?? 0) + 1);
    }
    start = res.LastEvaluatedKey;
  } while (start);
  return out;
};
