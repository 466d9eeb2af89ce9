import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { jaccard, letterSimilarity, NEAR_DUPLICATE_THRESHOLD, normaliseText, shingles, textSimilarity } from '../../../functions/domain/rounds/similarity.js';

const invitation =
  'Du er invitert til å delta i en studie om søvn og helse blant voksne i Norge. Studien er frivillig. ' +
  'Les mer og svar på spørreskjemaet her: https://studie.example.no/sovn. Fristen er 1. mars. Hilsen {{forsker}}';

describe('letter similarity', () => {
  it('is 1 for texts that differ only in case, punctuation, whitespace and placeholder names', () => {
    const variant = invitation.toUpperCase().replace(/\. /g, '!  ').replace('{{forsker}}', '{{ navn }}');
    expect(textSimilarity(invitation, variant)).toBe(1);
  });

  it('stays at or above the threshold for a one-word correction of a real letter', () => {
    expect(textSimilarity(invitation, invitation.replace('1. mars', '8. mars'))).toBeGreaterThanOrEqual(NEAR_DUPLICATE_THRESHOLD);
    expect(textSimilarity(invitation, invitation.replace('frivillig', 'helt frivillig'))).toBeGreaterThanOrEqual(NEAR_DUPLICATE_THRESHOLD);
  });

  it('is well below the threshold for a different letter of the same project', () => {
    const results = 'Takk for at du deltok i søvnstudien. Resultatene viser at voksne i Norge sover i snitt sju timer. Les rapporten på nettsiden vår.';
    expect(textSimilarity(invitation, results)).toBeLessThan(0.5);
  });

  it('is symmetric, bounded and 1 on itself (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.string({ maxLength: 200 }), (a, b) => {
        const s = textSimilarity(a, b);
        expect(s).toBeGreaterThanOrEqual(0);
        expect(s).toBeLessThanOrEqual(1);
        expect(textSimilarity(b, a)).toBe(s);
        expect(textSimilarity(a, a)).toBe(1);
      }),
    );
  });

  it('computes Jaccard over shingle sets', () => {
    expect(jaccard(new Set(['a', 'b']), new Set(['b', 'c']))).toBeCloseTo(1 / 3);
    expect(shingles(normaliseText('Hei!'))).toEqual(new Set(['hei']));
  });

  it('compares letters over the languages both have', () => {
    const a = { nb: { subject: 'Invitasjon', body: invitation }, en: { subject: 'Invitation', body: 'Completely different English text about another study entirely.' } };
    const b = { nb: { subject: 'Invitasjon', body: invitation.replace('1. mars', '8. mars') } };
    expect(letterSimilarity(a, b)).toBeGreaterThanOrEqual(NEAR_DUPLICATE_THRESHOLD);
  });
});
