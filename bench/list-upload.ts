/**
 * Recipient-list upload benchmark: 100,000 rows as one CSV request through the HTTP API, on
 * DynamoDB Local, with the phases (parse, validate, store) timed in-process beside it.
 * Target: the whole upload in ≤ 5 s. Then times round creation (pre-flight) for 30,000 and
 * 100,000 recipients. Prints figures; asserts nothing.
 *
 *   npm run bench:lists [-- --rows 100000 --runs 3]
 */
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { rawAdapters } from '../functions/adapters/index.js';
import { parseCsv } from '../functions/domain/lists/csv.js';
import { syntheticNins } from '../functions/domain/lists/nin-generator.js';
import { buildListFromCsv, type ListMetadata } from '../functions/domain/lists/recipient-list.js';
import { startEmulators } from '../local/emulators.js';
import { startPlatform } from '../local/platform.js';
import { clientFor } from '../test/setup/platform.js';

// Lambda runs nodejs22.x; locally Node 20 is supported, so the SDK's Node-version notice is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const ROWS = arg('rows', 100_000);
const RUNS = arg('runs', 3);

const ms = (t0: number) => performance.now() - t0;
const fmt = (n: number) => `${n.toFixed(0).padStart(6)} ms`;

const main = async () => {
  const emulators = await startEmulators();
  const platform = await startPlatform({
    dynamoEndpoint: emulators.dynamoEndpoint,
    awsEndpoint: emulators.awsEndpoint,
    namespace: `bench${randomBytes(3).toString('hex')}`,
    port: 0,
    pollers: false,
  });
  try {
    const researcher = { sub: 'bench-researcher', role: 'researcher' as const, org: 'bench-org' };
    const api = clientFor(platform.url, () => platform.issuer.sign(researcher));
    const projectId = (await api.post('/projects', { title: 'List bench', organization: 'bench-org' })).body.projectId as string;

    const ids = syntheticNins(ROWS, 2_000_000);
    const csv = `\uFEFFnin;language;name\r\n${ids.map((n, i) => `${n};${['nb', 'nn', 'en'][i % 3]};Person ${i}`).join('\r\n')}\r\n`;
    console.log(`recipient-list upload: ${ROWS.toLocaleString('en')} rows, ${(Buffer.byteLength(csv) / 1024 / 1024).toFixed(1)} MB CSV, ${RUNS} runs`);
    console.log('run   parse      validate   store      (phases in-process)   HTTP end-to-end   rows/s (HTTP)');

    for (let run = 1; run <= RUNS; run++) {
      let t = performance.now();
      const table = parseCsv(csv);
      const parse = ms(t);
      t = performance.now();
      const built = buildListFromCsv(table, { allowSynthetic: true });
      const validate = ms(t);
      const meta: ListMetadata = {
        projectId,
        listId: `lst_bench_${run}_${randomBytes(4).toString('hex')}`,
        rows: built.rows,
        accepted: built.recipients.length,
        rejectedCount: built.rejected.length,
        duplicatesInList: built.duplicatesInList,
        columns: built.columns,
        source: 'csv',
        chunks: 0,
        createdBy: researcher.sub,
        createdAt: new Date().toISOString(),
      };
      t = performance.now();
      await rawAdapters().lists.createList(meta, built.recipients);
      const store = ms(t);

      t = performance.now();
      const res = await api.post(`/projects/${projectId}/recipient-lists`, csv, 'text/csv');
      const http = ms(t);
      if (res.status !== 201 || res.body.accepted !== ROWS) throw new Error(`upload failed: ${res.status} ${res.text.slice(0, 200)}`);
      console.log(`${String(run).padStart(3)}  ${fmt(parse)}  ${fmt(validate)}  ${fmt(store)}                         ${fmt(http)}         ${Math.round(ROWS / (http / 1000)).toLocaleString('en')}`);
    }
    console.log('target: HTTP end-to-end ≤ 5000 ms for 100,000 rows');

    // Round creation reads every recipient's reservation, withdrawal, population facts and
    // contacts (4 BatchGets per 100 recipients) and computes the pre-flight report.
    const letter = await api.post(`/projects/${projectId}/letters`, {
      title: 'Bench letter',
      kind: 'letter',
      content: { nb: { subject: 'Invitasjon', body: 'Du er invitert til en studie. Les mer på nettsidene våre.' } },
    });
    for (const size of [30_000, ROWS]) {
      const list = await api.post(`/projects/${projectId}/recipient-lists`, `nin\n${ids.slice(0, size).join('\n')}\n`, 'text/csv');
      const t = performance.now();
      const round = await api.post(`/projects/${projectId}/rounds`, { letterId: letter.body.letterId, listId: list.body.listId });
      const took = ms(t);
      console.log(
        round.status === 201
          ? `round pre-flight, ${size.toLocaleString('en')} recipients: ${fmt(took)} (eligible ${round.body.preflight.eligible.toLocaleString('en')})`
          : `round pre-flight, ${size.toLocaleString('en')} recipients: FAILED after ${fmt(took)} with ${round.status} ${round.body?.error?.code ?? ''}`,
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
