import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startAwsEmulatorThread } from '../../../local/emulators.js';
import { startTestPlatform, type TestPlatform } from '../../setup/platform.js';

/**
 * Issue 27: "operations are answered at once, whatever is sending — locally the API runs apart
 * from the dispatch workers and fakes". With `apiApart` (what npm start and the benches run) the
 * API has a thread of its own; this thread, where the workers and the fakes run, is here made
 * busy outright, and a client in a process of its own keeps asking meanwhile. The same for the
 * SQS/S3 emulator, which npm start runs on a thread of its own as well (what the status reads).
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

/** Asks `url` (with `init`) every 50 ms for `forMs`, prints "go" after the first answer, then the slowest answer and the count as JSON. */
const CLIENT = `
const [url, init, forMs] = [process.env.ASK_URL, JSON.parse(process.env.ASK_INIT), Number(process.env.FOR_MS)];
const ask = async () => { const t = performance.now(); const r = await fetch(url, init); await r.text(); if (r.status !== 200) throw new Error('status ' + r.status); return performance.now() - t; };
(async () => {
  await ask();
  process.stdout.write('go\\n');
  const end = Date.now() + forMs; let max = 0, n = 0;
  while (Date.now() < end) { max = Math.max(max, await ask()); n++; await new Promise((r) => setTimeout(r, 50)); }
  process.stdout.write(JSON.stringify({ max, n }) + '\\n');
})().catch((e) => { process.stdout.write(JSON.stringify({ error: String(e) }) + '\\n'); });
`;

/**
 * How long this thread is kept busy. On one thread a request asked at its start waits all of it
 * out; apart, an answer takes what the store takes — well under a second on a quiet machine, but
 * CI runs this beside 150 other files on two cores, so the bar is half of it, not a second.
 */
const BUSY_MS = 5_000;

/** Has a client in a process of its own ask all along while this thread is busy for BUSY_MS; its slowest answer. */
const askWhileBusy = async (url: string, init: RequestInit): Promise<{ max: number; n: number }> => {
  const child = spawn(process.execPath, ['-e', CLIENT], {
    env: { ...process.env, ASK_URL: url, ASK_INIT: JSON.stringify(init), FOR_MS: String(BUSY_MS + 1_000) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  for (let i = 0; i < 300 && !out.includes('go'); i++) await new Promise((r) => setTimeout(r, 50));
  expect(out).toContain('go');
  // The workers' thread does nothing else for BUSY_MS (a national round's worst moment, and then some).
  busy(BUSY_MS);
  await once(child, 'exit');
  const report = JSON.parse(out.split('\n').find((l) => l.startsWith('{'))!) as { max: number; n: number; error?: string };
  expect(report.error).toBeUndefined();
  return report;
};

describe('the local runtime, answered whatever its workers do', () => {
  it('test_should_answer_an_operations_read_at_once_while_the_workers_thread_is_busy', async () => {
    const token = await p.token({ sub: 'ops.apart', role: 'operations' });
    const report = await askWhileBusy(`${p.url}/projects`, { headers: { authorization: `Bearer ${token}` } });
    // Answered all along: on the busy thread the request asked first would have waited BUSY_MS out.
    // (How many answers fit in the window is a speed, which CI's load sets — it was 6 in one run,
    // where 10 had been asked for; speed is measured in bench/, not asserted. The slowest answer is
    // what tells the two runtimes apart.)
    expect(report.n).toBeGreaterThanOrEqual(3);
    expect(report.max).toBeLessThan(BUSY_MS / 2);
  }, 40_000);

  it('test_should_answer_a_queue_read_at_once_while_the_workers_thread_is_busy_with_the_sqs_emulator_apart', async () => {
    // What GET /operations/status asks of the queues (npm start runs the emulator on its own thread).
    const sqs = await startAwsEmulatorThread(await freePort());
    try {
      const report = await askWhileBusy(sqs.address, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.ListQueues', authorization: 'AWS4-HMAC-SHA256 Credential=local/20261207/eu-north-1/sqs/aws4_request' },
        body: '{}',
      });
      expect(report.n).toBeGreaterThanOrEqual(3);
      expect(report.max).toBeLessThan(BUSY_MS / 2);
    } finally {
      await sqs.stop();
    }
  }, 40_000);
});
