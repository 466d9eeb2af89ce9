/**
 * National-size recipient list: 1,000,000 rows uploaded the way API.md says lists above 10 MB
 * arrive, through the running local platform (DynamoDB Local, the local S3, the API server):
 * POST …/upload-url, PUT the CSV to that URL, POST …/recipient-lists {objectKey} (parse, validate,
 * store in chunks). Prints the seconds of each step and the total. Target: upload and parse of
 * 1,000,000 rows ≤ 60 s. Asserts only that the list came through whole.
 *
 *   npm run bench:lists:upload [-- --rows 1000000 --runs 1]
 */
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { syntheticNins } from '../functions/domain/lists/nin-generator.js';
import { startEmulators } from '../local/emulators.js';
import { startPlatform } from '../local/platform.js';
import { clientFor } from '../test/setup/platform.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const ROWS = arg('rows', 1_000_000);
const RUNS = arg('runs', 1);
const s = (t0: number) => (performance.now() - t0) / 1000;
const fmt = (n: number) => `${n.toFixed(1).padStart(6)} s`;

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
    const projectId = (await api.post('/projects', { title: 'List upload bench', organization: 'bench-org' })).body.projectId as string;

    const ids = syntheticNins(ROWS, 2_000_000);
    const csv = `\uFEFFnin;language;name\r\n${ids.map((n, i) => `${n};${['nb', 'nn', 'en'][i % 3]};Person ${i}`).join('\r\n')}\r\n`;
    console.log(`recipient-list upload through the upload URL: ${ROWS.toLocaleString('en')} rows, ${(Buffer.byteLength(csv) / 1024 / 1024).toFixed(1)} MB CSV`);
    console.log('run   upload-url   PUT        POST {objectKey} (parse, validate, store)   total');
    let peakRss = 0;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);
    for (let run = 1; run <= RUNS; run++) {
      const t0 = performance.now();
      let t = t0;
      const url = await api.post(`/projects/${projectId}/recipient-lists/upload-url`);
      if (url.status !== 201) throw new Error(`upload-url: ${url.status} ${url.text.slice(0, 200)}`);
      const mint = s(t);
      t = performance.now();
      const put = await fetch(url.body.uploadUrl, { method: 'PUT', body: csv, headers: { 'content-type': 'text/csv' } });
      if (put.status !== 200) throw new Error(`PUT: ${put.status} ${(await put.text()).slice(0, 200)}`);
      const putS = s(t);
      t = performance.now();
      const res = await api.post(`/projects/${projectId}/recipient-lists`, { objectKey: url.body.objectKey });
      const post = s(t);
      const total = s(t0);
      if (res.status !== 201 || res.body.accepted !== ROWS) throw new Error(`upload failed: ${res.status} ${res.text.slice(0, 300)}`);
      console.log(`${String(run).padStart(3)}   ${fmt(mint)}   ${fmt(putS)}   ${fmt(post)}                               ${fmt(total)}`);
    }
    clearInterval(sampler);
    console.log(`peak RSS of this process (platform, API server and local S3 in one): ${Math.round(peakRss / 1024 / 1024)} MB`);
    console.log(`target: upload and parse of 1,000,000 rows ≤ 60 s`);
  } finally {
    await platform.stop();
    await emulators.stop();
  }
};

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
