import { describe, expect, it } from 'vitest';
import { recordMessageToCitizen } from '../../../functions/domain/receipts/use-cases.js';
import { UnauthenticatedError } from '../../../functions/shared/errors.js';

/** A receipts store whose hand-over for 'm-1' is recorded or not; parks what it cannot settle. */
const world = (known: boolean, landsWhileParking = false) => {
  const settled: { ref: string; outcome: string }[] = [];
  const parked: { ref: string; outcome: string }[] = [];
  return {
    settled,
    parked,
    deps: {
      receipts: {
        settle: async (ref: string, outcome: 'confirmed' | 'failedAfterSend') => {
          if (!known) return false;
          settled.push({ ref, outcome });
          return true;
        },
        park: async (ref: string, outcome: 'confirmed' | 'failedAfterSend') => {
          if (landsWhileParking) return (settled.push({ ref, outcome }), 'settled' as const);
          parked.push({ ref, outcome });
          return 'parked' as const;
        },
      },
      callbackKey: async () => 'the-key',
      now: () => new Date(0),
    },
  };
};

const report = { apiKey: 'the-key', messageToCitizenId: 'm-1', notificationChannel: 1, sentStatus: 0 };

describe('the ePROM receipt callback', () => {
  it('settles a receipt whose hand-over is recorded', async () => {
    const w = world(true);
    await expect(recordMessageToCitizen(w.deps, report)).resolves.toEqual({ success: true, outcome: 'confirmed', parked: false });
    expect(w.settled).toEqual([{ ref: 'm-1', outcome: 'confirmed' }]);
    expect(w.parked).toEqual([]);
  });

  it('parks a receipt that arrives before its hand-over is recorded, at once and without refusing it', async () => {
    const w = world(false);
    await expect(recordMessageToCitizen(w.deps, report)).resolves.toEqual({ success: true, outcome: 'confirmed', parked: true });
    expect(w.parked).toEqual([{ ref: 'm-1', outcome: 'confirmed' }]);
  });

  it('a hand-over that lands while the receipt parks settles it', async () => {
    const w = world(false, true);
    await expect(recordMessageToCitizen(w.deps, report)).resolves.toEqual({ success: true, outcome: 'confirmed', parked: false });
    expect(w.settled).toEqual([{ ref: 'm-1', outcome: 'confirmed' }]);
  });

  it('refuses a wrong API key before looking anything up', async () => {
    const w = world(true);
    await expect(recordMessageToCitizen(w.deps, { ...report, apiKey: 'wrong' })).rejects.toBeInstanceOf(UnauthenticatedError);
    expect(w.settled).toEqual([]);
    expect(w.parked).toEqual([]);
  });

  it('counts a report of an error, or of no channel, as failed after hand-over', async () => {
    const w = world(true);
    await expect(recordMessageToCitizen(w.deps, { ...report, sentStatus: 1 })).resolves.toMatchObject({ outcome: 'failedAfterSend' });
    await expect(recordMessageToCitizen(w.deps, { ...report, notificationChannel: 0 })).resolves.toMatchObject({ outcome: 'failedAfterSend' });
  });
});
