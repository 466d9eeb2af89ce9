/**
 * Names of the platform's CloudWatch metrics (EMF), shared by the code that emits them
 * (functions/shared/metrics.ts) and the alarms and dashboard that read them (lib/constructs/
 * observability.ts), so the two cannot drift. Plain data: no SDK or CDK imports.
 *
 * Dimensions are low-cardinality and never personal: service, reason (skip reason codes),
 * channel, scope. No projectId, roundId or citizen key: a project's progress is in its round's
 * counts and the logs (persistent keys), not in metric dimensions.
 */
export const METRICS_NAMESPACE = 'ResearchDispatch';
export const SERVICE_NAME = 'research-dispatch';

export const METRIC = {
  /** Per batch (dimension service): letters handed to a channel and accepted. */
  sent: 'LettersSent',
  /** Per batch: recipients a gate skipped (total; and per `reason` in its own dimension set). */
  skipped: 'LettersSkipped',
  /** Per batch: recipients whose delivery failed for good (total; and per `channel`). */
  failed: 'LettersFailed',
  /** Per batch: sent + skipped + failed — the progress a batch made (0 is a batch that did nothing). */
  decided: 'RecipientsDecided',
  batches: 'BatchesProcessed',
  batchDuration: 'BatchDuration',
  /** Milliseconds from a pause or halt until nothing of it was in flight (dimension `scope`). */
  pauseAck: 'PauseAckLatency',
  /** A sealed secret that did not open (changed, moved, or its key gone), dimension `purpose`: an alarm, never a quiet refusal. */
  sealedSecretRefused: 'SealedSecretRefused',
  /** Gauge, once a minute from the round watch: rounds that should be making progress now. */
  dispatchingRounds: 'DispatchingRounds',
} as const;
