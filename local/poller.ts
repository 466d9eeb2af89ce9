import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { logger } from '../functions/shared/logger.js';
import { lambdaContext } from './api-server.js';
import { runAs } from './aws-call-recorder.js';

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;

export interface PollerOptions {
  readonly name: string;
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly handler: SqsHandler;
  readonly batchSize: number;
  /** The consumer function's timeout: its context's remaining time counts down from it (as a Lambda's). */
  readonly timeoutMs?: number;
  /** Concurrent invocations at most, like the event source mapping's maxConcurrency. */
  readonly maxConcurrency: number;
  /** Long-poll wait; short so that stopping is quick. */
  readonly waitSeconds?: number;
}

export interface Poller {
  stop(): Promise<void>;
  /** Invocations running now. */
  readonly busy: () => number;
}

const toRecord = (m: Message, queueArn: string): SQSRecord => ({
  messageId: m.MessageId!,
  receiptHandle: m.ReceiptHandle!,
  body: m.Body ?? '',
  attributes: {
    ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1',
    SentTimestamp: m.Attributes?.SentTimestamp ?? String(Date.now()),
    SenderId: m.Attributes?.SenderId ?? 'local',
    ApproximateFirstReceiveTimestamp: m.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
  },
  messageAttributes: {},
  md5OfBody: m.MD5OfBody ?? '',
  eventSource: 'aws:sqs',
  eventSourceARN: queueArn,
  awsRegion: 'local',
});

/**
 * Behaves like Lambda's SQS event source mapping: long-polls, invokes the handler with a batch,
 * deletes what succeeded, leaves the reported batchItemFailures (or the whole batch, if the
 * handler threw) to reappear after the visibility timeout — and so to reach the dead-letter
 * queue by the queue's own redrive policy.
 */
export const startPoller = (opts: PollerOptions): Poller => {
  let running = true;
  let busy = 0;
  const abort = new AbortController();

  const loop = async () => {
    while (running) {
      let messages: Message[];
      try {
        const res = await opts.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: opts.queueUrl,
            MaxNumberOfMessages: Math.min(10, opts.batchSize),
            WaitTimeSeconds: opts.waitSeconds ?? 1,
            MessageSystemAttributeNames: ['All'],
          }),
          { abortSignal: abort.signal },
        );
        messages = res.Messages ?? [];
      } catch (error) {
        if (!running) return;
        logger.warn('poller receive failed', { poller: opts.name, error });
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      if (messages.length === 0) continue;
      busy++;
      let failed = new Set<string>();
      try {
        const event: SQSEvent = { Records: messages.map((m) => toRecord(m, opts.queueArn)) };
        const result = await runAs(`consumer:${opts.name}`, () => opts.handler(event, lambdaContext(opts.name, opts.timeoutMs ?? (Number(process.env.LOCAL_WORKER_TIMEOUT_MS ?? '') || 30_000))));
        failed = new Set((result?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
      } catch (error) {
        logger.error('consumer invocation failed; the batch returns to the queue', { poller: opts.name, error });
        failed = new Set(messages.map((m) => m.MessageId!));
      } finally {
        busy--;
      }
      const done = messages.filter((m) => !failed.has(m.MessageId!));
      if (done.length > 0) {
        try {
          await opts.sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: opts.queueUrl,
              Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
            }),
          );
        } catch (error) {
          // Not deleted means redelivered later; consumers are idempotent, so that is safe.
          logger.warn('poller delete failed', { poller: opts.name, error });
        }
      }
    }
  };

  const loops = Array.from({ length: Math.max(1, opts.maxConcurrency) }, () => loop());
  return {
    busy: () => busy,
    stop: async () => {
      running = false;
      abort.abort();
      await Promise.allSettled(loops);
    },
  };
};
