import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { chunks } from '../dynamo/batch.js';
import { drain } from '../../domain/shared/retry.js';

/** Sends JSON messages to one queue in SQS batches of 10, retrying entries SQS reports as failed. */
export class SqsWorkQueue<T> {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async enqueue(messages: readonly T[], opts: { delaySeconds?: number } = {}): Promise<void> {
    await Promise.all(
      chunks(messages, 10).map(async (group) => {
        const delay = opts.delaySeconds ? { DelaySeconds: Math.min(900, Math.max(0, Math.round(opts.delaySeconds))) } : {};
        const entries = group.map((m, i) => ({ Id: String(i), MessageBody: JSON.stringify(m), ...delay }));
        await drain(
          entries,
          async (pending) => {
            const res = await this.sqs.send(new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: pending }));
            const failed = new Set((res.Failed ?? []).map((f) => f.Id));
            return pending.filter((e) => failed.has(e.Id));
          },
          { maxAttempts: 6, baseDelayMs: 100, maxDelayMs: 1_600, exhausted: () => new Error('could not enqueue work after retries') },
        );
      }),
    );
  }
}
