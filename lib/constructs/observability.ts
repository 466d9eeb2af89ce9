import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRIC, METRICS_NAMESPACE, SERVICE_NAME } from '../../functions/shared/metric-names.js';
import { DlqAlarm } from './dlq-alarm.js';

export interface ObservabilityProps {
  /** Dead-letter queues by label (planner, dispatch). */
  readonly dlqs: Readonly<Record<string, sqs.IQueue>>;
  /** Functions whose errors and throttles go on the dashboard. */
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  /** Existing SNS topic for alarm notifications (context alarmTopicArn). */
  readonly alarmTopicArn?: string;
  /** Or an address to create an encrypted topic for (context alarmEmail). */
  readonly alarmEmail?: string;
  /** Minutes a dispatching round may make no progress before the stall alarm (context stallMinutes). */
  readonly stallMinutes?: number;
  /** Share of failed letters (percent of sent + failed, 5-minute windows) that alarms. */
  readonly failureRatePercent?: number;
}

const metric = (name: string, statistic: string, period: Duration, dimensionsMap: Record<string, string> = {}) =>
  new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName: name, statistic, period, dimensionsMap: { service: SERVICE_NAME, ...dimensionsMap } });

/**
 * Alarms and the dashboard on the platform's metrics (functions/shared/metric-names.ts):
 * - a dead letter in either DLQ (as soon as one message is visible);
 * - failure rate: failed / (sent + failed) above the threshold in a 5-minute window with at least
 *   20 letters decided (a single failure of three is noise, not an incident);
 * - stall: for `stallMinutes` consecutive minutes there were rounds that should progress
 *   (DispatchingRounds, from the round watch) and no batch decided anyone (RecipientsDecided,
 *   from the worker's recordBatch). Missing RecipientsDecided counts as zero (FILL): a worker that
 *   stopped emitting is exactly the stall.
 * - a sealed callback secret that did not open (SealedSecretRefused), at the first one.
 * Every alarm notifies the SNS topic when one is configured; without one they still show in the
 * console and on the dashboard.
 */
export class Observability extends Construct {
  readonly topic?: sns.ITopic;
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    this.topic = this.makeTopic(props);
    const notify = this.topic ? [new actions.SnsAction(this.topic)] : [];

    for (const [label, dlq] of Object.entries(props.dlqs)) {
      this.alarms.push(new DlqAlarm(this, `Dlq-${label}`, { dlq, label }).alarm);
    }

    const five = Duration.minutes(5);
    const failureRate = new cloudwatch.MathExpression({
      label: 'Failed letters, % of sent + failed',
      expression: 'IF((sent + failed) >= 20, 100 * failed / (sent + failed), 0)',
      usingMetrics: { sent: metric(METRIC.sent, 'Sum', five), failed: metric(METRIC.failed, 'Sum', five) },
      period: five,
    });
    const threshold = props.failureRatePercent ?? 5;
    this.alarms.push(
      failureRate.createAlarm(this, 'FailureRate', {
        alarmDescription: `More than ${threshold} % of letters failed for good in 5 minutes (at least 20 decided): a channel is failing. See LettersFailed by channel on the dashboard.`,
        threshold,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );

    const minute = Duration.minutes(1);
    const stallMinutes = props.stallMinutes ?? 10;
    const stalled = new cloudwatch.MathExpression({
      label: 'Rounds expected to progress while nothing was decided',
      expression: 'IF(dispatching > 0 AND FILL(decided, 0) == 0, 1, 0)',
      usingMetrics: { dispatching: metric(METRIC.dispatchingRounds, 'Maximum', minute), decided: metric(METRIC.decided, 'Sum', minute) },
      period: minute,
    });
    this.alarms.push(
      stalled.createAlarm(this, 'Stall', {
        alarmDescription: `A dispatching round (not halted, not paused) made no progress for ${stallMinutes} minutes: no batch decided any recipient. Check the worker's errors, the dispatch DLQ and GET /operations/status.`,
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: stallMinutes,
        datapointsToAlarm: stallMinutes,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
    // A sealed secret that did not open is never routine: someone changed the table, or a seal key was retired too early.
    this.alarms.push(
      metric(METRIC.sealedSecretRefused, 'Sum', five, { purpose: 'form_callback' }).createAlarm(this, 'SealedSecretRefused', {
        alarmDescription:
          'A form task’s sealed callback secret did not open (changed in the table, copied from another task, or its seal key retired): its callbacks answer 503 CALLBACK_SECRET_UNREADABLE and nothing is recorded. The form-callbacks log names the task.',
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
    for (const alarm of this.alarms) for (const action of notify) alarm.addAlarmAction(action);

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${Stack.of(this).stackName}-dispatch`,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Letters per minute',
        left: [metric(METRIC.sent, 'Sum', minute), metric(METRIC.skipped, 'Sum', minute), metric(METRIC.failed, 'Sum', minute)],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Progress: rounds expected to move vs recipients decided',
        left: [metric(METRIC.dispatchingRounds, 'Maximum', minute)],
        right: [metric(METRIC.decided, 'Sum', minute)],
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Batch duration (ms)',
        left: [metric(METRIC.batchDuration, 'p50', minute), metric(METRIC.batchDuration, 'p95', minute), metric(METRIC.batchDuration, 'Maximum', minute)],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Pause / halt acknowledged after (ms)',
        left: [metric(METRIC.pauseAck, 'Maximum', minute, { scope: 'project' }), metric(METRIC.pauseAck, 'Maximum', minute, { scope: 'global' })],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Dead letters',
        left: Object.values(props.dlqs).map((q) => q.metricApproximateNumberOfMessagesVisible({ period: minute, statistic: 'Maximum' })),
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Function errors',
        left: Object.values(props.functions).map((f) => f.metricErrors({ period: minute, statistic: 'Sum' })),
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Function throttles',
        left: Object.values(props.functions).map((f) => f.metricThrottles({ period: minute, statistic: 'Sum' })),
        width: 12,
      }),
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 }),
    );
  }

  private makeTopic(props: ObservabilityProps): sns.ITopic | undefined {
    if (props.alarmTopicArn) return sns.Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn);
    if (!props.alarmEmail) return undefined;
    // A key of its own: CloudWatch must be allowed to use it to publish, and the data key's
    // policy lives in the stateful stack (granting there would make it depend on this one).
    const key = new kms.Key(this, 'AlarmTopicKey', { description: 'research-dispatch: alarm notifications', enableKeyRotation: true });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    const topic = new sns.Topic(this, 'AlarmTopic', { displayName: 'research-dispatch alarms', masterKey: key, enforceSSL: true });
    topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    return topic;
  }
}
