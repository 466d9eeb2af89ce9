import { parseArgs } from 'node:util';
import { BatchWriteCommand, DynamoDBDocumentClient, QueryCommand, ScanCommand, type BatchWriteCommandOutput } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '../functions/shared/clients.js';
import { config } from '../functions/shared/config.js';
import { fmt, must, readyRound, roundCounts, startBench, type Bench } from './harness.js';

/**
 * npm run bench:dispatch [-- --letters 30000 --batch 100 --channels stand-in|fakes --pauses 3 --only pauses --api apart|inline]
 *
 * One run prints: letters/s of a whole round end to end (release → completed) through the HTTP
 * API, the queue and the workers, with the registries read through their contract fakes
 * (Maskinporten, KRR, Folkeregisteret, the privacy component) and the letters handed to the
 * channels through the ePROM and Digipost fakes over HTTP (`--channels fakes`, the default: the
 * path `npm start` runs) or stored directly (`--channels stand-in`: the engine alone); the first letter's latency after the release call
 * returns; items written per letter (and how many inside transactions) and store calls per
 * letter; the raw BatchWrite items/s of the same DynamoDB Local measured beside it; and, under a
 * second running round, the pause acknowledgement over `--pauses` pauses with the letters the
 * channels received after each acknowledgement, split into when the paused status was written and
 * when nothing of the project was in flight any more; and, while the round sends, how long an
 * operator's page waits for its reads (status, projects, rounds, every 2 s as the console polls).
 * `--only pauses` measures the pauses alone.
 * `--api apart` (the default, as npm start runs it): the API on a thread of its own, so the store
 * calls and items counted are the workers' and fakes' only; `--api inline` counts the API's too
 * (the callbacks' receipt writes), on one thread.
 */
const { values } = parseArgs({
  options: {
    letters: { type: 'string', default: '30000' },
    batch: { type: 'string', default: '' },
    channels: { type: 'string', default: 'fakes' },
    pauses: { type: 'string', default: '3' },
    only: { type: 'string', default: '' },
    api: { type: 'string', default: 'apart' },
  },
});
const letters = Number(values.letters);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Letters the channels hold for a round (their own records: the ground truth). */
const channelLetters = async (b: Bench, roundId: string): Promise<number> => {
  const db = DynamoDBDocumentClient.from(b.platform.dynamo);
  let n = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const res = await db.send(
      new ScanCommand({
        TableName: b.platform.env.TABLE_CITIZENS,
        FilterExpression: 'begins_with(sk, :i) OR begins_with(sk, :m) OR begins_with(sk, :p)',
        ExpressionAttributeValues: { ':i': `INBOX#${roundId}#`, ':m': `MAILBOX#${roundId}#`, ':p': `PRINT#${roundId}#` },
        Select: 'COUNT',
        ExclusiveStartKey: start,
      }),
    );
    n += res.Count ?? 0;
    start = res.LastEvaluatedKey;
  } while (start);
  return n;
};

/**
 * An operator's page watching while the round sends: every 2 s, as the console's operations page
 * polls, the three reads it makes — the platform's status, the projects, and the project's
 * rounds — each timed. Issue 27: "operations' project and status reads … ≤ 300 ms under a
 * national round". Returns what `stop` reports: each read's latencies, sorted.
 */
const watchAsOperator = (b: Bench, projectId: string) => {
  const ops = b.as({ sub: 'ops.watch', role: 'operations' });
  const paths = { status: '/operations/status', projects: '/projects', rounds: `/projects/${projectId}/rounds` } as const;
  const times: Record<keyof typeof paths, number[]> = { status: [], projects: [], rounds: [] };
  const failed: string[] = [];
  let stopped = false;
  const timed = async (name: keyof typeof paths) => {
    const t = performance.now();
    const res = await ops.get(paths[name]);
    if (res.status !== 200) failed.push(`${name} ${res.status}`);
    times[name].push(performance.now() - t);
  };
  let reads = 0;
  const loop = (async () => {
    while (!stopped) {
      await Promise.all((Object.keys(paths) as (keyof typeof paths)[]).map(timed));
      reads += 3;
      await sleep(2_000);
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      for (const v of Object.values(times)) v.sort((x, y) => x - y);
      return { times, failed, reads };
    },
  };
};

const throughput = async (b: Bench) => {
  const r = await readyRound(b, 'bench', letters);
  const watch = watchAsOperator(b, r.projectId);
  const calls0 = b.storeCalls();
  const byCommand0 = b.storeCallsByCommand();
  const byShape0 = b.storeCallsByShape();
  const standIn0 = b.standInCalls();
  let polls = 0;
  const writes0 = b.storeItemWrites();
  const tx0 = b.storeTransactionalWrites();
  const units0 = b.consumedUnits();
  const t0 = performance.now();
  must(await r.researcher.post(`/projects/${r.projectId}/rounds/${r.roundId}/release`), 202, 'release');
  const released = performance.now();
  let firstLetterMs: number | undefined;
  let last = await roundCounts(r.researcher, r.projectId, r.roundId);
  while (last.status !== 'completed') {
    if (firstLetterMs === undefined && last.counts.sent > 0) firstLetterMs = performance.now() - released;
    await sleep(firstLetterMs === undefined ? 10 : 100);
    last = await roundCounts(r.researcher, r.projectId, r.roundId);
    polls++;
  }
  firstLetterMs ??= performance.now() - released;
  const seconds = (performance.now() - t0) / 1000;
  const operator = await watch.stop();
  const calls = b.storeCalls() - calls0;
  const standIn1 = b.standInCalls();
  const standIn = { channel: standIn1.channel - standIn0.channel, seed: standIn1.seed - standIn0.seed };
  const byCommand = [...b.storeCallsByCommand()].map(([k, n]) => [k, n - (byCommand0.get(k) ?? 0)] as const).filter(([, n]) => n > 0);
  const byShape = [...b.storeCallsByShape()].map(([k, n]) => [k, n - (byShape0.get(k) ?? 0)] as const).filter(([, n]) => n > 0);
  // The bench watches the round through the API: what one look costs, measured now that the round is quiet.
  const before = b.storeCalls();
  for (let i = 0; i < 20; i++) await roundCounts(r.researcher, r.projectId, r.roundId);
  const perPoll = (b.storeCalls() - before) / 20;
  // And what the operator's page cost (counted only with --api inline), the same way.
  const beforeOps = b.storeCalls();
  const quietWatch = watchAsOperator(b, r.projectId);
  const quiet = await quietWatch.stop();
  const perOpsRead = quiet.reads > 0 ? (b.storeCalls() - beforeOps) / quiet.reads : 0;
  // Receipts: how long after completion every letter's receipt is settled (ePROM's callbacks, Digipost's polling).
  const settledFrom = performance.now();
  type Receipts = { confirmed: number; failedAfterSend: number; awaiting: number };
  const receiptsOf = async () => ((await r.researcher.get(`/projects/${r.projectId}/rounds/${r.roundId}`)).body as { receipts?: Receipts }).receipts;
  let receipts = await receiptsOf();
  while (receipts && receipts.awaiting > 0 && performance.now() - settledFrom < 240_000) {
    await sleep(1_000);
    receipts = await receiptsOf();
  }
  const receiptsSettledS = (performance.now() - settledFrom) / 1000;
  return {
    receipts,
    receiptsSettledS,
    byCommand,
    byShape,
    units: { read: b.consumedUnits().read - units0.read, write: b.consumedUnits().write - units0.write },
    standIn,
    observerCalls: Math.round((polls + 1) * perPoll + operator.reads * perOpsRead),
    operator,
    seconds,
    firstLetterMs,
    sent: last.counts.sent,
    pending: last.counts.pending,
    calls,
    writes: b.storeItemWrites() - writes0,
    transactional: b.storeTransactionalWrites() - tx0,
  };
};

const rawRate = async () => {
  const db = dynamo();
  const table = config.tableName('deliveries');
  const rawItems = 30_000;
  const t0 = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < rawItems) {
      const start = next;
      next += 25;
      let request: Record<string, unknown[]> | undefined = {
        [table]: Array.from({ length: 25 }, (_, i) => ({ PutRequest: { Item: { roundId: 'raw-bench', deliveryId: `${start + i}`, o: 'x', n: '00000000000' } } })),
      };
      while (request && Object.keys(request).length > 0) {
        const res: BatchWriteCommandOutput = await db.send(new BatchWriteCommand({ RequestItems: request as never }));
        request = res.UnprocessedItems;
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  const rate = rawItems / ((performance.now() - t0) / 1000);
  let written = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(
      new QueryCommand({ TableName: table, KeyConditionExpression: 'roundId = :r', ExpressionAttributeValues: { ':r': 'raw-bench' }, Select: 'COUNT', ExclusiveStartKey: start }),
    );
    written += page.Count ?? 0;
    start = page.LastEvaluatedKey;
  } while (start);
  return { rate, written };
};

const pauses = async (b: Bench, count: number) => {
  const r = await readyRound(b, 'pausebench', letters, 500_000);
  const ops = b.as({ sub: 'ops', role: 'operations' });
  must(await r.researcher.post(`/projects/${r.projectId}/rounds/${r.roundId}/release`), 202, 'release');
  const out: { ms: number; writtenMs: number; quietMs: number; inFlight: number; atAck: number; after: number; sent: number }[] = [];
  for (let i = 0; i < count; i++) {
    const target = (letters * (i + 1)) / (count + 2);
    let c = await roundCounts(r.researcher, r.projectId, r.roundId);
    while (c.counts.sent < target && c.status !== 'completed') {
      await sleep(50);
      c = await roundCounts(r.researcher, r.projectId, r.roundId);
    }
    if (c.status === 'completed') break;
    const [t0, wall0] = [performance.now(), Date.now()];
    const paused = await ops.post(`/projects/${r.projectId}/pause`, { reason: 'bench: pause under load' });
    const ms = performance.now() - t0;
    // Where the acknowledgement's time went (the server's clock is this process's): the status written, then quiet.
    const since = (at: unknown) => (typeof at === 'string' ? Date.parse(at) - wall0 : NaN);
    const [writtenMs, quietMs] = [since(paused.body.pausedAt), since(paused.body.pauseConfirmedAt)];
    const atAck = await channelLetters(b, r.roundId);
    await sleep(2_000);
    const later = await channelLetters(b, r.roundId);
    out.push({ ms, writtenMs, quietMs, inFlight: Number(paused.body.inFlight ?? -1), atAck, after: later - atAck, sent: c.counts.sent });
    must(await ops.post(`/projects/${r.projectId}/resume`), 200, 'resume');
  }
  return out;
};

/** The value at quantile `q` (0–1) of ascending `sorted` (non-empty): 0.5 the median, 1 the max. */
const quantile = (sorted: readonly number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!;

const printThroughput = (t: Awaited<ReturnType<typeof throughput>>, raw: Awaited<ReturnType<typeof rawRate>>) => {
  const rate = letters / t.seconds;
  console.log(`  letters                         ${fmt(letters)} (sent ${fmt(t.sent)}, pending ${fmt(t.pending)})`);
  // Issue 23's targets: ≥ 1,000 letters/s through the fakes, ≥ 2,000 with the stand-in; the first letter within 1 s on both.
  console.log(`  release → completed             ${fmt(t.seconds, 1)} s  =  ${fmt(rate)} letters/s   (target ≥ ${values.channels === 'stand-in' ? '2,000' : '1,000'})`);
  console.log(`  first letter after release      ${fmt(t.firstLetterMs)} ms   (target ≤ 1,000)`);
  if (t.receipts)
    console.log(
      `  receipts                        ${fmt(t.receipts.confirmed)} confirmed, ${fmt(t.receipts.failedAfterSend)} failed after sending, ${fmt(t.receipts.awaiting)} awaiting, ${fmt(t.receiptsSettledS, 1)} s after completion`,
    );
  console.log(
    `  items written per letter        ${fmt(t.writes / letters, 3)}  (target ≤ 2.1; platform's own writes: ledger, batch items, shards, markers, statistics${values.channels === 'stand-in' ? ', channel copies' : ''})`,
  );
  console.log(`  of them in transactions         ${fmt(t.transactional / letters, 3)}  (target ≤ 0.05)`);
  console.log(`  store calls per letter          ${fmt(t.calls / letters, 3)}  (target ≤ 0.2; ${fmt(t.calls)} DynamoDB calls in this process)`);
  const platformCalls = t.calls - t.observerCalls - t.standIn.channel - t.standIn.seed;
  console.log(
    `    the platform's own             ${fmt(platformCalls / letters, 3)}  (without the bench's progress polls and the operator's reads through the API, ${fmt(t.observerCalls)}; the channel stand-in's letter writes, ${fmt(t.standIn.channel)}; local portal-activity seed reads, ${fmt(t.standIn.seed)})`,
  );
  console.log(
    `    by command: ${t.byCommand
      .sort((x, y) => y[1] - x[1])
      .map(([k, n]) => `${k.replace(/Command$/, '')} ${fmt(n)}`)
      .join(', ')}`,
  );
  console.log(
    `  capacity units per letter       ${fmt(t.units.write / letters, 2)} WRU, ${fmt(t.units.read / letters, 2)} RRU  (as DynamoDB reported them consumed, index writes included; the bench's own polls included)`,
  );
  const shapes = [...t.byShape].sort((x, y) => y[1] - x[1]).slice(0, 10);
  console.log(`    by key shape, per letter (the ten largest): ${shapes.map(([k, n]) => `${k} ${fmt(n / letters, 2)}`).join(', ')}`);
  console.log(`  raw BatchWrite items/s          ${fmt(raw.rate)}  (${fmt(raw.written)} items written); items written/s ÷ raw = ${fmt((t.writes / t.seconds / raw.rate) * 100, 1)} %`);
  const { times, failed } = t.operator;
  const stats = (v: number[]) => (v.length ? `median ${fmt(quantile(v, 0.5))}, p95 ${fmt(quantile(v, 0.95))}, max ${fmt(quantile(v, 1))} ms` : 'not read');
  console.log(
    `  operations' reads while sending GET /operations/status ${stats(times.status)}; GET /projects ${stats(times.projects)}; GET …/rounds ${stats(times.rounds)}  (${times.status.length} looks every 2 s; target ≤ 300 ms; ${failed.length ? `not 200: ${failed.join(', ')}` : 'all 200'})`,
  );
};

const main = async () => {
  const env: Record<string, string> = { ...(values.batch ? { DISPATCH_BATCH_SIZE: values.batch } : {}), ...(values.channels === 'stand-in' ? { LOCAL_CHANNELS: 'stand-in' } : {}) };
  const b = await startBench(env, { apiApart: values.api !== 'inline' });
  try {
    const pausesOnly = values.only === 'pauses';
    const t = pausesOnly ? undefined : await throughput(b);
    const raw = pausesOnly ? undefined : await rawRate();
    const p = await pauses(b, Number(values.pauses));
    const lat = p.map((x) => x.ms).sort((a, c) => a - c);
    console.log(
      `\ndispatch engine v2 on DynamoDB Local + fauxqs; registries through their contract fakes; channels: ${values.channels === 'stand-in' ? 'stored directly' : 'ePROM and Digipost fakes over HTTP'}; API ${values.api === 'inline' ? 'on the workers’ thread (every store call counted)' : 'on a thread of its own (its store calls not counted below)'}`,
    );
    if (t && raw) printThroughput(t, raw);
    for (const [i, x] of p.entries()) {
      console.log(
        `  pause ${i + 1} at ~${fmt(x.sent)} sent: acknowledged in ${fmt(x.ms)} ms (status written after ${fmt(x.writtenMs)} ms, quiet after ${fmt(x.quietMs)} ms), inFlight ${x.inFlight}, letters reaching a channel after it: ${x.after}`,
      );
    }
    if (lat.length) console.log(`  pause median ${fmt(quantile(lat, 0.5))} ms, max ${fmt(quantile(lat, 1))} ms   (targets ≤ 100 ms median, ≤ 250 ms max, 0 letters after)\n`);
  } finally {
    await b.stop();
  }
};

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
