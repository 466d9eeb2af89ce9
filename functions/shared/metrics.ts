import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRIC, METRICS_NAMESPACE, SERVICE_NAME } from './metric-names.js';

/**
 * Business metrics in CloudWatch Embedded Metric Format (Powertools Metrics): written to stdout
 * as structured log lines, turned into metrics by CloudWatch Logs — no PutMetricData call and no
 * IAM permission. Each helper publishes at once, so callers need no flushing middleware and an
 * invocation that records nothing prints no "no metrics" warning.
 *
 * Nothing personal can reach a dimension: reason and channel values must look like the codes the
 * platform uses (lower-case letters, digits, underscores); anything else is recorded as "other".
 */
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? SERVICE_NAME });

const CODE = /^[a-z][a-z0-9_]{0,47}$/;
/** A dimension value: a code (skip reason, channel, scope), or "other". Digits-only never passes. */
export const dimensionValue = (value: string): string => (CODE.test(value) ? value : 'other');

const count = (n: number): number => (Number.isFinite(n) && n > 0 ? Math.floor(n) : 0);

export interface BatchMetrics {
  readonly sent: number;
  /** Skip reason code → recipients skipped for it in this batch. */
  readonly skippedByReason: Readonly<Record<string, number>>;
  /** Channel → recipients whose delivery failed for good in this batch. */
  readonly failedByChannel: Readonly<Record<string, number>>;
  /** Wall-clock time the batch took, from claim to commit. */
  readonly batchMs: number;
}

const sum = (m: Readonly<Record<string, number>>): number => Object.values(m).reduce((s, n) => s + count(n), 0);

const byDimension = (name: string, dimension: string, values: Readonly<Record<string, number>>) => {
  const merged = new Map<string, number>();
  for (const [k, n] of Object.entries(values)) {
    const v = dimensionValue(k);
    merged.set(v, (merged.get(v) ?? 0) + count(n));
  }
  for (const [v, n] of merged) {
    if (n === 0) continue;
    const single = metrics.singleMetric();
    single.addDimension(dimension, v);
    single.addMetric(name, MetricUnit.Count, n);
  }
};

/** After every processed batch (the dispatch worker): progress, outcomes, latency. */
export const recordBatch = (b: BatchMetrics): void => {
  const skipped = sum(b.skippedByReason);
  const failed = sum(b.failedByChannel);
  metrics.addMetric(METRIC.sent, MetricUnit.Count, count(b.sent));
  metrics.addMetric(METRIC.skipped, MetricUnit.Count, skipped);
  metrics.addMetric(METRIC.failed, MetricUnit.Count, failed);
  metrics.addMetric(METRIC.decided, MetricUnit.Count, count(b.sent) + skipped + failed);
  metrics.addMetric(METRIC.batches, MetricUnit.Count, 1);
  if (Number.isFinite(b.batchMs) && b.batchMs >= 0) metrics.addMetric(METRIC.batchDuration, MetricUnit.Milliseconds, b.batchMs);
  metrics.publishStoredMetrics();
  byDimension(METRIC.skipped, 'reason', b.skippedByReason);
  byDimension(METRIC.failed, 'channel', b.failedByChannel);
};

/** When a pause (scope "project") or a halt (scope "global") is acknowledged: nothing in flight. */
export const recordPauseAck = (ms: number, scope: 'project' | 'global' = 'project'): void => {
  if (!Number.isFinite(ms) || ms < 0) return;
  const single = metrics.singleMetric();
  single.addDimension('scope', scope);
  single.addMetric(METRIC.pauseAck, MetricUnit.Milliseconds, ms);
};

/** The round watch, once a minute: how many rounds should be making progress right now. */
export const recordDispatchingRounds = (n: number): void => {
  metrics.addMetric(METRIC.dispatchingRounds, MetricUnit.Count, count(n));
  metrics.publishStoredMetrics();
};

/** A sealed secret that did not open, by what it was for (`form_callback`): someone changed the table, or a seal key was retired too early. */
export const recordSealedSecretRefused = (purpose: 'form_callback'): void => {
  const single = metrics.singleMetric();
  single.addDimension('purpose', purpose);
  single.addMetric(METRIC.sealedSecretRefused, MetricUnit.Count, 1);
};
