/** What the automatic brake counts in a window of a round (dispatch/stages/brake.ts). */
export interface BrakeCounts {
  /** Recipients decided (sent, skipped, failed). */
  readonly decided: number;
  /** Failed letters and letters every channel refused. */
  readonly failed: number;
  /** Recipients skipped as reserved against research. */
  readonly reserved: number;
}

/** Why the brake stopped a round: the window and what was over its threshold. */
export interface BrakeTrip {
  readonly window: number;
  readonly counts: BrakeCounts;
  readonly rule: 'failed' | 'reserved';
  /** The share found, in percent of the window's decided recipients. */
  readonly percent: number;
  /** The share allowed (for `reserved`: the pre-flight's share plus the allowed excess). */
  readonly limitPercent: number;
}

/** Why the brake paused, in Norwegian, for the project's pause reason (shown to researchers and operations). */
export const brakeReason = (t: BrakeTrip): string =>
  t.rule === 'failed'
    ? `Automatisk brems: ${t.counts.failed} av ${t.counts.decided} brev (${pct(t.percent)}) i et utsnitt av runden feilet eller ble avvist; grensen er ${pct(t.limitPercent)}. Finn årsaken før utsendingen gjenopptas.`
    : `Automatisk brems: ${t.counts.reserved} av ${t.counts.decided} mottakere (${pct(t.percent)}) i et utsnitt av runden var reservert; forhåndskontrollen ga grunn til å vente høyst ${pct(t.limitPercent)}. Kontroller reservasjonsdata og listen før utsendingen gjenopptas.`;

const pct = (x: number): string => `${String(x).replace('.', ',')} %`;
