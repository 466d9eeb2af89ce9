import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkLetterVersion, checkLinkStatic, containsNationalId } from '../../../functions/domain/letters/check.js';
import { contentHash, linksIn, placeholdersIn } from '../../../functions/domain/letters/content.js';
import type { LetterVersion } from '../../../functions/domain/letters/letter.js';
import type { LinkProber, ProbeResult } from '../../../functions/domain/letters/ports.js';
import { generateNin } from '../../../functions/domain/lists/nin-generator.js';
import { isNationalId } from '../../../functions/domain/shared/nin.js';

/** A prober that answers from a table and records what it was asked; no network. */
const fakeProber = (answers: Record<string, Partial<ProbeResult>> = {}, opts: { plainHttp?: string[] } = {}) => {
  const asked: string[] = [];
  const prober: LinkProber = {
    probe: async (url) => {
      asked.push(url);
      return { url, ok: true, status: 200, hops: [url], ...answers[url] };
    },
    allowsPlainHttp: (host) => (opts.plainHttp ?? []).includes(host),
  };
  return { prober, asked };
};

const project = { allowedLinkDomains: ['example.org', 'uio.no'] };

const version = (content: LetterVersion['content'], extra: Partial<LetterVersion> = {}): LetterVersion => ({
  projectId: 'prj_1',
  letterId: 'ltr_1',
  version: 1,
  title: 't',
  kind: 'letter',
  content,
  contentHash: contentHash({ kind: 'letter', content }),
  authoredBy: 'ola',
  createdAt: '2030-01-01T00:00:00.000Z',
  ...extra,
});

const both = (subject: string, body: string): LetterVersion['content'] => ({ nb: { subject, body }, nn: { subject, body } });
const codes = (findings: { code: string }[]) => findings.map((f) => f.code).sort();

const nin = generateNin({ index: 1234, synthetic: true });

describe('checkLetterVersion', () => {
  it('finds nothing in a clean letter with an allowed, working https link', async () => {
    const { prober, asked } = fakeProber();
    const f = await checkLetterVersion({ prober }, project, version(both('Hei', 'Les mer på https://www.example.org/studie.')), { live: true });
    expect(f).toEqual([]);
    expect(asked).toEqual(['https://www.example.org/studie']);
  });

  it('BROKEN_LINK when the live probe fails, with the reason; the static pass never probes', async () => {
    const { prober, asked } = fakeProber({ 'https://example.org/x': { ok: false, status: 404, reason: 'HTTP_STATUS' } });
    const v = version(both('Hei', 'https://example.org/x'));
    const live = await checkLetterVersion({ prober }, project, v, { live: true });
    expect(live).toEqual([
      expect.objectContaining({ code: 'BROKEN_LINK', severity: 'error', language: 'nb', reason: 'HTTP_STATUS' }),
      expect.objectContaining({ code: 'BROKEN_LINK', severity: 'error', language: 'nn' }),
    ]);
    expect(asked).toEqual(['https://example.org/x']); // one probe per distinct link
    const { prober: p2, asked: asked2 } = fakeProber();
    expect(await checkLetterVersion({ prober: p2 }, project, v, { live: false })).toEqual([]);
    expect(asked2).toEqual([]);
  });

  it('LINK_NOT_HTTPS for http (unless the prober allows the host) and for www. without a scheme', async () => {
    const { prober } = fakeProber({}, { plainHttp: ['127.0.0.1'] });
    const f = await checkLetterVersion(
      { prober },
      { allowedLinkDomains: ['example.org', '127.0.0.1'] },
      version(both('s', 'http://example.org/a www.example.org/b ftp://example.org/c http://127.0.0.1:8080/ok')),
      { live: true },
    );
    expect(f.filter((x) => x.language === 'nb').map((x) => x.code)).toEqual(['LINK_NOT_HTTPS', 'LINK_NOT_HTTPS', 'LINK_NOT_HTTPS']);
  });

  it('LINK_DOMAIN_NOT_ALLOWED for other domains, look-alikes and hosts built from placeholders', async () => {
    const { prober, asked } = fakeProber();
    const body = 'https://evil.com/ https://example.org.evil.com/ https://notexample.org/ https://example.org@evil.com/ https://{{host}}.example.org/';
    const f = await checkLetterVersion({ prober }, project, version({ nb: { subject: 's', body } }, { fields: ['host'] }), { live: true });
    expect(f.filter((x) => x.code === 'LINK_DOMAIN_NOT_ALLOWED')).toHaveLength(5);
    expect(asked).toEqual([]);
  });

  it('PERSONAL_DATA_IN_LINK for a national ID in a link, plain, split or percent-encoded, and for an ID placeholder', async () => {
    const { prober, asked } = fakeProber();
    const split = `${nin.slice(0, 6)}-${nin.slice(6)}`;
    const encoded = [...nin].map((c) => `%3${c}`).join('');
    for (const link of [
      `https://example.org/?id=${nin}`,
      `https://example.org/p/${split}`,
      `https://example.org/?x=${encoded}`,
      'https://example.org/?id={{fnr}}',
      'https://example.org/?id={{nin}}',
    ]) {
      const f = await checkLetterVersion({ prober }, project, version({ nb: { subject: 's', body: `Se ${link}` } }, { fields: ['fnr', 'nin'] }), { live: true });
      expect(codes(f), link).toContain('PERSONAL_DATA_IN_LINK');
      expect(JSON.stringify(f)).not.toContain(nin);
    }
    expect(asked).toEqual([]);
  });

  it('LINK_SHORTENER is a warning', async () => {
    const { prober } = fakeProber();
    const f = await checkLetterVersion({ prober }, { allowedLinkDomains: ['bit.ly'] }, version(both('s', 'https://bit.ly/abc')), { live: true });
    expect(f.filter((x) => x.language === 'nb')).toEqual([expect.objectContaining({ code: 'LINK_SHORTENER', severity: 'warning' })]);
  });

  it('UNKNOWN_PLACEHOLDER for undeclared and malformed placeholders, in subject and body', async () => {
    const { prober } = fakeProber();
    const f = await checkLetterVersion({ prober }, project, version(both('Hei {{firstName}} {{oops}}', 'Hei {{ firstName }} {{bad name}} {{unclosed')), { live: false });
    expect(f.filter((x) => x.code === 'UNKNOWN_PLACEHOLDER' && x.language === 'nb')).toHaveLength(4);
    const declared = await checkLetterVersion({ prober }, project, version(both('Hei {{firstName}}', 'Hei {{ firstName }}'), { fields: ['firstName'] }), { live: false });
    expect(declared).toEqual([]);
  });

  it('{{taskLink}} is known in form-task letters only', async () => {
    const { prober } = fakeProber();
    const c = both('s', 'Svar: {{taskLink}}');
    expect(codes(await checkLetterVersion({ prober }, project, version(c), { live: false }))).toEqual(['UNKNOWN_PLACEHOLDER', 'UNKNOWN_PLACEHOLDER']);
    expect(await checkLetterVersion({ prober }, project, version(c, { kind: 'form-task', formTaskId: 'frm_1' }), { live: false })).toEqual([]);
  });

  it('MISSING_LANGUAGE: nn missing is a warning, nb missing an error; en is optional', async () => {
    const { prober } = fakeProber();
    const noNn = await checkLetterVersion({ prober }, project, version({ nb: { subject: 's', body: 'b' } }), { live: false });
    expect(noNn).toEqual([expect.objectContaining({ code: 'MISSING_LANGUAGE', severity: 'warning', language: 'nn' })]);
    const noNb = await checkLetterVersion({ prober }, project, version({ nn: { subject: 's', body: 'b' } }), { live: false });
    expect(noNb).toEqual([expect.objectContaining({ code: 'MISSING_LANGUAGE', severity: 'error', language: 'nb' })]);
  });

  it('SUBJECT_TOO_LONG above 120 characters (counted as characters, not bytes)', async () => {
    const { prober } = fakeProber();
    expect(await checkLetterVersion({ prober }, project, version(both('ø'.repeat(120), 'b')), { live: false })).toEqual([]);
    const f = await checkLetterVersion({ prober }, project, version(both('ø'.repeat(121), 'b')), { live: false });
    expect(f).toEqual([
      expect.objectContaining({ code: 'SUBJECT_TOO_LONG', severity: 'error', language: 'nb' }),
      expect.objectContaining({ code: 'SUBJECT_TOO_LONG', severity: 'error', language: 'nn' }),
    ]);
  });
});

describe('properties of the link rules', () => {
  const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);
  const path = fc.stringMatching(/^(\/[A-Za-z0-9_~-]{0,12}){0,4}$/);

  it('any https link on an allowed domain or subdomain with no personal data passes the static rules and is probed', () => {
    fc.assert(
      fc.property(fc.array(label, { maxLength: 3 }), path, (subs, p) => {
        const link = `https://${[...subs, 'example', 'org'].join('.')}${p}`;
        fc.pre(!containsNationalId(link));
        const r = checkLinkStatic({ link }, ['example.org']);
        expect(r.findings).toEqual([]);
        expect(r.probe).toBe(link);
      }),
    );
  });

  it('any host outside the allowed domains is refused, however it is dressed up', () => {
    fc.assert(
      fc.property(label, label, fc.constantFrom('', 'example.org.', 'example.org@', 'example-org.', 'xexample.org.'), (a, tld, prefix) => {
        fc.pre(tld !== 'org' || a !== 'example');
        const link = `https://${prefix}${a}.${tld}x/`;
        const r = checkLinkStatic({ link }, ['example.org']);
        // Refused as not allowed, or (for hosts a browser would not accept either) as malformed.
        expect(r.findings.some((f) => f.code === 'LINK_DOMAIN_NOT_ALLOWED' || f.code === 'MALFORMED_LINK')).toBe(true);
        expect(r.probe).toBeUndefined();
      }),
    );
  });

  it('any valid national ID anywhere in a link is found, and never echoed in the findings', () => {
    fc.assert(
      fc.property(fc.nat(100_000), fc.boolean(), path, fc.constantFrom('?id=', '/', '#', '?a=1&pnr=', '/x-'), (i, dnr, p, sep) => {
        const id = generateNin({ index: i, synthetic: i % 2 === 0, dnr });
        const link = `https://example.org${p}${sep}${id}`;
        const r = checkLinkStatic({ link }, ['example.org']);
        expect(r.findings.map((f) => f.code)).toContain('PERSONAL_DATA_IN_LINK');
        expect(JSON.stringify(r.findings)).not.toContain(id);
      }),
    );
  });

  it('11 digits that are not a valid ID are not reported as personal data', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{11}$/), (digits) => {
        fc.pre(!isNationalId(digits));
        expect(containsNationalId(`https://example.org/?order=${digits}`)).toBe(false);
      }),
    );
  });

  it('linksIn finds every link written into text and strips sentence punctuation', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(label, path), { minLength: 1, maxLength: 4 }), fc.constantFrom('.', ',', ')', '!', ''), (parts, punct) => {
        const links = parts.map(([h, p]) => `https://${h}.example.org${p}`);
        const text = links.map((l) => `Se ${l}${punct} og`).join('\n');
        expect(linksIn(text)).toEqual(links);
      }),
    );
  });
});

describe('placeholders and the content hash', () => {
  it('placeholdersIn finds every well-formed placeholder among arbitrary text', () => {
    const name = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,20}$/);
    const filler = fc.string({ maxLength: 20 }).map((s) => s.replace(/[{}]/g, ''));
    fc.assert(
      fc.property(fc.array(fc.tuple(filler, name), { maxLength: 6 }), filler, (parts, tail) => {
        const text = parts.map(([f, n]) => `${f}{{${n}}}`).join('') + tail;
        expect(placeholdersIn(text).map((p) => [p.name, p.valid])).toEqual(parts.map(([, n]) => [n, true]));
      }),
    );
  });

  it('the hash changes with any change of content and ignores title and declared fields', () => {
    const text = fc.string({ minLength: 1, maxLength: 30 });
    fc.assert(
      fc.property(text, text, text, (s, b, other) => {
        fc.pre(other !== b);
        const base = contentHash({ kind: 'letter', content: { nb: { subject: s, body: b } } });
        expect(contentHash({ kind: 'letter', content: { nb: { subject: s, body: other } } })).not.toBe(base);
        expect(contentHash({ kind: 'letter', content: { nb: { subject: s, body: b }, nn: { subject: s, body: b } } })).not.toBe(base);
        expect(contentHash({ kind: 'form-task', formTaskId: 'f', content: { nb: { subject: s, body: b } } })).not.toBe(base);
        // Subject/body boundaries cannot be shifted to produce the same hash.
        expect(contentHash({ kind: 'letter', content: { nb: { subject: s + b, body: '' } } })).not.toBe(base);
      }),
    );
  });
});
