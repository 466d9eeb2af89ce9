import { parseArgs } from 'node:util';
import { BatchWriteCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '../functions/shared/clients.js';
import { config } from '../functions/shared/config.js';
import { fmt, readyRound, roundCounts, startBench } from './harness.js';

/**
 * npm run bench:dispatch [-- --letters 30000 --batch 90]
 *
 * Prints, in one run: letters/s for a whole round end to end (release → completed) through the
 * HTTP API, the planner, the queue and the workers; the raw BatchWriteItem items/s of the same
 * DynamoDB Local measured beside it; store calls per letter; and the ratio of the two rates.
 */
const { values } = parseArgs({ options: { letters: { type: 'string', default: '30000' }, batch: { type: 'string', default: '' } } });
const letters = Number(values.letters);

const main = async () => {
  const b = await startBench(values.batch ? { DISPATCH_BATCH_SIZE: values.batch } : {});
  try {
    const r = await readyRound(b, 'bench', letters);
    const callsBefore = b.storeCalls();
    const writesBefore = b.storeItemWrites();
    const t0 = performance.now();
    const released = await r.researcher.post(`/projects/${r.projectId}/rounds/${r.roundId}/release`);
    if (released.status !== 202) throw new Error(`release: ${released.status} ${released.text}`);
    let last = await roundCounts(r.researcher, r.projectId, r.roundId);
    while (last.status !== 'completed') {
      await new Promise((res) => setTimeout(res, 100));
      last = await roundCounts(r.researcher, r.projectId, r.roundId);
    }
    const seconds = (performance.now() - t0) / 1000;
    const calls = b.storeCalls() - callsBefore;
    const writes = b.storeItemWrites() - writesBefore;
    const rate = letters / seconds;

    // The raw store limit beside it: BatchWriteItem of 25 small items, 8 in flight, same table.
    const db = dynamo();
    const table = config.tableName('deliveries');
    const rawItems = 30_000;
    const rawStart = performance.now();
    let next = 0;
    const worker = async () => {
      while (next < rawItems) {
        const start = next;
        next += 25;
        // Whatever the store leaves unprocessed is sent again: only items really written count.
        let request: Record<string, unknown[]> | undefined = {
          [table]: Array.from({ length: 25 }, (_, i) => ({ PutRequest: { Item: { roundId: 'raw-bench', deliveryId: `${start + i}`, status: 'pending', nin: '00000000000' } } })),
        };
        while (request && Object.keys(request).length > 0) {
          const res = await db.send(new BatchWriteCommand({ RequestItems: request as never }));
          request = res.UnprocessedItems as Record<string, unknown[]> | undefined;
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    const rawRate = rawItems / ((performance.now() - rawStart) / 1000);
    // A COUNT query is paged too (1 MB a page): add up every page.
    let written = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const page = await db.send(
        new QueryCommand({ TableName: table, KeyConditionExpression: 'roundId = :r', ExpressionAttributeValues: { ':r': 'raw-bench' }, Select: 'COUNT', ExclusiveStartKey: start }),
      );
      written += page.Count ?? 0;
      start = page.LastEvaluatedKey;
    } while (start);

    console.log(`\ndispatch of one round, end to end (release → completed), on DynamoDB Local + fauxqs`);
    console.log(`  letters                      ${fmt(letters)} (sent ${fmt(last.counts.sent ?? 0)}, pending ${fmt(last.counts.pending ?? 0)})`);
    console.log(`  time                         ${fmt(seconds, 1)} s`);
    console.log(`  letters/s                    ${fmt(rate)}`);
    console.log(`  raw BatchWrite items/s       ${fmt(rawRate)} (${fmt(written)} items written)`);
    console.log(`  store calls per letter       ${fmt(calls / letters, 3)} (${fmt(calls)} DynamoDB calls)`);
    console.log(`  store items written per letter ${fmt(writes / letters, 2)} (delivery record, claim, finalise, counters, contact ledger, channel record, leases)`);
    console.log(`  letters/s ÷ raw items/s      ${fmt((rate / rawRate) * 100, 1)} %`);
    console.log(`  items written/s ÷ raw items/s ${fmt(((writes / seconds) / rawRate) * 100, 1)} % (how much of the store's write rate the pipeline uses)`);
    console.log(`  targets: ≤ 30 s for 30,000 letters; ≥ 50 % of the raw limit\n`);
  } finally {
    await b.stop();
  }
};

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
