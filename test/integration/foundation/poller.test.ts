import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { startPoller, type Poller } from '../../../local/poller.js';

/**
 * The local poller must behave like Lambda's SQS event source mapping: successes deleted, reported
 * failures redelivered after the visibility timeout, and moved to the DLQ by the redrive policy.
 */
let sqs: SQSClient;
let poller: Poller | undefined;
beforeAll(() => {
  sqs = new SQSClient({ region: 'eu-north-1', endpoint: inject('emulators').awsEndpoint, credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
});
afterAll(async () => {
  await poller?.stop();
});

const waitFor = async (check: () => boolean | Promise<boolean>, ms = 20_000) => {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('condition not met in time');
};

describe('local SQS poller', () => {
  it('deletes successes, redelivers partial failures, and dead-letters after maxReceiveCount', async () => {
    const name = `poll-${randomBytes(4).toString('hex')}`;
    const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
    const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    const q = await sqs.send(
      new CreateQueueCommand({
        QueueName: name,
        Attributes: { VisibilityTimeout: '1', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: '2' }) },
      }),
    );
    const seen = new Map<string, number>();
    let maxParallel = 0;
    let running = 0;
    const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
      running++;
      maxParallel = Math.max(maxParallel, running);
      await new Promise((r) => setTimeout(r, 20));
      running--;
      const failures = [];
      for (const r of event.Records) {
        seen.set(r.body, (seen.get(r.body) ?? 0) + 1);
        if (r.body.startsWith('poison')) failures.push({ itemIdentifier: r.messageId });
      }
      return { batchItemFailures: failures };
    };
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: q.QueueUrl,
        Entries: ['a', 'b', 'c', 'poison-1'].map((body, i) => ({ Id: String(i), MessageBody: body })),
      }),
    );
    poller = startPoller({ name: 'test', sqs, queueUrl: q.QueueUrl!, queueArn: 'arn', handler, batchSize: 10, maxConcurrency: 2, waitSeconds: 1 });
    await waitFor(async () => {
      const dead = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq.QueueUrl, WaitTimeSeconds: 0, VisibilityTimeout: 30 }));
      return (dead.Messages ?? []).some((m) => m.Body === 'poison-1');
    });
    await poller.stop();
    poller = undefined;
    expect(seen.get('a')).toBe(1);
    expect(seen.get('b')).toBe(1);
    expect(seen.get('c')).toBe(1);
    expect(seen.get('poison-1')).toBe(2);
    expect(maxParallel).toBeLessThanOrEqual(2);
  });
});
