import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import { logger } from './logger.js';
import { ensureSecrets } from './secrets.js';
import { traceInvocations } from './tracer.js';

/**
 * SQS consumers report partial batch failures (Powertools batch processing): a record that throws
 * is returned to the queue to be retried after its visibility timeout, and after the queue's
 * maxReceiveCount lands in the dead-letter queue; the others are deleted. A message that does not
 * parse is poison: it fails every time and so reaches the DLQ.
 */
export const sqsHandler = <S extends z.ZodType>(schema: S, handle: (message: z.infer<S>, record: SQSRecord, context?: Context) => Promise<void>) => {
  const recordHandler = async (record: SQSRecord, context?: Context) => {
    const message = schema.parse(JSON.parse(record.body));
    try {
      await handle(message, record, context);
    } catch (error) {
      logger.warn('record failed; it returns to the queue', { messageId: record.messageId, receiveCount: record.attributes.ApproximateReceiveCount, error });
      throw error;
    }
  };
  const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    await ensureSecrets();
    // A processor per invocation: it holds the invocation's successes and failures, and the local
    // pollers (unlike Lambda) run several invocations of one module at the same time.
    return processPartialResponse(event, recordHandler, new BatchProcessor(EventType.SQS), { context, throwOnFullBatchFailure: false });
  };
  // Lambda context on every log line; keys the engine set (setLogKeys) end with the invocation.
  return middy<SQSEvent, SQSBatchResponse, Error, Context>(handler)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(traceInvocations());
};
