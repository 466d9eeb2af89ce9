import { describe, expect, it } from 'vitest';
import { keys } from '../../../functions/adapters/dynamo/keys.js';
import { letterRow } from '../../../local/fakes/letters.js';

describe('the key of a letter a stand-in channel delivered', () => {
  it('should be the one key shape both the channel fakes and the inbox reader use', () => {
    for (const channel of ['helsenorge', 'digital-mailbox', 'paper'] as const) {
      const row = letterRow(channel, { nin: '01010112345', roundId: 'r1', deliveryId: 'd7', subject: 's', body: 'b' });
      const key = keys.deliveredLetter('01010112345', channel, 'r1', 'd7');
      expect({ pk: row.pk, sk: row.sk }).toEqual(key);
      expect(key.sk.startsWith(keys.deliveredLetters('01010112345', channel).skPrefix)).toBe(true);
    }
  });
});
