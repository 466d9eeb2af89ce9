import { createHash, timingSafeEqual } from 'node:crypto';
import { DomainError, UnauthenticatedError } from '../../shared/errors.js';
import type { ReceiptOutcome, ReceiptsStore } from './ports.js';

/**
 * Callbacks from the national services. Both authenticate the caller by the API key agreed with
 * it (compared in constant time) and are logged by the caller without personal data.
 */
export class UnknownMessageError extends DomainError {
  constructor() {
    super('UNKNOWN_MESSAGE', 404, 'No message with this id was handed over by this platform');
  }
}

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
 * How long a receipt for a message id not (yet) known waits for its hand-over to be recorded. ePROM
 * names the message by its own id, which the platform learns only from the answer to its POST; the
 * hand-over is recorded right after that answer, so a callback sent at once can arrive first.
 */
export const EARLY_RECEIPT_WAIT_MS = 3_000;
/** Looks again after 100, 200, 400, 800 ms, …: a receipt that arrived early costs a few reads, not thirty. */
const EARLY_RECEIPT_FIRST_POLL_MS = 100;

export const recordMessageToCitizen = async (
  deps: { receipts: Pick<ReceiptsStore, 'settle'>; callbackKey: () => Promise<string>; now: () => Date; sleep?: (ms: number) => Promise<void> },
  report: MessageToCitizenReport,
): Promise<{ success: true; outcome: ReceiptOutcome }> => {
  if (!sameKey(report.apiKey, await deps.callbackKey())) throw new UnauthenticatedError('The API key is not valid');
  const outcome: ReceiptOutcome = report.sentStatus === 0 && report.notificationChannel !== 0 ? 'confirmed' : 'failedAfterSend';
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  for (let waited = 0, next = EARLY_RECEIPT_FIRST_POLL_MS; ; waited += next, next *= 2) {
    if (await deps.receipts.settle(report.messageToCitizenId, outcome, deps.now().toISOString())) return { success: true, outcome };
    if (waited >= EARLY_RECEIPT_WAIT_MS) throw new UnknownMessageError();
    await sleep(Math.min(next, EARLY_RECEIPT_WAIT_MS - waited));
  }
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
