import { describe, expect, it } from 'vitest';
import { languageFindings, wantedLanguage } from '../../../functions/domain/rounds/preflight.js';

const nbOnly = { nb: { subject: 'Hei', body: 'Tekst' } };
const nbNn = { ...nbOnly, nn: { subject: 'Hei', body: 'Tekst' } };

describe('pre-flight language warning', () => {
  it('counts nynorsk readers who would get bokmål', () => {
    const wanted = ['nb', 'nn', 'nn', 'en', 'nb', 'nn'] as const;
    expect(languageFindings(wanted, nbOnly)).toEqual([
      expect.objectContaining({ code: 'LANGUAGE_MISSING', severity: 'warning', language: 'nn', recipients: 3, readInstead: 'nb' }),
      expect.objectContaining({ code: 'LANGUAGE_MISSING', severity: 'warning', language: 'en', recipients: 1, readInstead: 'nb' }),
    ]);
  });

  it('says nothing when the letter has every language its readers read', () => {
    expect(languageFindings(['nb', 'nn', 'nn'], nbNn)).toEqual([]);
    expect(languageFindings([], nbOnly)).toEqual([]);
  });

  it('takes the list column first, then the contact register, then bokmål', () => {
    expect(wantedLanguage('en', 'nn')).toBe('en');
    expect(wantedLanguage(undefined, 'nn')).toBe('nn');
    expect(wantedLanguage(undefined, undefined)).toBe('nb');
  });
});
