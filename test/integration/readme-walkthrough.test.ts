import { execFileSync, spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../setup/platform.js';

/**
 * The README's curl walkthrough, extracted from README.md and run with bash against a started
 * platform exactly as written (only API points at this test's server), so the walkthrough cannot
 * rot: the round it makes must complete with every one of its 1,000 letters sent.
 */
const ROOT = join(import.meta.dirname, '../..');
let p: TestPlatform;
let dir: string;
beforeAll(async () => {
  p = await startTestPlatform();
  dir = await mkdtemp(join(tmpdir(), 'readme-'));
});
afterAll(async () => {
  await p?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const walkthrough = (readme: string): string => {
  const section = readme.split('## One round, end to end (curl)')[1];
  const block = section ? /```sh\n([\s\S]*?)```/.exec(section)?.[1] : undefined;
  if (!block) throw new Error('README.md has no shell block under "One round, end to end (curl)"');
  return block;
};

const run = (script: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string; err: string }> =>
  new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });

describe('the README walkthrough, as pasted', () => {
  it('completes a round of 1,000 synthetic recipients', { timeout: 420_000 }, async () => {
    const block = walkthrough(await readFile(join(ROOT, 'README.md'), 'utf8'));
    expect(block).toContain('npm run -s sample-list -- 1000 > list.csv');
    // The block runs in a scratch directory (list.csv lands there); `npm` there means this repository's.
    const npm = execFileSync('bash', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim();
    await writeFile(join(dir, 'npm'), `#!/bin/sh\nexec "${npm}" --prefix "${ROOT}" "$@"\n`);
    await chmod(join(dir, 'npm'), 0o755);
    const script = `${block}\nprintf '\\nWALKTHROUGH %s %s\\n' "$P" "$RND"\n`;
    const res = await run(script, { ...process.env, API: p.url, PATH: `${dir}:${process.env.PATH}` });
    expect(res.code, res.err).toBe(0);

    const list = (await readFile(join(dir, 'list.csv'), 'utf8')).trim().split('\n');
    expect(list[0]).toBe('nin;fornavn');
    expect(list).toHaveLength(1001);

    const [, projectId, roundId] = /WALKTHROUGH (\S+) (\S+)/.exec(res.out) ?? [];
    expect(projectId, res.out).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(roundId, res.out).toMatch(/^[A-Za-z0-9_-]+$/);
    const round = await p.as({ sub: 'kari', role: 'researcher', org: 'uio' }).get(`/projects/${projectId}/rounds/${roundId}`);
    expect(round.body.status, res.out).toBe('completed');
    expect(round.body.counts).toMatchObject({ planned: 1000, sent: 1000, failed: 0, pending: 0 });
    // Step 5: the first recipient's inbox holds the letter, with their name filled in.
    expect(res.out).toContain('Hei Ola! Vil du delta?');
  });
});
