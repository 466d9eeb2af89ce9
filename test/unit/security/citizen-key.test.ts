import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { citizenKey, globalCitizenKey, globalCitizenKeys, parseKeyring, projectPseudonym, projectPseudonyms } from '../../../functions/domain/shared/citizen-key.js';
import { hashKeyring, setHashKeyring } from '../../../functions/shared/hash-keys.js';

const K1 = 'k1-0123456789abcdef-first';
const K2 = 'k2-0123456789abcdef-second';
const v1Only = parseKeyring(K1);
const rotated = parseKeyring(JSON.stringify({ current: 'v2', keys: { v1: K1, v2: K2 } }));
const nin = fc.stringMatching(/^[0-9]{11}$/);
const projectId = fc.stringMatching(/^prj_[a-z0-9]{6,20}$/);

describe('hash keyring', () => {
  it('reads a bare key (the format before versions) as v1, and a JSON keyring as is', () => {
    expect(v1Only).toEqual({ current: 'v1', keys: { v1: K1 } });
    expect(rotated).toEqual({ current: 'v2', keys: { v1: K1, v2: K2 } });
  });

  it.each([
    ['short', 'tooshort'],
    ['current missing from keys', JSON.stringify({ current: 'v3', keys: { v1: K1 } })],
    ['malformed version', JSON.stringify({ current: 'x1', keys: { x1: K1 } })],
    ['short versioned key', JSON.stringify({ current: 'v1', keys: { v1: 'abc' } })],
  ])('refuses a keyring that is %s', (_, secret) => {
    expect(() => parseKeyring(secret)).toThrow();
  });

  it('is held in memory, not in process.env', () => {
    const before = process.env.CITIZEN_HASH_KEY;
    delete process.env.CITIZEN_HASH_KEY;
    try {
      setHashKeyring(JSON.stringify({ current: 'v2', keys: { v1: K1, v2: K2 } }));
      expect(hashKeyring()).toEqual(rotated);
      expect(JSON.stringify(process.env)).not.toContain(K2);
    } finally {
      if (before !== undefined) process.env.CITIZEN_HASH_KEY = before;
    }
  });
});

describe('pseudonyms and global keys', () => {
  it('a project pseudonym is stable, carries its key version, and differs per project and from the global key', () => {
    fc.assert(
      fc.property(nin, projectId, projectId, (n, a, b) => {
        fc.pre(a !== b);
        const pa = projectPseudonym(n, a, rotated);
        expect(pa).toBe(projectPseudonym(n, a, rotated));
        expect(pa).toMatch(/^v2:[A-Za-z0-9_-]{32}$/);
        expect(pa).not.toBe(projectPseudonym(n, b, rotated));
        const hashes = globalCitizenKeys(n, rotated).map((g) => g.replace(/^v\d+:/, ''));
        expect(hashes).not.toContain(pa.slice(3));
      }),
    );
  });

  it('two citizens never share a pseudonym in a project', () => {
    fc.assert(
      fc.property(nin, nin, projectId, (x, y, p) => {
        fc.pre(x !== y);
        expect(projectPseudonym(x, p, v1Only)).not.toBe(projectPseudonym(y, p, v1Only));
      }),
    );
  });

  it('after a rotation the lookup still finds every form stored before it: v1 versioned, legacy unversioned, and unversioned under the new key', () => {
    fc.assert(
      fc.property(nin, (n) => {
        const all = globalCitizenKeys(n, rotated);
        expect(all).toContain(globalCitizenKey(n, v1Only));
        expect(all).toContain(citizenKey(n, K1));
        expect(all).toContain(citizenKey(n, K2));
        expect(all).toContain(globalCitizenKey(n, rotated));
        expect(globalCitizenKey(n, rotated)).toMatch(/^v2:/);
      }),
    );
  });

  it('a project pseudonym made before a rotation is among the pseudonyms under every live version', () => {
    fc.assert(
      fc.property(nin, projectId, (n, p) => {
        expect(projectPseudonyms(n, p, rotated)).toEqual([projectPseudonym(n, p, v1Only), projectPseudonym(n, p, rotated)]);
      }),
    );
  });

  it('the unversioned function is unchanged (the engine and stored data rely on it)', () => {
    expect(citizenKey('01817612345', K1)).toBe(citizenKey('01817612345', K1));
    expect(citizenKey('01817612345', K1)).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(globalCitizenKey('01817612345', v1Only)).toBe(`v1:${citizenKey('01817612345', K1)}`);
  });
});
