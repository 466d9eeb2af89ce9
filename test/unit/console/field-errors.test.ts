import { describe, expect, it } from 'vitest';
import { fieldErrorText } from '../../../console/src/format.js';

describe('server field errors in Norwegian, the field named in words', () => {
  it('names an indexed field in words and translates the known rules', () => {
    expect(fieldErrorText('allowedLinkDomains.0', 'must have at least two labels, such as example.org', 'nb')).toBe('Lenkedomene nr. 1: må ha minst to ledd, som eksempel.no.');
    expect(fieldErrorText('allowedLinkDomains.2', 'is a public suffix, under which anyone can register; give the registrable domain, such as example.org', 'nb')).toBe(
      'Lenkedomene nr. 3: er et offentlig suffiks der hvem som helst kan registrere; oppgi domenet, som eksempel.no.',
    );
    expect(fieldErrorText('title', 'Too small: expected string to have >=1 characters', 'nb')).toBe('Tittel: må fylles ut.');
  });

  it('keeps an unknown message, but never shows a dotted field path', () => {
    const text = fieldErrorText('content.nb.body', 'something new', 'nb');
    expect(text).toBe('Tekst (bokmål): something new');
    expect(fieldErrorText('weird.path.3', 'x', 'nb')).toBe('weird path nr. 4: x');
  });

  it('in English, the field is still named in words', () => {
    expect(fieldErrorText('allowedLinkDomains.0', 'must have at least two labels, such as example.org', 'en')).toBe('Link domain no. 1: must have at least two labels, such as example.org');
  });
});
