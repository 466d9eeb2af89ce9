import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AesGcmSecretBox, parseSealKeyring } from '../../../functions/adapters/crypto/secret-box.js';
import { SealedSecretRefusedError } from '../../../functions/domain/letters/ports.js';

/** The callback secrets' box (issue 24 #6): AES-256-GCM, bound to its context, refusing anything changed. */
const KEY = 'a-callback-seal-key-of-at-least-32-characters';
const box = (key: string = KEY) => new AesGcmSecretBox(async () => key);

const refused = async (p: Promise<unknown>) => expect(p).rejects.toBeInstanceOf(SealedSecretRefusedError);

/** One character of a base64url part changed to another. */
const flip = (part: string, at: number): string => {
  const i = at % part.length;
  return `${part.slice(0, i)}${part[i] === 'A' ? 'B' : 'A'}${part.slice(i + 1)}`;
};

describe('the secret box', () => {
  it('should open what it sealed, in the same context, and never hold the plain value in the sealed form', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 200 }), fc.string({ maxLength: 80 }), async (plain, context) => {
        const sealed = await box().seal(plain, context);
        expect(await box().open(sealed, context)).toBe(plain);
        if (plain.length >= 8) expect(sealed).not.toContain(plain);
      }),
      { numRuns: 50 },
    );
  });

  it('should seal the same value differently each time (a fresh IV)', async () => {
    const [a, b] = await Promise.all([box().seal('secret', 'ctx'), box().seal('secret', 'ctx')]);
    expect(a).not.toBe(b);
  });

  it('should refuse a sealed value with any part changed (tamper → refusal, never a wrong value)', async () => {
    const sealed = await box().seal('the-callback-secret', 'form-callback-secret:prj_1:frm_1');
    const parts = sealed.split('.');
    expect(parts).toHaveLength(5);
    for (const i of [2, 3, 4]) {
      for (const at of [0, 3, 7]) {
        const changed = parts.map((p, j) => (j === i ? flip(p, at) : p)).join('.');
        await refused(box().open(changed, 'form-callback-secret:prj_1:frm_1'));
      }
    }
    await refused(box().open(sealed.slice(0, -2), 'form-callback-secret:prj_1:frm_1'));
    await refused(box().open(`${sealed}.x`, 'form-callback-secret:prj_1:frm_1'));
    await refused(box().open('not sealed at all', 'form-callback-secret:prj_1:frm_1'));
    await refused(box().open(sealed.replace(/^sb1\./, 'sb2.'), 'form-callback-secret:prj_1:frm_1'));
  });

  it('should refuse a value sealed for another context (a secret copied to another task)', async () => {
    const sealed = await box().seal('the-callback-secret', 'form-callback-secret:prj_1:frm_1');
    await refused(box().open(sealed, 'form-callback-secret:prj_1:frm_2'));
  });

  it('should refuse under another key, and open what an older key version sealed while that version is kept', async () => {
    const sealed = await box().seal('s', 'ctx');
    await refused(box('another-callback-seal-key-of-32-characters-x').open(sealed, 'ctx'));
    const rotated = JSON.stringify({ current: 'k2', keys: { k1: KEY, k2: 'the-second-callback-seal-key-0123456789' } });
    expect(await box(rotated).open(sealed, 'ctx')).toBe('s');
    const sealedNow = await box(rotated).seal('t', 'ctx');
    expect(sealedNow.split('.')[1]).toBe('k2');
    // A version moved into another one's name does not open: the version is authenticated too.
    await refused(box(rotated).open(sealedNow.replace('.k2.', '.k1.'), 'ctx'));
    await refused(box(JSON.stringify({ current: 'k2', keys: { k2: 'the-second-callback-seal-key-0123456789' } })).open(sealed, 'ctx'));
  });

  it('should refuse to work with a short or malformed key (fail closed)', async () => {
    expect(() => parseSealKeyring('short')).toThrow();
    expect(() => parseSealKeyring(JSON.stringify({ current: 'k3', keys: { k1: KEY } }))).toThrow();
    expect(() => parseSealKeyring(JSON.stringify({ current: 'x', keys: { x: KEY } }))).toThrow();
    await expect(box('short').seal('s', 'ctx')).rejects.toThrow();
  });
});
