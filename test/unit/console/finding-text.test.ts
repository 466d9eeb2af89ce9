import { describe, expect, it } from 'vitest';
import { findingText } from '../../../console/src/format.js';

describe('check findings in Norwegian, with the fix named', () => {
  it('a broken link says why in words, never the internal reason', () => {
    const text = findingText({ code: 'BROKEN_LINK', severity: 'error', message: 'The link could not be reached', link: 'https://uio.no/x', reason: 'NETWORK', language: 'nb' }, 'nb');
    expect(text).toBe('Lenken https://uio.no/x (bokmål) svarte ikke. Sjekk adressen, eller rett lenken.');
    expect(text).not.toContain('NETWORK');
    expect(findingText({ code: 'BROKEN_LINK', severity: 'error', message: '', link: 'https://uio.no/y', reason: 'HTTP_STATUS', status: 404 }, 'nb')).toBe(
      'Lenken https://uio.no/y svarte med feilkode 404. Sjekk adressen, eller rett lenken.',
    );
  });

  it('an undeclared placeholder names it and says to declare it as a field', () => {
    expect(findingText({ code: 'UNKNOWN_PLACEHOLDER', severity: 'error', message: 'x', placeholder: 'fornavn', language: 'nn' }, 'nb')).toBe(
      'Flettefeltet {{fornavn}} (nynorsk) er ikke deklarert. Legg det til under «Flettefelt», eller rett skrivemåten.',
    );
  });

  it('every code the check gives has a Norwegian text; an unknown code falls back to the server message', () => {
    for (const code of [
      'BROKEN_LINK',
      'LINK_NOT_HTTPS',
      'LINK_DOMAIN_NOT_ALLOWED',
      'PERSONAL_DATA_IN_LINK',
      'LINK_SHORTENER',
      'UNKNOWN_PLACEHOLDER',
      'MISSING_LANGUAGE',
      'SUBJECT_TOO_LONG',
      'BODY_TOO_LONG',
      'PLACEHOLDER_IN_LINK',
      'MALFORMED_LINK',
      'FORM_TASK_MISSING',
    ]) {
      const text = findingText({ code, severity: 'error', message: 'English text' }, 'nb');
      expect(text, code).not.toContain('English text');
    }
    expect(findingText({ code: 'SOMETHING_NEW', severity: 'warning', message: 'Server says' }, 'nb')).toBe('Server says');
  });
});
