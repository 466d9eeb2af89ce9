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

export const recordPrivacySettingChange = async (
  deps: { callbackKey: () => Promise<string>; pvkIds: readonly string[]; apply: (pvkId: string, nin: string, active: boolean) => Promise<void> },
  apiKey: string,
  change: PrivacySettingChange,
): Promise<{ success: true; mirrored: boolean }> => {
  if (!sameKey(apiKey, await deps.callbackKey())) throw new UnauthenticatedError('The API key is not valid');
  // A definition this platform does not mirror is acknowledged and ignored.
  if (!deps.pvkIds.includes(change.id)) return { success: true, mirrored: false };
  await deps.apply(change.id, change.nationalId, change.status === 'RES' || change.status === 'SAM');
  return { success: true, mirrored: true };
};
