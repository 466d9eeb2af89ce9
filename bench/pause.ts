import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { parseArgs } from 'node:util';
import { fmt, must, readyRound, roundCounts, startBench } from './harness.js';

/**
 * npm run bench:pause [-- --letters 30000 --at 0.2 --repeat 3]
 *
 * Under a running round, measures how long POST /projects/{id}/pause takes to acknowledge
 * (200, inFlight 0), and counts the letters that went out after the acknowledgement: every
 * delivery whose send decision is timestamped after it (must be 0). Then resumes and repeats.
 */
const { values } = parseArgs({ options: { letters: { type: 'string', default: '30000' }, at: { type: 'string', default: '0.2' }, repeat: { type: 'string', default: '3' } } });
const letters = Number(values.letters);

const main = async () => {
  const b = await startBench();
  try {
    const r = await readyRound(b, 'pausebench', letters);
    const ops = b.as({ sub: 'ops', role: 'operations' });
    must(await r.researcher.post(`/projects/${r.projectId}/rounds/${r.roundId}/release`), 202, 'release');
    const db = DynamoDBDocumentClient.from(b.platform.dynamo);
    const results: { latencyMs: number; after: number; inFlight: number; sentAt: number }[] = [];
    for (let i = 0; i < Number(values.repeat); i++) {
      const target = letters * Number(values.at) * (i + 1);
      let c = await roundCounts(r.researcher, r.projectId, r.roundId);
      while (c.counts.planned - c.counts.pending < target && c.status !== 'completed') {
        await new Promise((res) => setTimeout(res, 50));
        c = await roundCounts(r.researcher, r.projectId, r.roundId);
      }
      if (c.status === 'completed') break;
      const t0 = performance.now();
      const paused = must(await ops.post(`/projects/${r.projectId}/pause`, { reason: 'bench' }), 200, 'pause');
      const latencyMs = performance.now() - t0;
      const ackAt = new Date().toISOString();
      await new Promise((res) => setTimeout(res, 2000));
      // Deliveries decided (sent) after the acknowledgement came back.
      let after = 0;
      let start: Record<string, unknown> | undefined;
      do {
        const res = await db.send(
          new QueryCommand({
            TableName: b.platform.env.TABLE_DELIVERIES,
            KeyConditionExpression: 'roundId = :r',
            FilterExpression: '#s = :sent AND decidedAt > :ack',
            ExpressionAttributeNames: { '#s': 'status' },
            ExpressionAttributeValues: { ':r': r.roundId, ':sent': 'sent', ':ack': ackAt },
            ExclusiveStartKey: start,
          }),
        );
        after += res.Count ?? 0;
        start = res.LastEvaluatedKey;
      } while (start);
      results.push({ latencyMs, after, inFlight: paused.body.inFlight, sentAt: c.counts.sent });
      must(await ops.post(`/projects/${r.projectId}/resume`), 200, 'resume');
    }
    console.log(`\npause under a running ${fmt(letters)}-letter round (DynamoDB Local + fauxqs)`);
    for (const [i, x] of results.entries()) {
      console.log(`  pause ${i + 1}: acknowledged in ${fmt(x.latencyMs)} ms (inFlight ${x.inFlight}) at ~${fmt(x.sentAt)} sent; letters sent after the acknowledgement: ${x.after}`);
    }
    const lat = results.map((x) => x.latencyMs).sort((a, b2) => a - b2);
    console.log(`  median ${fmt(lat[Math.floor(lat.length / 2)] ?? 0)} ms, max ${fmt(lat[lat.length - 1] ?? 0)} ms; target ≤ 500 ms and 0 letters after\n`);
  } finally {
    await b.stop();
  }
};

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
