import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { SealBucketDef } from '../resources.js';
import { accessLogBucket, deployedBucketName } from './secure-bucket.js';

/**
 * The bucket audit chain heads are sealed in. Object Lock in compliance mode with a default
 * retention: a sealed head cannot be overwritten or deleted by anyone, the root user included,
 * until its retention ends, so a chain rewritten afterwards no longer matches it.
 *
 * Encrypted with S3-managed keys on purpose: the objects are hashes, not personal data, and with
 * the platform's KMS key an administrator could make every seal unreadable by scheduling that key
 * for deletion — the one way left to make evidence disappear.
 */
export class SealBucket extends Construct {
  readonly bucket: s3.Bucket;
  readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string, props: { def: SealBucketDef }) {
    super(scope, id);
    this.accessLogs = accessLogBucket(this, 'audit-seal');

    this.bucket = new s3.Bucket(this, 'Bucket', {
      bucketName: deployedBucketName(props.def),
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      objectLockEnabled: true,
      objectLockDefaultRetention: s3.ObjectLockRetention.compliance(Duration.days(props.def.retentionDays)),
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'audit-seals/',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Compliance mode already protects every version; this also refuses delete markers, which
    // would hide a sealed head from a plain listing without destroying it.
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:DeleteObject', 's3:DeleteObjectVersion', 's3:BypassGovernanceRetention', 's3:PutBucketObjectLockConfiguration'],
        resources: [this.bucket.bucketArn, this.bucket.arnForObjects('*')],
      }),
    );
  }
}
