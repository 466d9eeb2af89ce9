import { Duration } from 'aws-cdk-lib';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Construct } from 'constructs';
import type { QueueDef } from '../resources.js';
import { AppFunction } from './app-function.js';

export interface QueueConsumerProps {
  readonly def: QueueDef;
  readonly queue: sqs.IQueue;
  /** Handler module relative to the repository root. */
  readonly entry: string;
  readonly environment: Record<string, string>;
}

/**
 * A Lambda fed by an SQS queue the way the local pollers imitate: batches of the definition's
 * size, partial batch failures (one failed delivery does not redeliver its whole batch), and a
 * bounded concurrency so a 30,000-letter round cannot flood the delivery channel.
 */
export class QueueConsumer extends Construct {
  readonly function: AppFunction;

  constructor(scope: Construct, id: string, props: QueueConsumerProps) {
    super(scope, id);
    const { def } = props;
    this.function = new AppFunction(this, 'Function', {
      entry: props.entry,
      description: `research-dispatch consumer of the ${def.id} queue`,
      timeout: Duration.seconds(def.consumer.timeoutSeconds),
      environment: props.environment,
    });
    this.function.fn.addEventSource(
      new SqsEventSource(props.queue, {
        batchSize: def.consumer.batchSize,
        reportBatchItemFailures: true,
        maxConcurrency: def.consumer.maxConcurrency,
      }),
    );
  }
}
