import { describe, expect, it } from 'vitest';
import { decodePlan, encodePlan, type Plan } from '../../../functions/domain/dispatch/batch.js';
import { openId, sealId } from '../../../functions/domain/shared/sealed-id.js';
import { ninBornOn } from '../../fixtures/people.js';

const KEY = 'a-citizen-hash-key-of-the-rounds-release';

describe('a national ID sealed into a marked wave', () => {
  const nin = ninBornOn('1980-02-03');

  it('test_should_open_a_sealed_id_only_under_its_key_and_context_and_never_show_the_id', () => {
    const sealed = sealId(nin, KEY, 'plan/prj/rnd/000001-0002-gAbc');
    expect(sealed).not.toContain(nin);
    expect(sealed).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    // A random IV: the same ID sealed twice looks different.
    expect(sealId(nin, KEY, 'plan/prj/rnd/000001-0002-gAbc')).not.toBe(sealed);
    expect(openId(sealed, KEY, 'plan/prj/rnd/000001-0002-gAbc')).toBe(nin);
    // Moved to another letter, opened under another key, or changed: it does not open.
    expect(openId(sealed, KEY, 'plan/prj/rnd/000001-0003-gAbc')).toBeUndefined();
    expect(openId(sealed, `${KEY}-rotated`, 'plan/prj/rnd/000001-0002-gAbc')).toBeUndefined();
    const [iv, body, tag] = sealed.split('.');
    // (The first character: the last one's lowest bits are padding, which decoding ignores.)
    const flipped = `${body!.startsWith('A') ? 'B' : 'A'}${body!.slice(1)}`;
    expect(openId([iv, flipped, tag].join('.'), KEY, 'plan/prj/rnd/000001-0002-gAbc')).toBeUndefined();
    expect(openId('not-sealed', KEY, 'plan/prj/rnd/000001-0002-gAbc')).toBeUndefined();
  });

  it('test_should_keep_each_guardians_sealed_id_through_the_plans_stored_form', () => {
    const sealedTo = sealId(nin, KEY, 'plan/prj/rnd/000001-0002-gAbc');
    const plan: Plan = new Map([
      [
        2,
        [
          { deliveryId: '000001-0002-gAbc', channel: 'paper', sealedTo },
          { deliveryId: '000001-0002-gDef', channel: 'helsenorge', sealedTo: sealId(ninBornOn('1982-06-07'), KEY, 'x') },
        ],
      ],
      [3, [{ deliveryId: '000001-0003', channel: 'digital-mailbox' }]],
    ]);
    const stored = encodePlan(plan);
    expect(stored).not.toContain(nin);
    expect(decodePlan(stored)).toEqual(plan);
  });
});
