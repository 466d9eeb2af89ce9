import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { auditSealBucket, buckets, queues, tables } from '../../lib/resources.js';
import { dlqIds, resourcesOf, synth } from './synth.js';

const { stateful, app } = synth();

const keyId = (): string => {
  const keys = resourcesOf(stateful, 'AWS::KMS::Key');
  expect(keys).toHaveLength(1);
  return keys[0]![0];
};

describe('stateful stack', () => {
  it('is termination protected', () => {
    const artifact = app.synth().getStackByName('ResearchDispatchStateful');
    expect(artifact.terminationProtection).toBe(true);
  });

  it('has one customer-managed key, rotated, retained', () => {
    stateful.hasResource('AWS::KMS::Key', {
      Properties: { EnableKeyRotation: true },
      DeletionPolicy: 'Retain',
    });
    keyId();
  });

  it('creates exactly the tables of resources.ts', () => {
    expect(resourcesOf(stateful, 'AWS::DynamoDB::Table')).toHaveLength(Object.keys(tables).length);
  });

  it.each(Object.values(tables))('table $id: on-demand, encrypted with the customer key, PITR, keys, indexes, TTL, retained', (def) => {
    stateful.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        BillingMode: 'PAY_PER_REQUEST',
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [keyId(), 'Arn'] } },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
        KeySchema: [{ AttributeName: def.partitionKey.name, KeyType: 'HASH' }, ...(def.sortKey ? [{ AttributeName: def.sortKey.name, KeyType: 'RANGE' }] : [])],
        GlobalSecondaryIndexes: def.indexes.length
          ? def.indexes.map((ix) =>
              Match.objectLike({
                IndexName: ix.name,
                KeySchema: [{ AttributeName: ix.partitionKey.name, KeyType: 'HASH' }, ...(ix.sortKey ? [{ AttributeName: ix.sortKey.name, KeyType: 'RANGE' }] : [])],
                Projection: { ProjectionType: 'ALL' },
              }),
            )
          : Match.absent(),
        TimeToLiveSpecification: def.ttlAttribute ? { AttributeName: def.ttlAttribute, Enabled: true } : Match.absent(),
      }),
    });
  });

  it('the main table lists projects through a sparse index (gsi2), so operations never scan it', () => {
    const withGsi2 = resourcesOf(stateful, 'AWS::DynamoDB::Table').filter(([, t]: [string, any]) => t.GlobalSecondaryIndexes?.some((ix: any) => ix.IndexName === 'gsi2'));
    expect(withGsi2).toHaveLength(1);
    const gsi2 = (withGsi2[0]![1] as any).GlobalSecondaryIndexes.find((ix: any) => ix.IndexName === 'gsi2');
    expect(gsi2.Projection).toEqual({ ProjectionType: 'ALL' });
    expect(gsi2.KeySchema).toEqual([
      { AttributeName: 'gsi2pk', KeyType: 'HASH' },
      { AttributeName: 'gsi2sk', KeyType: 'RANGE' },
    ]);
  });

  it('every table has SSE with the customer key and PITR (no table escapes the loop)', () => {
    for (const [, p] of resourcesOf(stateful, 'AWS::DynamoDB::Table')) {
      expect(p.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [keyId(), 'Arn'] } });
      expect(p.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    }
  });

  it("every queue has a DLQ with the definition's receive count and visibility timeout", () => {
    const all = resourcesOf(stateful, 'AWS::SQS::Queue');
    const dlqs = dlqIds(stateful);
    const work = all.filter(([id]) => !dlqs.has(id));
    expect(work).toHaveLength(Object.keys(queues).length);
    expect(dlqs.size).toBe(Object.keys(queues).length);
    for (const def of Object.values(queues)) {
      stateful.hasResourceProperties('AWS::SQS::Queue', {
        VisibilityTimeout: def.visibilityTimeoutSeconds,
        RedrivePolicy: { deadLetterTargetArn: Match.anyValue(), maxReceiveCount: def.maxReceiveCount },
      });
    }
    for (const [id, p] of work) expect(p.RedrivePolicy, `queue ${id} has no DLQ`).toBeDefined();
  });

  it('every queue (work and dead-letter) is encrypted with the customer key and denies non-TLS access', () => {
    const all = resourcesOf(stateful, 'AWS::SQS::Queue');
    for (const [id, p] of all) {
      expect(p.KmsMasterKeyId, id).toEqual({ 'Fn::GetAtt': [keyId(), 'Arn'] });
      stateful.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: {
          Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
        },
      });
    }
  });

  it('visibility timeout of every queue is at least 6x its consumer timeout (AWS guidance)', () => {
    for (const def of Object.values(queues)) {
      expect(def.visibilityTimeoutSeconds, def.id).toBeGreaterThanOrEqual(6 * def.consumer.timeoutSeconds);
    }
  });

  it.each(Object.values(buckets))('bucket $id: KMS, public access blocked, TLS only, versioned, expiring, logged, CORS PUT', (def) => {
    stateful.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            Match.objectLike({
              ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [keyId(), 'Arn'] } },
            }),
          ],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        VersioningConfiguration: { Status: 'Enabled' },
        LifecycleConfiguration: {
          Rules: Match.arrayWith([Match.objectLike({ ExpirationInDays: def.expireAfterDays, Status: 'Enabled' })]),
        },
        LoggingConfiguration: Match.objectLike({ DestinationBucketName: Match.anyValue() }),
        CorsConfiguration: { CorsRules: [Match.objectLike({ AllowedMethods: ['PUT'] })] },
      }),
    });
  });

  it('lets browsers upload lists only from the configured console origin, never from "*"', () => {
    const cors = (t: typeof stateful) =>
      resourcesOf(t, 'AWS::S3::Bucket').flatMap(([, p]) =>
        ((p as { CorsConfiguration?: { CorsRules: { AllowedOrigins: string[] }[] } }).CorsConfiguration?.CorsRules ?? []).flatMap((r) => r.AllowedOrigins),
      );
    expect(cors(stateful)).not.toContain('*');
    expect(cors(synth(undefined, { uploadOrigins: 'https://konsoll.example.no' }).stateful)).toEqual(['https://konsoll.example.no']);
    // No origin configured: no CORS rule (the CLI and curl upload; no page can).
    expect(cors(synth(undefined, { uploadOrigins: '' }).stateful)).toEqual([]);
    expect(() => synth(undefined, { uploadOrigins: '*' })).toThrow(/uploadOrigins/);
  });

  it('the audit-seal bucket: Object Lock in compliance mode with a default retention, versioned, logged, S3-managed keys, deletes denied to everyone', () => {
    const locked = resourcesOf(stateful, 'AWS::S3::Bucket').filter(([, p]) => (p as { ObjectLockEnabled?: boolean }).ObjectLockEnabled);
    expect(locked).toHaveLength(1);
    const id = locked[0]![0];
    stateful.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        ObjectLockEnabled: true,
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: auditSealBucket.retentionDays } },
        },
        VersioningConfiguration: { Status: 'Enabled' },
        BucketEncryption: { ServerSideEncryptionConfiguration: [Match.objectLike({ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } })] },
        LoggingConfiguration: Match.objectLike({ DestinationBucketName: Match.anyValue() }),
      }),
    });
    stateful.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: id },
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Principal: { AWS: '*' }, Action: Match.arrayWith(['s3:DeleteObject', 's3:DeleteObjectVersion']) })]),
      },
    });
    // Nothing expires early in it: no lifecycle rule at all.
    const props = resourcesOf(stateful, 'AWS::S3::Bucket').find(([bid]) => bid === id)![1] as Record<string, unknown>;
    expect(props.LifecycleConfiguration).toBeUndefined();
  });

  it('tables holding recipient rows, list records, deliveries and inbox copies expire items by expiresAt', () => {
    for (const def of [tables.main, tables.recipients, tables.deliveries, tables.citizens]) {
      expect(def.ttlAttribute, def.id).toBe('expiresAt');
    }
    const ttl = resourcesOf(stateful, 'AWS::DynamoDB::Table').map(([, p]) => (p as { TimeToLiveSpecification?: unknown }).TimeToLiveSpecification);
    expect(ttl.filter((t) => JSON.stringify(t) === JSON.stringify({ AttributeName: 'expiresAt', Enabled: true }))).toHaveLength(4);
  });

  it('every bucket blocks public access and denies non-TLS requests', () => {
    const bucketsInTemplate = resourcesOf(stateful, 'AWS::S3::Bucket');
    expect(bucketsInTemplate.length).toBeGreaterThanOrEqual(Object.keys(buckets).length);
    for (const [id, p] of bucketsInTemplate) {
      expect(p.PublicAccessBlockConfiguration, id).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      stateful.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: id },
        PolicyDocument: {
          Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
        },
      });
    }
  });

  it('keeps the citizen hash key in Secrets Manager, encrypted with the customer key, never in the template', () => {
    stateful.hasResource('AWS::SecretsManager::Secret', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        KmsKeyId: { 'Fn::GetAtt': [keyId(), 'Arn'] },
        GenerateSecretString: Match.objectLike({ PasswordLength: 64 }),
        SecretString: Match.absent(),
      }),
    });
  });
});
