import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { chunks } from '../dynamo/batch.js';

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
        let entries = group.map((m, i) => ({ Id: String(i), MessageBody: JSON.stringify(m), ...delay }));
        for (let attempt = 0; entries.length > 0; attempt++) {
          if (attempt > 5) throw new Error('could not enqueue work after retries');
          if (attempt > 0) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
          const res = await this.sqs.send(new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries }));
          const failed = new Set((res.Failed ?? []).map((f) => f.Id));
          entries = entries.filter((e) => failed.has(e.Id));
        }
      }),
    );
  }
}
