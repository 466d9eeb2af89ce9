import { DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';

export interface QueueStats {
  readonly visible: number;
  readonly inFlight: number;
  readonly deadLettered: number;
}

/** Queue depths for the operations screen, and moving dead-lettered messages back to work. */
export class SqsQueueAdmin {
  constructor(private readonly sqs: SQSClient) {}

  async stats(queueUrl: string, dlqUrl: string): Promise<QueueStats> {
    const attrs = async (url: string) =>
      (await this.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }))).Attributes ?? {};
    const [q, d] = await Promise.all([attrs(queueUrl), attrs(dlqUrl)]);
    return {
      visible: Number(q.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(q.ApproximateNumberOfMessagesNotVisible ?? 0),
      deadLettered: Number(d.ApproximateNumberOfMessages ?? 0) + Number(d.ApproximateNumberOfMessagesNotVisible ?? 0),
    };
  }

  /** Moves every message of the DLQ back to its queue (send first, then delete: at worst a duplicate, which consumers tolerate). */
  async redrive(dlqUrl: string, queueUrl: string, max = 10_000): Promise<number> {
    let moved = 0;
    while (moved < max) {
      const res = await this.sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 30 }));
      const messages = res.Messages ?? [];
      if (messages.length === 0) break;
      await this.sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: messages.map((m, i) => ({ Id: String(i), MessageBody: m.Body ?? '' })) }));
      await this.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: dlqUrl, Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
      moved += messages.length;
    }
    return moved;
  }
}
