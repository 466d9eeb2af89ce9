import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../../setup/platform.js';

/**
 * Issue 27: "operations are answered at once, whatever is sending — locally the API runs apart
 * from the dispatch workers and fakes". With `apiApart` (what npm start and the benches run) the
 * API has a thread of its own; this thread, where the workers and the fakes run, is here made
 * busy outright, and a client in a process of its own keeps asking meanwhile.
 */
let p: TestPlatform;
beforeAll(async () => {
  p = await startTestPlatform({ pollers: false, apiApart: {} });
});
afterAll(async () => {
  await p?.stop();
});

/** Keeps this thread busy for `ms`: no timer, socket or promise of it runs meanwhile. */
const busy = (ms: number) => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    /* busy */
  }
};

/** Asks GET `path` every 50 ms for `forMs`, prints "go" after the first answer, then the slowest answer and the count as JSON. */
const CLIENT = `
const [url, token, forMs] = [process.env.API_URL, process.env.API_TOKEN, Number(process.env.FOR_MS)];
const ask = async () => { const t = performance.now(); const r = await fetch(url, { headers: { authorization: 'Bearer ' + token } }); await r.text(); if (r.status !== 200) throw new Error('status ' + r.status); return performance.now() - t; };
(async () => {
  await ask();
  process.stdout.write('go\\n');
  const end = Date.now() + forMs; let max = 0, n = 0;
  while (Date.now() < end) { max = Math.max(max, await ask()); n++; await new Promise((r) => setTimeout(r, 50)); }
  process.stdout.write(JSON.stringify({ max, n }) + '\\n');
})().catch((e) => { process.stdout.write(JSON.stringify({ error: String(e) }) + '\\n'); });
`;

describe('the local API on a thread of its own', () => {
  it('test_should_answer_an_operations_read_at_once_while_the_workers_thread_is_busy', async () => {
    const token = await p.token({ sub: 'ops.apart', role: 'operations' });
    const child = spawn(process.execPath, ['-e', CLIENT], {
      env: { ...process.env, API_URL: `${p.url}/projects`, API_TOKEN: token, FOR_MS: '3000' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    for (let i = 0; i < 300 && !out.includes('go'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(out).toContain('go');
    // The workers' thread does nothing else for 2 s (a national round's worst moment, and then some).
    busy(2_000);
    await once(child, 'exit');
    const report = JSON.parse(out.split('\n').find((l) => l.startsWith('{'))!) as { max: number; n: number; error?: string };
    expect(report.error).toBeUndefined();
    // Answered all along: on the busy thread the request asked first would have waited the 2 s out.
    expect(report.n).toBeGreaterThanOrEqual(10);
    expect(report.max).toBeLessThan(1_000);
  }, 30_000);
});
