/**
 * The contact ledger: what each citizen has been sent by each project. Written by the dispatch
 * worker in the same transaction that marks a delivery sent; read by the round pre-flight
 * (alreadySent, duplicate-round detection) and again at send time (duplicates, frequency cap).
 */
export interface ContactRecord {
  readonly projectId: string;
  readonly roundId: string;
  readonly letterId: string;
  readonly version: number;
  readonly contentHash: string;
  readonly sentAt: string;
  /** True for test sends to synthetic persons: never counts as a real contact. */
  readonly test?: boolean;
}

export interface ContactLedger {
  /** Contacts of each citizen by the project (only citizens with at least one appear). */
  contactsOf(nins: readonly string[], projectId: string): Promise<Map<string, ContactRecord[]>>;
}
