import { parseArgs } from 'node:util';
import { lettersByCitizen } from '../test/integration/dispatch/channel-scan.js';
import { fmt, must, readyRound, roundCounts, startBench } from './harness.js';

/**
 * npm run bench:load [-- --projects 5 --letters 10000]
 *
 * Several projects release a round at the same moment; one of them is paused in the middle and
 * resumed. Prints total letters/s, and per project when its first and last letters went out and
 * its share of the letters sent while all were running (fairness: no project starved).
 */
const { values } = parseArgs({ options: { projects: { type: 'string', default: '5' }, letters: { type: 'string', default: '10000' } } });
const projects = Number(values.projects);
const letters = Number(values.letters);

const main = async () => {
  const b = await startBench();
  try {
    const rounds: Awaited<ReturnType<typeof readyRound>>[] = [];
    for (let i = 0; i < projects; i++) rounds.push(await readyRound(b, `load${i}`, letters, 1_000_000 + i * letters));
    const ops = b.as({ sub: 'ops', role: 'operations' });
    const t0 = performance.now();
    await Promise.all(rounds.map(async (r) => must(await r.researcher.post(`/projects/${r.projectId}/rounds/${r.roundId}/release`), 202, 'release')));
    const first = new Map<number, number>();
    const last = new Map<number, number>();
    const sentWhileAllRunning = new Map<number, number>();
    let paused = false;
    let resumed = false;
    let resumeFailed: Error | undefined;
    let allRunningUntil: number | undefined;
    for (;;) {
      const now = (performance.now() - t0) / 1000;
      const states = await Promise.all(rounds.map((r) => roundCounts(r.researcher, r.projectId, r.roundId)));
      states.forEach((s, i) => {
        if (s.counts.sent > 0 && !first.has(i)) first.set(i, now);
        if (s.status === 'completed' && !last.has(i)) last.set(i, now);
        if (allRunningUntil === undefined) sentWhileAllRunning.set(i, s.counts.sent);
      });
      if (allRunningUntil === undefined && states.some((s) => s.status === 'completed' || s.status === 'paused')) allRunningUntil = now;
      if (resumeFailed) throw resumeFailed;
      const total = states.reduce((sum, s) => sum + s.counts.sent, 0);
      if (!paused && total >= (projects * letters) / 3) {
        const t = performance.now();
        must(await ops.post(`/projects/${rounds[0]!.projectId}/pause`, { reason: 'load bench' }), 200, 'pause');
        console.log(`  paused project 0 at ${fmt(now, 1)} s (acknowledged in ${fmt(performance.now() - t)} ms)`);
        paused = true;
        // Resumed 3 s later while this loop keeps polling; a failed resume fails the bench (below)
        // instead of vanishing as an unhandled rejection.
        setTimeout(() => {
          ops
            .post(`/projects/${rounds[0]!.projectId}/resume`)
            .then((res) => {
              must(res, 200, 'resume');
              resumed = true;
            })
            .catch((e: unknown) => {
              resumeFailed = e instanceof Error ? e : new Error(String(e));
            });
        }, 3_000);
      }
      if (states.every((s) => s.status === 'completed') && resumed) {
        const seconds = (performance.now() - t0) / 1000;
        const counts = states.map((s) => s.counts);
        console.log(`\n${projects} projects × ${fmt(letters)} letters released at once, project 0 paused for 3 s mid-way`);
        console.log(`  total ${fmt(projects * letters)} letters in ${fmt(seconds, 1)} s = ${fmt((projects * letters) / seconds)} letters/s`);
        const shareBase = [...sentWhileAllRunning.values()].reduce((s, n) => s + n, 0) || 1;
        for (let i = 0; i < projects; i++) {
          console.log(
            `  project ${i}: first letter ${fmt(first.get(i) ?? 0, 1)} s, completed ${fmt(last.get(i) ?? 0, 1)} s, ` +
              `share while all ran ${fmt(((sentWhileAllRunning.get(i) ?? 0) / shareBase) * 100, 1)} %, sent ${fmt(counts[i]!.sent)}, pending ${counts[i]!.pending}`,
          );
        }
        console.log(`  (a fair share is ${fmt(100 / projects, 1)} % each)`);
        // The invariants, from the channels' own records: every citizen exactly one letter.
        for (const [i, r] of rounds.entries()) {
          const held = await lettersByCitizen(b.platform, r.roundId);
          const twice = [...held.values()].filter((n) => n > 1).length;
          const ok = held.size === letters && twice === 0 && counts[i]!.sent === letters && counts[i]!.pending === 0;
          console.log(`  project ${i}: ${fmt(held.size)} citizens hold a letter, ${twice} hold more than one — ${ok ? 'exactly once' : 'INVARIANT BROKEN'}`);
          if (!ok) process.exitCode = 1;
        }
        console.log('');
        break;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await b.stop();
  }
};

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
