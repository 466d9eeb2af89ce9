/**
 * Background preparation of a national round (issue 22): a round over 100,000 (or, with
 * `--rows 1000000`, 1,000,000) synthetic recipients created through the running local platform
 * as `npm start` runs it (DynamoDB Local, the local SQS/S3, the API server, the prepare queue's
 * pollers, the registries through their local fakes). Prints POST → ready in seconds and the
 * registry and store calls per 1,000 recipients prepared. Targets: 100,000 rows ≤ 10 s,
 * 1,000,000 rows ≤ 120 s.
 *
 *   npm run bench:prepare [-- --rows 1000000]
 */
import { performance } from 'node:perf_hooks';
import { syntheticNins } from '../functions/domain/lists/nin-generator.js';
import { must, startBench, untilPrepared } from './harness.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const ROWS = arg('rows', 100_000);
/** Above this the CSV goes through the presigned upload URL (API.md: lists above 10 MB). */
const DIRECT_MAX = 400_000;

/** Outbound HTTP of this process other than to the API: the registries' and channels' fakes, by first path segment. */
const outbound = new Map<string, number>();
const countOutbound = (apiUrl: string) => {
  const original = globalThis.fetch;
  globalThis.fetch = async (input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    if (!url.href.startsWith(apiUrl)) {
      const key = `${url.port}/${url.pathname.split('/')[1] ?? ''}`;
      outbound.set(key, (outbound.get(key) ?? 0) + 1);
    }
    return original(input, init);
  };
};

const main = async () => {
  const b = await startBench();
  try {
    countOutbound(b.platform.url);
    const org = 'prepbench';
    const researcher = b.as({ sub: `r@${org}`, role: 'researcher', org });
    const superuser = b.as({ sub: `s@${org}`, role: 'superuser', org });
    const projectId = must(await researcher.post('/projects', { title: 'Prepare bench', organization: org }), 201, 'create project').body.projectId as string;
    const letterId = must(
      await researcher.post(`/projects/${projectId}/letters`, {
        title: 'Invitasjon',
        kind: 'letter',
        content: { nb: { subject: 'Invitasjon', body: 'Hei! Vil du delta i studien?' }, nn: { subject: 'Invitasjon', body: 'Hei! Vil du vere med i studien?' } },
      }),
      201,
      'create letter',
    ).body.letterId as string;
    must(await researcher.post(`/projects/${projectId}/submit`), 200, 'submit');
    const items = must(await superuser.get(`/projects/${projectId}/checklist`), 200, 'checklist').body.items as { id: string }[];
    must(await superuser.post(`/projects/${projectId}/approve`, { comment: 'ok', checklist: Object.fromEntries(items.map((i) => [i.id, true])) }), 200, 'approve');

    const nins = syntheticNins(ROWS, 3_000_000);
    const csv = `nin\n${nins.join('\n')}\n`;
    const t0 = performance.now();
    let listId: string;
    if (ROWS > DIRECT_MAX) {
      const url = must(await researcher.post(`/projects/${projectId}/recipient-lists/upload-url`), 201, 'upload-url').body as { uploadUrl: string; objectKey: string };
      const put = await fetch(url.uploadUrl, { method: 'PUT', body: csv, headers: { 'content-type': 'text/csv' } });
      if (put.status !== 200) throw new Error(`PUT: ${put.status}`);
      listId = must(await researcher.post(`/projects/${projectId}/recipient-lists`, { objectKey: url.objectKey }), 201, 'list').body.listId as string;
    } else listId = must(await researcher.post(`/projects/${projectId}/recipient-lists`, csv, 'text/csv'), 201, 'list').body.listId as string;
    const uploadS = (performance.now() - t0) / 1000;

    const store0 = b.storeCalls();
    const byCommand0 = b.storeCallsByCommand();
    const byShape0 = b.storeCallsByShape();
    outbound.clear();
    const t1 = performance.now();
    const created = await researcher.post(`/projects/${projectId}/rounds`, { letterId, listId });
    if (created.status !== 201 && created.status !== 202) throw new Error(`create round: ${created.status} ${created.text.slice(0, 300)}`);
    const postS = (performance.now() - t1) / 1000;
    const done = await untilPrepared(researcher, projectId, created.body.roundId as string, 100);
    const readyS = (performance.now() - t1) / 1000;
    if (done.preflight.total !== ROWS) throw new Error(`preflight total ${done.preflight.total} ≠ ${ROWS}`);

    const per1000 = (n: number) => ((n / ROWS) * 1000).toFixed(1);
    const store = b.storeCalls() - store0;
    const byCommand = [...b.storeCallsByCommand()].map(([c, n]) => [c, n - (byCommand0.get(c) ?? 0)] as const).filter(([, n]) => n > 0);
    const byShape = [...b.storeCallsByShape()]
      .map(([c, n]) => [c, n - (byShape0.get(c) ?? 0)] as const)
      .filter(([, n]) => n > 0)
      .sort((x, y) => y[1] - x[1])
      .slice(0, 10);
    const registry = [...outbound.values()].reduce((s, n) => s + n, 0);
    console.log(`round over ${ROWS.toLocaleString('en')} recipients (list upload ${uploadS.toFixed(1)} s)`);
    console.log(
      `  POST …/rounds answered ${created.status} in ${postS.toFixed(2)} s; POST → ${done.status}: ${readyS.toFixed(1)} s (target ${ROWS > 100_000 ? '≤ 120 s at 1,000,000' : '≤ 10 s at 100,000'})`,
    );
    console.log(`  preflight: ${JSON.stringify({ total: done.preflight.total, eligible: done.preflight.eligible, notFound: done.preflight.notFound, reserved: done.preflight.reserved })}`);
    console.log(`  registry calls (HTTP to the national fakes): ${registry} — ${per1000(registry)} per 1,000 recipients; by port/path: ${JSON.stringify(Object.fromEntries(outbound))}`);
    console.log(
      `  store calls (DynamoDB, all of the platform in this process): ${store} — ${per1000(store)} per 1,000 recipients; ${byCommand.map(([c, n]) => `${c.replace('Command', '')} ${n}`).join(', ')}`,
    );
    // The fakes' own reads (Folkeregisteret, KRR, the privacy component keep their people in the same DynamoDB Local) are among them.
    console.log(`    by key shape, per 1,000 recipients (the ten largest): ${byShape.map(([k, n]) => `${k} ${per1000(n)}`).join(', ')}`);
  } finally {
    await b.stop();
  }
};

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
