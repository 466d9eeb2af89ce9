/**
 * What a dispatch worker reads and holds of a recipient list: the worker reads recipients through
 * RecipientSource.slice(listId, start, end) (the DynamoDB list repository). For a 30,000- and a
 * 1,000,000-row list on DynamoDB Local, a fresh repository (a fresh container) reads batches of
 * BATCH rows, in order and at random positions; printed: recipients-table items and KB read per
 * batch, and the heap the repository still holds after the batches (after GC). For comparison, the
 * whole-list read that slice did before (it cached readRecipients per list in every container).
 *
 *   npm run bench:lists:slice [-- --batch 100]
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { rawAdapters } from '../functions/adapters/index.js';
import { DynamoRecipientListRepository } from '../functions/adapters/dynamo/recipient-list-repository.js';
import { ninRange } from '../functions/domain/lists/nin-generator.js';
import type { ListMetadata, Recipient } from '../functions/domain/lists/recipient-list.js';
import { startEmulators } from '../local/emulators.js';
import { startPlatform } from '../local/platform.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const BATCH = arg('batch', 100);
const SAMPLE = 300;
const gc = (globalThis as { gc?: () => void }).gc;
const heapMb = () => {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed / 1024 / 1024;
};

const main = async () => {
  if (!gc) console.log('(run with node --expose-gc for heap figures: npm run bench:lists:slice does)');
  const emulators = await startEmulators();
  const platform = await startPlatform({
    dynamoEndpoint: emulators.dynamoEndpoint,
    awsEndpoint: emulators.awsEndpoint,
    namespace: `bench${randomBytes(3).toString('hex')}`,
    port: 0,
    pollers: false,
  });
  const doc = DynamoDBDocumentClient.from(platform.dynamo, { marshallOptions: { removeUndefinedValues: true } });
  const read = { items: 0, bytes: 0 };
  const counting = Object.assign(Object.create(doc), {
    send: async (command: unknown) => {
      const out = (await doc.send(command as never)) as { Item?: Record<string, unknown>; Items?: Record<string, unknown>[] };
      for (const item of [...(out.Item ? [out.Item] : []), ...(out.Items ?? [])]) {
        read.items++;
        read.bytes += String(item.data ?? '').length;
      }
      return out;
    },
  }) as DynamoDBDocumentClient;
  const fresh = () => new DynamoRecipientListRepository(counting, platform.env.TABLE_MAIN!, platform.env.TABLE_RECIPIENTS!);

  try {
    console.log(`dispatch worker reads of a list through slice(), batches of ${BATCH}, on DynamoDB Local`);
    console.log('list rows    chunks  store   per batch (in order)        per batch (random)          heap held by the repository');
    for (const rows of [30_000, 1_000_000]) {
      const ids = ninRange(rows, 5_000_000, { synthetic: true });
      const recipients: Recipient[] = ids.map((nin, i) => ({ nin, language: (['nb', 'nn', 'en'] as const)[i % 3], fields: { name: `Person ${i}` } }));
      const listId = `lst_bench_${randomBytes(6).toString('hex')}`;
      const meta: ListMetadata = {
        projectId: 'prj_bench',
        listId,
        rows,
        accepted: rows,
        rejectedCount: 0,
        duplicatesInList: 0,
        columns: ['name'],
        source: 'csv',
        chunks: 0,
        createdBy: 'bench',
        createdAt: new Date().toISOString(),
      };
      let t = performance.now();
      await rawAdapters().lists.createList(meta, recipients);
      const store = (performance.now() - t) / 1000;
      const chunks = (await rawAdapters().lists.getList('prj_bench', listId))!.chunks;
      recipients.length = 0;
      ids.length = 0;

      // In order: the batches of a round one after the other, as one container would take them.
      const base = heapMb();
      let repo = fresh();
      read.items = 0;
      read.bytes = 0;
      const n = Math.min(SAMPLE, Math.ceil(rows / BATCH));
      for (let b = 0; b < n; b++) await repo.slice(listId, b * BATCH, (b + 1) * BATCH);
      const inOrder = { items: read.items / n, kb: read.bytes / 1024 / n };
      const held = heapMb() - base;
      // Random batches: a fleet's containers each get batches from anywhere in the round.
      repo = fresh();
      read.items = 0;
      read.bytes = 0;
      for (let k = 0; k < SAMPLE; k++) {
        const b = Math.floor(Math.random() * Math.ceil(rows / BATCH));
        await repo.slice(listId, b * BATCH, (b + 1) * BATCH);
      }
      const random = { items: read.items / SAMPLE, kb: read.bytes / 1024 / SAMPLE };
      console.log(
        `${rows.toLocaleString('en').padStart(9)}  ${String(chunks).padStart(6)}  ${store.toFixed(1).padStart(5)} s   ` +
          `${inOrder.items.toFixed(2)} items, ${inOrder.kb.toFixed(1).padStart(5)} KB      ${random.items.toFixed(2)} items, ${random.kb.toFixed(1).padStart(5)} KB      ${held.toFixed(1)} MB`,
      );

      // Before: the first slice of a list read the whole list and kept it (up to 4 lists per container).
      const before = heapMb();
      read.items = 0;
      read.bytes = 0;
      t = performance.now();
      const whole = await fresh().readRecipients(listId);
      const took = (performance.now() - t) / 1000;
      console.log(
        `           whole-list read (what each container did before on its first batch): ${read.items} items, ${(read.bytes / 1024 / 1024).toFixed(1)} MB, ${took.toFixed(1)} s, ${(heapMb() - before).toFixed(0)} MB held for ${whole.length.toLocaleString('en')} recipients`,
      );
    }
  } finally {
    await platform.stop();
    await emulators.stop();
  }
};

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
