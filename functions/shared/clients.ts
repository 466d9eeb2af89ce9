import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { config } from './config.js';
import { StoreRetryStrategy } from './store-retry.js';
import { traced } from './tracer.js';

/**
 * AWS clients, created once per process (per Lambda container) on first use, with endpoints from
 * configuration so the same code talks to AWS or to the local emulators. Each is instrumented
 * with the Powertools tracer inside Lambda (tracer.ts).
 */
const once = <T>(make: () => T): (() => T) => {
  let value: T | undefined;
  return () => (value ??= make());
};

/**
 * Without the SDK's logger middleware. It runs on every call even with the default no-op logger,
 * because it builds the log line first: the whole input and output walked through the operation's
 * schema (schemaLogFilter), a deep copy of every BatchGet and Query answer, on the dispatch and
 * preparation hot path. Nothing here gives the SDK a logger, so nothing is lost.
 */
const withoutSdkLogger = <T extends { middlewareStack: { remove(name: string): boolean } }>(client: T): T => {
  client.middlewareStack.remove('loggerMiddleware');
  return client;
};

const localCredentials = () => (config.dynamoEndpoint() || config.awsEndpoint() ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {});

/**
 * Attempts per DynamoDB call, the first included: with waits of 50, 100, 200, 400, 800 ms and then
 * 1 s (jittered, shorter), a call throttled throughout gives up after 1.8–3.6 s of waiting — inside the batch's
 * time, not the queue's (functions/shared/store-retry.ts).
 */
export const STORE_MAX_ATTEMPTS = 8;
const storeRetry = () => new StoreRetryStrategy({ maxAttempts: STORE_MAX_ATTEMPTS, baseDelayMs: 50, maxDelayMs: 1_000 });

/** The functions' DynamoDB client; `trace` wraps the low-level client (the one the SDK middleware stack runs on). */
export const dynamoClient = (opts: Pick<DynamoDBClientConfig, 'region' | 'endpoint' | 'credentials'>, trace: (c: DynamoDBClient) => DynamoDBClient = (c) => c): DynamoDBDocumentClient =>
  DynamoDBDocumentClient.from(trace(withoutSdkLogger(new DynamoDBClient({ ...opts, maxAttempts: STORE_MAX_ATTEMPTS, retryStrategy: storeRetry() }))), {
    marshallOptions: { removeUndefinedValues: true },
  });

export const dynamo = once(() => dynamoClient({ region: config.region(), endpoint: config.dynamoEndpoint(), ...localCredentials() }, traced));

export const sqs = once(() => traced(withoutSdkLogger(new SQSClient({ region: config.region(), endpoint: config.awsEndpoint(), ...localCredentials() }))));

const s3Options = () => ({
  region: config.region(),
  endpoint: config.awsEndpoint(),
  forcePathStyle: config.awsEndpoint() !== undefined,
  ...localCredentials(),
});

export const s3 = once(() => traced(withoutSdkLogger(new S3Client(s3Options()))));

/**
 * The client that presigns browser uploads. The SDK's default (since 3.729) computes a CRC32 of
 * the request body and signs it into the URL; a presigned PUT has no body yet, so it would sign
 * the CRC of an empty body and S3 would refuse the real file. This client adds a checksum only
 * where an operation requires one. It is a separate client because the default one must keep
 * checksums for writes that need them (Object Lock puts of audit seals).
 */
export const s3Presigner = once(() => withoutSdkLogger(new S3Client({ ...s3Options(), requestChecksumCalculation: 'WHEN_REQUIRED' })));
