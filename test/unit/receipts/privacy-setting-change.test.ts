import { describe, expect, it } from 'vitest';
import { recordPrivacySettingChange, type PrivacyChangeDeps } from '../../../functions/domain/receipts/use-cases.js';
import { RegistryUnavailableError } from '../../../functions/domain/citizens/registries.js';

/**
 * The privacy component's callback carries only a static key: no timestamp, no nonce, so anyone
 * holding an old request can replay it. What the service offers instead is a read of a person's
 * current setting (getpersonverninnstilling): a change that adds a reservation is applied at once
 * (the safe direction); one that removes it is applied only when the source, read now, agrees.
 */
const NIN = '01017012345';
const world = (source: { active: boolean } | 'down') => {
  const mirror = new Map<string, number>([[NIN, 100]]);
  const reads: { nin: string; type: number }[] = [];
  let now = 1_000;
  const deps: PrivacyChangeDeps = {
    callbackKey: async () => 'the-key',
    pvkIds: ['pvk-research'],
    now: () => now,
    add: async (_pvk, nin) => void mirror.set(nin, now),
    currentlyActive: async (_pvk, nin, type) => {
      reads.push({ nin, type });
      now += 10;
      if (source === 'down') throw new RegistryUnavailableError('reservations', 'the privacy component cannot be read');
      return source.active;
    },
    removeIfNotChangedSince: async (_pvk, nin, at) => {
      if ((mirror.get(nin) ?? 0) < at) mirror.delete(nin);
    },
  };
  return { deps, mirror, reads };
};
const change = (status: 'RES' | 'IRES' | 'SAM' | 'ISAM') => ({ nationalId: NIN, id: 'pvk-research', status });

describe('a privacy-component change callback', () => {
  it('should not remove a reservation on a replayed IRES while the source still says reserved', async () => {
    const w = world({ active: true });
    expect(await recordPrivacySettingChange(w.deps, 'the-key', change('IRES'))).toEqual({ success: true, mirrored: false });
    expect(w.mirror.has(NIN)).toBe(true);
    expect(w.reads).toEqual([{ nin: NIN, type: 0 }]);
  });

  it('should remove it once the source, read now, agrees', async () => {
    const w = world({ active: false });
    expect(await recordPrivacySettingChange(w.deps, 'the-key', change('IRES'))).toEqual({ success: true, mirrored: true });
    expect(w.mirror.has(NIN)).toBe(false);
  });

  it('should read a consent as a consent (type 1)', async () => {
    const w = world({ active: false });
    await recordPrivacySettingChange(w.deps, 'the-key', change('ISAM'));
    expect(w.reads).toEqual([{ nin: NIN, type: 1 }]);
  });

  it('should keep the reservation and fail when the source cannot be read (never removed on trust)', async () => {
    const w = world('down');
    await expect(recordPrivacySettingChange(w.deps, 'the-key', change('IRES'))).rejects.toBeInstanceOf(RegistryUnavailableError);
    expect(w.mirror.has(NIN)).toBe(true);
  });

  it('should add a reservation at once, without reading the source', async () => {
    const w = world({ active: false });
    w.mirror.clear();
    expect(await recordPrivacySettingChange(w.deps, 'the-key', change('RES'))).toEqual({ success: true, mirrored: true });
    expect(w.mirror.has(NIN)).toBe(true);
    expect(w.reads).toEqual([]);
  });

  it('should refuse a wrong key before anything else', async () => {
    const w = world({ active: false });
    await expect(recordPrivacySettingChange(w.deps, 'nope', change('IRES'))).rejects.toMatchObject({ status: 401 });
    expect(w.mirror.has(NIN)).toBe(true);
  });
});
