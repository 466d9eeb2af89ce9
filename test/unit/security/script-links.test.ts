import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkLinkStatic } from '../../../functions/domain/letters/check.js';
import { linksIn } from '../../../functions/domain/letters/content.js';

/**
 * Script and inline-content links have no `//`, so the link finder once missed them and a letter
 * with `javascript:…` passed the check with no finding. They are links to be refused; the words
 * in prose ("data: …", "JavaScript: …") are not.
 */
describe('script and data links in letter text', () => {
  it.each([
    ['javascript:alert(document.cookie)', 'javascript:alert(document.cookie'],
    ['JaVaScRiPt:alert(1)', 'JaVaScRiPt:alert(1'],
    ['vbscript:msgbox(1)', 'vbscript:msgbox(1'],
    ['data:text/html;base64,PHNjcmlwdD4=', 'data:text/html;base64,PHNjcmlwdD4='],
    ['data:,hei', 'data:,hei'],
  ])('finds %s and the check refuses it', (written, found) => {
    expect(linksIn(`Klikk her: ${written} takk`)).toEqual([found]);
    const { findings } = checkLinkStatic({ link: found }, ['example.org']);
    expect(findings.map((f) => f.code)).toContain('LINK_NOT_HTTPS');
    expect(findings.every((f) => f.severity === 'error' || f.code === 'LINK_SHORTENER')).toBe(true);
  });

  it('leaves prose alone: "data:" or "JavaScript:" followed by a space is not a link', () => {
    expect(linksIn('Vi samler inn følgende data: blodprøver og spørreskjema. JavaScript: et språk.')).toEqual([]);
  });

  it('still finds https links next to script links', () => {
    fc.assert(
      fc.property(fc.constantFrom('javascript:void(0)', 'data:text/plain,x', 'vbscript:x'), fc.webUrl({ validSchemes: ['https'] }), (script, url) => {
        fc.pre(!/[\s<>"'`]/.test(url) && !/[.,;:!?)\]}>»”’]$/.test(url));
        expect(linksIn(`${script} og ${url} .`)).toEqual([script.replace(/\)$/, ''), url]);
      }),
      { numRuns: 100 },
    );
  });
});
