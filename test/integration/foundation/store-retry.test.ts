import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DynamoRoundRepository } from '../../../functions/adapters/dynamo/round-repository.js';
import { dynamoClient, STORE_MAX_ATTEMPTS } from '../../../functions/shared/clients.js';
import { startTestPlatform, type TestPlatform } from '../../setup/platform.js';

/**
 * Retries where they belong: the functions' DynamoDB client, in front of DynamoDB Local through a
 * proxy that answers the gate read (BatchGetItem) with a throttle or a server error a given number
 * of times before letting it through. A throttled or failed read is retried with backoff inside
 * the call — the batch goes on — and a bounded number of times, not thrown to the queue's
 * visibility timeout after the first few.
 */
let p: TestPlatform;
let proxy: Server;
let endpoint: string;
/** What the proxy does to the next BatchGetItem requests: a list of faults, consumed in order. */
let faults: ('throttle' | 'server_error')[] = [];
let batchGets = 0;

beforeAll(async () => {
  p = await startTestPlatform({ pollers: false });
  const target = new URL(inject('emulators').dynamoEndpoint);
  proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (String(req.headers['x-amz-target'] ?? '').endsWith('.BatchGetItem')) {
        batchGets++;
        const fault = faults.shift();
        if (fault === 'throttle') {
          res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
          res.end(
            JSON.stringify({
              __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
              message: 'The level of configured provisioned throughput for the table was exceeded.',
            }),
          );
          return;
        }
        if (fault === 'server_error') {
          res.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
          res.end(JSON.stringify({ __type: 'com.amazon.coral.service#InternalServerError', message: 'Internal server error' }));
          return;
        }
      }
      const forward = httpRequest({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      forward.on('error', () => res.destroy());
      forward.end(body);
    });
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => proxy?.close(r));
  await p?.stop();
});

const gateThroughProxy = () => new DynamoRoundRepository(dynamoClient({ region: 'eu-north-1', endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }), p.env.TABLE_MAIN!);

describe('store reads in the worker are retried inside the batch', () => {
  it('should read the gate after the table throttled it six times in a row', { timeout: 30_000 }, async () => {
    faults = Array(6).fill('throttle');
    batchGets = 0;
    const gate = await gateThroughProxy().read('prj_retry', 'rnd_retry');
    expect(gate).toMatchObject({ halted: false, releaseSeq: 0 });
    expect(batchGets).toBe(7);
  });

  it('should read the gate after two internal server errors', { timeout: 30_000 }, async () => {
    faults = ['server_error', 'server_error'];
    batchGets = 0;
    await expect(gateThroughProxy().read('prj_retry', 'rnd_retry')).resolves.toMatchObject({ halted: false });
    expect(batchGets).toBe(3);
  });

  it('should give up after a bounded number of attempts when the throttling does not end', { timeout: 30_000 }, async () => {
    faults = Array(100).fill('throttle');
    batchGets = 0;
    await expect(gateThroughProxy().read('prj_retry', 'rnd_retry')).rejects.toMatchObject({ name: 'ProvisionedThroughputExceededException' });
    expect(batchGets).toBe(STORE_MAX_ATTEMPTS);
    faults = [];
  });
});
