import { Aws, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { BucketDef, SealBucketDef } from '../resources.js';

/**
 * The deployed name of a bucket. Deterministic (no cross-stack reference) so the stateless stack
 * can name it in IAM policies and its cdk-nag acknowledgement reads the same in tests and in
 * `cdk synth`. Stack names are fixed, so one deployment per account and region: account and
 * region make the name globally unique, and it stays within S3's 63 characters.
 */
export const deployedBucketName = (def: Pick<BucketDef | SealBucketDef, 'id'>, account = Aws.ACCOUNT_ID, region = Aws.REGION): string =>
  `research-dispatch-${def.id.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}-${account}-${region}`;

/**
 * The server access log bucket of one of the platform's buckets (`of` names it in the cdk-nag
 * acknowledgement). Log delivery goes through a bucket policy instead of the legacy ACL, which
 * conflicts with BucketOwnerEnforced object ownership; set on `scope` so the app needs no global flag.
 */
export const accessLogBucket = (scope: Construct, of: string): s3.Bucket => {
  scope.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
  const logs = new s3.Bucket(scope, 'AccessLogs', {
    // Server access log delivery supports only SSE-S3 on the target bucket.
    encryption: s3.BucketEncryption.S3_MANAGED,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    lifecycleRules: [{ expiration: Duration.days(365) }],
    removalPolicy: RemovalPolicy.RETAIN,
  });
  Validations.of(logs).acknowledge({
    id: 'AwsSolutions-S1',
    reason: `This is the server access log bucket of the ${of} bucket; logging it into itself would log its own log deliveries without end, and a second log bucket only moves the problem.`,
  });
  return logs;
};

export interface SecureBucketProps {
  readonly def: BucketDef;
  readonly key: kms.IKey;
  /** Browser origins allowed to PUT through a presigned URL (the researchers' console). */
  readonly uploadOrigins: readonly string[];
}

/**
 * The bucket for uploaded recipient lists: files full of national IDs, so private, encrypted with
 * the platform key, TLS only, versioned (an overwrite cannot silently replace a list being
 * parsed), expiring after the definition's days since the parsed rows live in DynamoDB, and with
 * server access logs so every read of a list can be traced.
 */
export class SecureBucket extends Construct {
  readonly bucket: s3.Bucket;
  readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string, props: SecureBucketProps) {
    super(scope, id);
    this.accessLogs = accessLogBucket(this, 'recipient-list');

    const days = props.def.expireAfterDays;
    this.bucket = new s3.Bucket(this, 'Bucket', {
      bucketName: deployedBucketName(props.def),
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      lifecycleRules: [
        {
          expiration: Duration.days(days),
          // Versioning would otherwise keep every expired list forever as a noncurrent version.
          noncurrentVersionExpiration: Duration.days(1),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'recipient-lists/',
      ...(props.uploadOrigins.length > 0
        ? {
            cors: [
              {
                allowedMethods: [s3.HttpMethods.PUT],
                allowedOrigins: [...props.uploadOrigins],
                allowedHeaders: ['content-type', 'content-length', 'x-amz-*'],
                exposedHeaders: ['ETag'],
                maxAge: 3000,
              },
            ],
          }
        : {}),
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
