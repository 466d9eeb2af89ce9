import type { Language } from '../letters/letter.js';
import type { Channel, SkipReason } from './decide.js';

/**
 * One recipient of a released round. DynamoDB holds it and is the source of truth; the queue only
 * carries work. Its state only moves forward:
 *   pending → claimed → sent | skipped(reason) | failed | cancelled
 * `sent` and `skipped` are final; an expired claim (crashed worker) and a redriven `failed` go
 * back to pending. Every transition is a conditional write.
 */
export type DeliveryStatus = 'pending' | 'claimed' | 'sent' | 'skipped' | 'failed' | 'cancelled';

export const TERMINAL: ReadonlySet<DeliveryStatus> = new Set(['sent', 'skipped', 'failed', 'cancelled']);

export interface Delivery {
  readonly roundId: string;
  readonly deliveryId: string;
  readonly projectId: string;
  readonly batchNo: number;
  /** The citizen's national ID: needed to deliver; never logged, never in a URL. */
  readonly nin: string;
  /** Keyed hash of the national ID, for the complaints lookup. */
  readonly citizenKey: string;
  readonly language?: Language;
  readonly fields?: Readonly<Record<string, string>>;
  readonly status: DeliveryStatus;
  readonly leaseId?: string;
  /** Epoch ms after which a claim is considered abandoned. */
  readonly leaseUntil?: number;
  readonly channel?: Channel;
  readonly reason?: SkipReason | string;
  readonly decidedAt?: string;
  readonly attempts?: number;
}

/** Zero-padded so that delivery ids sort by batch and a batch is one key range. */
export const batchPrefix = (batchNo: number): string => `${String(batchNo).padStart(6, '0')}-`;
export const deliveryIdOf = (batchNo: number, index: number): string => `${batchPrefix(batchNo)}${String(index).padStart(4, '0')}`;

export interface Counts {
  planned: number;
  sent: number;
  skippedReserved: number;
  skippedWithdrawn: number;
  skippedDuplicate: number;
  skippedOther: number;
  failed: number;
  cancelled: number;
  pending: number;
}

export const COUNTERS = ['sent', 'skippedReserved', 'skippedWithdrawn', 'skippedDuplicate', 'skippedOther', 'failed', 'cancelled'] as const;
export type Counter = (typeof COUNTERS)[number];

/** A change to a batch's counters (and skip-reason breakdown), applied atomically with the deliveries. */
export interface CountDelta {
  readonly counters: Partial<Record<Counter, number>>;
  readonly reasons: Readonly<Record<string, number>>;
}

export const emptyCounts = (planned: number): Counts => ({
  planned,
  sent: 0,
  skippedReserved: 0,
  skippedWithdrawn: 0,
  skippedDuplicate: 0,
  skippedOther: 0,
  failed: 0,
  cancelled: 0,
  pending: planned,
});

/** pending is derived, so the nine documented fields add up to planned by construction. */
export const withPending = (c: Omit<Counts, 'pending'>): Counts => ({
  ...c,
  pending: c.planned - COUNTERS.reduce((sum, k) => sum + c[k], 0),
});
