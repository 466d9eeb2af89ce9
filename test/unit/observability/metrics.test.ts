import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { syntheticNins } from '../../../functions/domain/lists/nin-generator.js';
import { METRIC, METRICS_NAMESPACE } from '../../../functions/shared/metric-names.js';
import { dimensionValue, recordBatch, recordDispatchingRounds, recordPauseAck } from '../../../functions/shared/metrics.js';

/** The EMF records the helpers print: what CloudWatch would turn into metrics. */
type Emf = { _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] } } & Record<string, unknown>;
let out: string[] = [];
beforeEach(() => {
  out = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
    out.push(String(chunk));
    return true;
  });
});
afterEach(() => vi.restoreAllMocks());

const records = (): Emf[] =>
  out
    .join('')
    .split('\n')
    .filter((l) => l.includes('"_aws"'))
    .map((l) => JSON.parse(l) as Emf);
/** Value of a metric in the record whose dimension set is exactly `dims`. */
const valueOf = (name: string, dims: Record<string, string>): number | undefined => {
  const keys = ['service', ...Object.keys(dims)].sort();
  const r = records().find(
    (x) =>
      x._aws.CloudWatchMetrics[0]!.Metrics.some((m) => m.Name === name) &&
      JSON.stringify([...x._aws.CloudWatchMetrics[0]!.Dimensions[0]!].sort()) === JSON.stringify(keys) &&
      Object.entries(dims).every(([k, v]) => x[k] === v),
  );
  return r === undefined ? undefined : (r[name] as number);
};

describe('recordBatch', () => {
  it('emits totals, progress and latency per batch, and the breakdowns by reason and channel', () => {
    recordBatch({ sent: 80, skippedByReason: { reserved: 6, withdrawn: 2, deceased: 1 }, failedByChannel: { helsenorge: 1, paper: 0 }, batchMs: 1234 });
    expect(records().every((r) => r._aws.CloudWatchMetrics[0]!.Namespace === METRICS_NAMESPACE)).toBe(true);
    expect(valueOf(METRIC.sent, {})).toBe(80);
    expect(valueOf(METRIC.skipped, {})).toBe(9);
    expect(valueOf(METRIC.failed, {})).toBe(1);
    expect(valueOf(METRIC.decided, {})).toBe(90);
    expect(valueOf(METRIC.batches, {})).toBe(1);
    expect(valueOf(METRIC.batchDuration, {})).toBe(1234);
    expect(valueOf(METRIC.skipped, { reason: 'reserved' })).toBe(6);
    expect(valueOf(METRIC.skipped, { reason: 'withdrawn' })).toBe(2);
    expect(valueOf(METRIC.failed, { channel: 'helsenorge' })).toBe(1);
    // A zero breakdown is not a data point.
    expect(valueOf(METRIC.failed, { channel: 'paper' })).toBeUndefined();
    const units = Object.fromEntries(records().flatMap((r) => r._aws.CloudWatchMetrics[0]!.Metrics.map((m) => [m.Name, m.Unit])));
    expect(units[METRIC.batchDuration]).toBe('Milliseconds');
    expect(units[METRIC.sent]).toBe('Count');
  });

  it('a batch that made no progress says so (RecipientsDecided 0), the signal of the stall alarm', () => {
    recordBatch({ sent: 0, skippedByReason: {}, failedByChannel: {}, batchMs: 5 });
    expect(valueOf(METRIC.decided, {})).toBe(0);
    expect(valueOf(METRIC.batches, {})).toBe(1);
  });

  it('never puts a national ID (or anything but a code) into a dimension or a value', () => {
    const [nin] = syntheticNins(1, 70_000) as [string];
    recordBatch({ sent: 1, skippedByReason: { [nin]: 2, 'Not A Code': 1 }, failedByChannel: { [`helsenorge ${nin}`]: 1 }, batchMs: 10 });
    const text = out.join('');
    expect(text).not.toContain(nin);
    expect(valueOf(METRIC.skipped, { reason: 'other' })).toBe(3);
    expect(valueOf(METRIC.failed, { channel: 'other' })).toBe(1);
    expect(dimensionValue('12345678901')).toBe('other');
    expect(dimensionValue('channel_unavailable')).toBe('channel_unavailable');
  });

  it('ignores nonsense counts instead of publishing them', () => {
    recordBatch({ sent: -3, skippedByReason: { reserved: Number.NaN }, failedByChannel: {}, batchMs: Number.POSITIVE_INFINITY });
    expect(valueOf(METRIC.sent, {})).toBe(0);
    expect(valueOf(METRIC.skipped, {})).toBe(0);
    expect(valueOf(METRIC.batchDuration, {})).toBeUndefined();
  });
});

describe('recordPauseAck and recordDispatchingRounds', () => {
  it('emit the acknowledgement latency per scope and the dispatching-rounds gauge', () => {
    recordPauseAck(850, 'project');
    recordPauseAck(1200, 'global');
    recordPauseAck(-1);
    recordDispatchingRounds(3);
    expect(valueOf(METRIC.pauseAck, { scope: 'project' })).toBe(850);
    expect(valueOf(METRIC.pauseAck, { scope: 'global' })).toBe(1200);
    expect(records().filter((r) => METRIC.pauseAck in r)).toHaveLength(2);
    expect(valueOf(METRIC.dispatchingRounds, {})).toBe(3);
  });
});
