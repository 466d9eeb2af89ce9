import { execFileSync, spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../../local/emulators.js';

const processes = () =>
  execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((l) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), args: m[3]! }));

/** DynamoDB Local processes started below `root` (other test runs may have their own). */
const javaBelow = (root: number): number[] => {
  const all = processes();
  const tree = new Set([root]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of all) {
      if (tree.has(p.ppid) && !tree.has(p.pid)) {
        tree.add(p.pid);
        grew = true;
      }
    }
  }
  return all.filter((p) => tree.has(p.pid) && p.args.startsWith('java ') && p.args.includes('DynamoDBLocal.jar')).map((p) => p.pid);
};

const alive = (pid: number): boolean => processes().some((p) => p.pid === pid);

const waitUntil = async (check: () => boolean | Promise<boolean>, ms: number): Promise<boolean> => {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      if (await check()) return true;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
};

/**
 * The README's promise: `npm start` comes up with /health within 60 s, and stopping it leaves no
 * process behind — Ctrl-C (SIGINT to the terminal's process group), a SIGTERM to npm alone, and
 * even a SIGKILL of the whole group, after which the java guard still takes DynamoDB Local down.
 */
describe('npm start', () => {
  it.each([
    ['Ctrl-C (SIGINT to the process group)', 'SIGINT', true],
    ['SIGTERM to npm alone', 'SIGTERM', false],
    ['SIGKILL of the process group', 'SIGKILL', true],
  ] as const)(
    'comes up, answers /health, and leaves no java process after %s',
    async (_label, signal, group) => {
      const port = await freePort();
      const child = spawn('npm', ['start', '--silent', '--', '--fresh'], {
        env: { ...process.env, PORT: String(port) },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      const healthy = await waitUntil(async () => (await fetch(`http://127.0.0.1:${port}/health`)).ok, 60_000);
      expect(healthy, output).toBe(true);
      // The API listens a moment before the banner is written (pollers and recovery start in between).
      const announced = await waitUntil(() => output.includes(`http://127.0.0.1:${port}`), 15_000);
      expect(announced, output).toBe(true);
      const ours = javaBelow(child.pid!);
      expect(ours.length).toBe(1);

      if (group) process.kill(-child.pid!, signal);
      else child.kill(signal);
      await exited;
      const gone = await waitUntil(() => !ours.some(alive), 10_000);
      expect(gone, `java ${ours.join(',')} still running after ${signal}`).toBe(true);
      const apiDown = await waitUntil(async () => {
        try {
          await fetch(`http://127.0.0.1:${port}/health`);
          return false;
        } catch {
          return true;
        }
      }, 10_000);
      expect(apiDown).toBe(true);
    },
    120_000,
  );
});
