import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Channel } from '../../functions/domain/dispatch/channels.js';
import { batchPutAll } from '../../functions/adapters/dynamo/batch.js';
import { ageFromNin } from '../../functions/domain/lists/nin.js';

/**
 * Where the channel fakes keep delivered letters: the citizens table under the citizen's key,
 * INBOX# (Helsenorge), MAILBOX# (digital mailbox), PRINT# (paper) + roundId#deliveryId — the
 * items GET /citizen/inbox and the tests read. Same key for the same letter: one letter, never two.
 */
export const PREFIX: Record<Channel, string> = { helsenorge: 'INBOX#', 'digital-mailbox': 'MAILBOX#', paper: 'PRINT#' };

export interface DeliveredLetter {
  readonly nin: string;
  readonly roundId: string;
  readonly deliveryId: string;
  readonly projectId?: string;
  readonly subject: string;
  readonly body: string;
  readonly language?: string;
  readonly format?: string;
  readonly taskId?: string;
  readonly onBehalfOfMinor?: boolean;
  readonly address?: unknown;
}

export const storeLetter = async (db: DynamoDBDocumentClient, table: string, channel: Channel, l: DeliveredLetter): Promise<void> => {
  await batchPutAll(db, table, [
    {
      pk: `CIT#${l.nin}`,
      sk: `${PREFIX[channel]}${l.roundId}#${l.deliveryId}`,
      deliveryId: `${l.roundId}/${l.deliveryId}`,
      channel,
      subject: l.subject,
      body: l.body,
      receivedAt: new Date().toISOString(),
      ...(l.projectId ? { projectId: l.projectId } : {}),
      ...(l.language ? { language: l.language } : {}),
      ...(l.format ? { format: l.format } : {}),
      ...(l.taskId ? { taskId: l.taskId } : {}),
      ...(l.onBehalfOfMinor ? { onBehalfOfMinor: true } : {}),
      ...(l.address ? { address: l.address } : {}),
    },
  ]);
};

export const ageOf = (nin: string, at = new Date()): number => {
  const age = ageFromNin(nin, at, { allowSynthetic: true });
  return age.ok ? age.age : -1;
};
