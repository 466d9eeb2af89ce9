import { describe, expect, it } from 'vitest';
import { EARLY_RECEIPT_WAIT_MS, recordMessageToCitizen, UnknownMessageError } from '../../../functions/domain/receipts/use-cases.js';
import { UnauthenticatedError } from '../../../functions/shared/errors.js';

/** A receipts store that learns of a hand-over after `knownAfterMs` of (fake) time. */
const world = (knownAfterMs: number | undefined) => {
  let now = 0;
  const settled: { ref: string; outcome: string }[] = [];
  return {
    settled,
    deps: {
      receipts: {
        settle: async (ref: string, outcome: 'confirmed' | 'failedAfterSend') => {
          if (knownAfterMs === undefined || now < knownAfterMs) return false;
          settled.push({ ref, outcome });
          return true;
        },
      },
      callbackKey: async () => 'the-key',
      now: () => new Date(now),
      sleep: async (ms: number) => void (now += ms),
    },
    elapsed: () => now,
  };
};

const report = { apiKey: 'the-key', messageToCitizenId: 'm-1', notificationChannel: 1, sentStatus: 0 };

describe('the ePROM receipt callback', () => {
  it('records a receipt that arrives before its hand-over was recorded, once the hand-over is there', async () => {
    const w = world(450);
    await expect(recordMessageToCitizen(w.deps, report)).resolves.toEqual({ success: true, outcome: 'confirmed' });
    expect(w.settled).toEqual([{ ref: 'm-1', outcome: 'confirmed' }]);
    expect(w.elapsed()).toBeGreaterThanOrEqual(450);
    expect(w.elapsed()).toBeLessThan(EARLY_RECEIPT_WAIT_MS);
  });

  it('refuses a message id never handed over, after the wait, with UNKNOWN_MESSAGE', async () => {
    const w = world(undefined);
    await expect(recordMessageToCitizen(w.deps, report)).rejects.toBeInstanceOf(UnknownMessageError);
    expect(w.elapsed()).toBeGreaterThanOrEqual(EARLY_RECEIPT_WAIT_MS);
    expect(w.settled).toEqual([]);
  });

  it('refuses a wrong API key before looking anything up', async () => {
    const w = world(0);
    await expect(recordMessageToCitizen(w.deps, { ...report, apiKey: 'wrong' })).rejects.toBeInstanceOf(UnauthenticatedError);
    expect(w.settled).toEqual([]);
  });

  it('counts a report of an error, or of no channel, as failed after hand-over', async () => {
    const w = world(0);
    await expect(recordMessageToCitizen(w.deps, { ...report, sentStatus: 1 })).resolves.toMatchObject({ outcome: 'failedAfterSend' });
    await expect(recordMessageToCitizen(w.deps, { ...report, notificationChannel: 0 })).resolves.toMatchObject({ outcome: 'failedAfterSend' });
  });
});
