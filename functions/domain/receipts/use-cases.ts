import { createHash, timingSafeEqual } from 'node:crypto';
import { UnauthenticatedError } from '../../shared/errors.js';
import type { ReceiptOutcome, ReceiptsStore } from './ports.js';

/**
 * Callbacks from the national services. Both authenticate the caller by the API key agreed with
 * it (compared in constant time) and are logged by the caller without personal data.
 */
/** Constant time whatever the lengths: both sides are hashed first. */
export const sameKey = (given: string, expected: string): boolean =>
  expected.length > 0 && timingSafeEqual(createHash('sha256').update(given).digest(), createHash('sha256').update(expected).digest());

export interface MessageToCitizenReport {
  readonly apiKey: string;
  readonly messageToCitizenId: string;
  /** 0 None, 1 Helsenorge, 2 DigitalMailbox, 3 Unsecure, 4 PhysicalMailbox. */
  readonly notificationChannel: number;
  /** 0 Sent, 1 Error. */
  readonly sentStatus: number;
}

/**
 * ePROM names the message by its own id, which the platform learns only from the answer to its
 * POST; the hand-over is recorded after that answer, so a callback sent at once can arrive first.
 * Such a receipt is parked, not refused: it is matched when the hand-over lands. The answer is the
 * same `{success: true}` either way (`parked` tells the caller's log which happened).
 */
export const recordMessageToCitizen = async (
  deps: { receipts: Pick<ReceiptsStore, 'settle' | 'park'>; callbackKey: () => Promise<string>; now: () => Date },
  report: MessageToCitizenReport,
): Promise<{ success: true; outcome: ReceiptOutcome; parked: boolean }> => {
  if (!sameKey(report.apiKey, await deps.callbackKey())) throw new UnauthenticatedError('The API key is not valid');
  const outcome: ReceiptOutcome = report.sentStatus === 0 && report.notificationChannel !== 0 ? 'confirmed' : 'failedAfterSend';
  const at = deps.now().toISOString();
  if (await deps.receipts.settle(report.messageToCitizenId, outcome, at)) return { success: true, outcome, parked: false };
  const parked = (await deps.receipts.park(report.messageToCitizenId, outcome, at)) === 'parked';
  return { success: true, outcome, parked };
};

export interface PrivacySettingChange {
  readonly nationalId: string;
  /** The setting's definition id (pvkId). */
  readonly id: string;
  readonly status: 'RES' | 'IRES' | 'SAM' | 'ISAM';
}

/** What a privacy-setting callback needs: the agreed key, the mirrored definitions, the mirror and a read of the source. */
export interface PrivacyChangeDeps {
  readonly callbackKey: () => Promise<string>;
  readonly pvkIds: readonly string[];
  /** Epoch ms. */
  readonly now: () => number;
  /** Mirrors an active setting at once. */
  add(pvkId: string, nin: string): Promise<void>;
  /** The person's setting of the definition, read from the source now (0 reservation, 1 consent). */
  currentlyActive(pvkId: string, nin: string, type: 0 | 1): Promise<boolean>;
  /** Removes the mirrored setting unless it was written at or after `at` (a newer change wins). */
  removeIfNotChangedSince(pvkId: string, nin: string, at: number): Promise<void>;
}

/**
 * The privacy component's change callback. It carries one static key and neither a timestamp nor
 * a nonce, so a captured request can be replayed; what the service does offer is a read of a
 * person's current setting. Hence: a change that sets a reservation (or consent) active is applied
 * at once — the safe direction, and a replayed one only keeps someone out until the next refresh;
 * a change that ends one is applied only after reading the person's setting from the source, and
 * only if the source agrees (a replayed IRES changes nothing). The removal is conditional on the
 * mirror entry being older than that read, so a reservation that arrives meanwhile stays. A source
 * that cannot be read leaves the reservation in place and the callback fails (503: try again).
 */
export const recordPrivacySettingChange = async (deps: PrivacyChangeDeps, apiKey: string, change: PrivacySettingChange): Promise<{ success: true; mirrored: boolean }> => {
  if (!sameKey(apiKey, await deps.callbackKey())) throw new UnauthenticatedError('The API key is not valid');
  // A definition this platform does not mirror is acknowledged and ignored.
  if (!deps.pvkIds.includes(change.id)) return { success: true, mirrored: false };
  if (change.status === 'RES' || change.status === 'SAM') {
    await deps.add(change.id, change.nationalId);
    return { success: true, mirrored: true };
  }
  const readAt = deps.now();
  if (await deps.currentlyActive(change.id, change.nationalId, change.status === 'IRES' ? 0 : 1)) return { success: true, mirrored: false };
  await deps.removeIfNotChangedSince(change.id, change.nationalId, readAt);
  return { success: true, mirrored: true };
};
