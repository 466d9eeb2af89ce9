import { describe, expect, it } from 'vitest';
import { parseFields, undeclaredPlaceholders } from '../../../console/src/format.js';

describe('merge fields in the letter editor', () => {
  it('reads the declared fields from what was typed: commas or spaces, braces allowed, each once', () => {
    expect(parseFields('fornavn, {{etternavn}}  fornavn,klinikk')).toEqual({ fields: ['fornavn', 'etternavn', 'klinikk'], invalid: [] });
    expect(parseFields('')).toEqual({ fields: [], invalid: [] });
  });

  it('names what cannot be a field instead of sending it', () => {
    expect(parseFields('fornavn, 1abc, e-post')).toEqual({ fields: ['fornavn'], invalid: ['1abc', 'e-post'] });
  });

  it('lists placeholders the text uses that are not declared, to offer adding them', () => {
    const content = { nb: { subject: 'Hei {{fornavn}}', body: 'Klinikk: {{ klinikk }} og {{fornavn}}' }, nn: { subject: '', body: '{{dato}}' } };
    expect(undeclaredPlaceholders(content, ['fornavn'])).toEqual(['klinikk', 'dato']);
  });
});
