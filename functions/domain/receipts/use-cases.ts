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
export const recordPrivacySettingChange = async (
  deps: PrivacyChangeDeps,
  apiKey: string,
  change: PrivacySettingChange,
): Promise<{ success: true; mirrored: boolean }> => {
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
