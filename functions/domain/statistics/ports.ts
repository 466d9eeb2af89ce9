/**
 * Usage statistics per organisation, month and channel, kept as counters that the dispatch engine
 * adds to when it commits a batch — so reading them never scans deliveries.
 */
export interface StatisticsEntry {
  readonly organization: string;
  /** Calendar month of the outcome, UTC: `YYYY-MM`. */
  readonly month: string;
  /** The channel used (`helsenorge`, `digital-mailbox`, `paper`), or `none` for skips (nothing was sent). */
  readonly channel: string;
  readonly sent: number;
  readonly skipped: number;
  readonly failed: number;
}

export interface StatisticsRecorder {
  /**
   * Adds the entries to their counters atomically (one counter per organisation, month and
   * channel; entries with the same key are summed first). With `batchKey`, recording is
   * exactly-once per key: a second call with the same key (a retried batch) adds nothing.
   */
  record(entries: readonly StatisticsEntry[], options?: { readonly batchKey?: string }): Promise<void>;
}

export interface StatisticsReader {
  /** Every counter of the months `from`..`to` (inclusive, `YYYY-MM`). */
  read(months: readonly string[]): Promise<StatisticsEntry[]>;
}
