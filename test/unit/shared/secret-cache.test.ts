import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { derived, readSecret, SECRET_MAX_AGE_MS, SecretCache } from '../../../functions/shared/secrets.js';

describe('the secret cache', () => {
  afterEach(() => vi.useRealTimers());

  it('should pick up a rotated secret after the maximum age, in the same container', async () => {
    let clock = 0;
    let current = 'key-v1';
    let reads = 0;
    const cache = new SecretCache({ maxAgeMs: 60_000, now: () => clock });
    const load = async () => {
      reads++;
      return current;
    };
    expect(await cache.get('eprom', load)).toBe('key-v1');
    current = 'key-v2';
    clock = 59_999;
    expect(await cache.get('eprom', load)).toBe('key-v1');
    expect(reads).toBe(1);
    clock = 60_000;
    expect(await cache.get('eprom', load)).toBe('key-v2');
    expect(reads).toBe(2);
  });

  it('should keep the value it holds when a refresh fails, and throw when it holds none', async () => {
    let clock = 0;
    const cache = new SecretCache({ maxAgeMs: 10, now: () => clock });
    await expect(cache.get('k', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await cache.get('k', async () => 'v1')).toBe('v1');
    clock = 10;
    expect(await cache.get('k', () => Promise.reject(new Error('down')))).toBe('v1');
    expect(await cache.get('k', async () => 'v2')).toBe('v2');
  });

  it('should share one read among callers that ask at the same time', async () => {
    const cache = new SecretCache({ maxAgeMs: 10, now: () => 0 });
    let reads = 0;
    const load = async () => {
      reads++;
      return 'v';
    };
    await Promise.all([cache.get('k', load), cache.get('k', load), cache.get('k', load)]);
    expect(reads).toBe(1);
  });

  it('should re-read a national-integration secret (and re-parse what is made of it) once it is older than the maximum age', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const file = join(await mkdtemp(join(tmpdir(), 'secret-')), 'digipost.key');
    await writeFile(file, 'v1\n');
    let parses = 0;
    const parsed = derived(
      () => readSecret({ file }, 'eu-north-1'),
      (raw) => {
        parses++;
        return { raw };
      },
    );
    expect(await parsed()).toEqual({ raw: 'v1' });
    await writeFile(file, 'v2\n');
    expect(await parsed()).toEqual({ raw: 'v1' });
    vi.advanceTimersByTime(SECRET_MAX_AGE_MS);
    expect(await parsed()).toEqual({ raw: 'v2' });
    expect(await parsed()).toEqual({ raw: 'v2' });
    expect(parses).toBe(2);
  });
});
