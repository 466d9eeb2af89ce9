import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { QueueDef } from '../resources.js';

/**
 * A work queue and its dead-letter queue, from the definition in resources.ts. Messages carry
 * delivery ids (no national IDs), but they are still encrypted with the platform key and reachable
 * over TLS only. The DLQ keeps messages for the maximum 14 days so operations can redrive them.
 */
export class WorkQueue extends Construct {
  readonly queue: sqs.Queue;
  readonly dlq: sqs.Queue;

  constructor(scope: Construct, id: string, props: { def: QueueDef; key: kms.IKey }) {
    super(scope, id);
    const { def, key } = props;
    this.dlq = new sqs.Queue(this, 'Dlq', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key,
      // Data-key reuse keeps KMS calls (and cost) down under a 30,000-letter round.
      dataKeyReuse: Duration.minutes(15),
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key,
      dataKeyReuse: Duration.minutes(15),
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(def.visibilityTimeoutSeconds),
      retentionPeriod: Duration.days(14),
      deadLetterQueue: { queue: this.dlq, maxReceiveCount: def.maxReceiveCount },
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
