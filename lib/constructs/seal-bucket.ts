import { Aws, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
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

  /**
   * `replicateToRegion`: a georedundant home replicates every sealed head, with its retention, to
   * the seal bucket (Object Lock, compliance mode) of that region; replicas keep their retention.
   */
  constructor(scope: Construct, id: string, props: { def: SealBucketDef; replicateToRegion?: string }) {
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
      ...(props.replicateToRegion
        ? {
            replicationRules: [
              {
                destination: s3.Bucket.fromBucketName(scope, `${id}-Replica`, deployedBucketName(props.def, Aws.ACCOUNT_ID, props.replicateToRegion)),
                priority: 1,
              },
            ],
          }
        : {}),
    });
    if (props.replicateToRegion) {
      const role = this.bucket.node.findChild('ReplicationRole');
      const source = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket);
      const replica = deployedBucketName(props.def, '<AWS::AccountId>', props.replicateToRegion);
      for (const resource of [`<${source}.Arn>`, `arn:<AWS::Partition>:s3:::${replica}`]) {
        Validations.of(role).acknowledge({
          id: `AwsSolutions-IAM5[Resource::${resource}/*]`,
          reason:
            'S3 replication of sealed heads: the role CDK makes for it reads object versions (and their retention) from this bucket and replicates them into the seal replica bucket; object keys are one per sealed head, so the object actions are granted on "<bucket>/*" of these two buckets only.',
        });
      }
    }
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
