import { describe, expect, it } from 'vitest';
import { checkLetterVersion } from '../../../functions/domain/letters/check.js';
import { contentHash } from '../../../functions/domain/letters/content.js';
import type { FormTask } from '../../../functions/domain/letters/form-task.js';
import type { LetterVersion } from '../../../functions/domain/letters/letter.js';
import type { LinkProber } from '../../../functions/domain/letters/ports.js';
import { linksToProbeAtRelease, releaseLinkFindings } from '../../../functions/domain/letters/release-check.js';

const project = { allowedLinkDomains: ['example.org', 'uio.no'] };
const prober = (down: string[] = []): LinkProber & { asked: string[] } => {
  const asked: string[] = [];
  return {
    asked,
    probe: async (url) => {
      asked.push(url);
      return down.includes(url) ? { url, ok: false, status: 404, reason: 'HTTP_STATUS', hops: [url] } : { url, ok: true, status: 200, hops: [url] };
    },
  };
};
const version = (body: string, extra: Partial<LetterVersion> = {}): LetterVersion => {
  const content = { nb: { subject: 'Hei', body }, nn: { subject: 'Hei', body } };
  return {
    projectId: 'prj',
    letterId: 'ltr',
    version: 1,
    title: 't',
    kind: 'letter',
    fields: ['ref', 'ward'],
    content,
    contentHash: contentHash({ kind: 'letter', content }),
    authoredBy: 'ola',
    createdAt: '2030-01-01T00:00:00.000Z',
    ...extra,
  };
};
const formTasks = (task?: Partial<FormTask>) => ({
  getFormTask: async (_p: string, formTaskId: string) =>
    task ? ({ projectId: 'prj', formTaskId, title: 'Skjema', deadlineDays: 14, createdBy: 'ola', createdAt: '2030-01-01T00:00:00.000Z', ...task } as FormTask) : undefined,
});

describe('PLACEHOLDER_IN_LINK: no part of a link may come from list data', () => {
  it('is an error for a placeholder in the query, the path, or the host of a link', async () => {
    for (const body of ['Svar på https://survey.example.org/s?ref={{ref}}', 'Les https://example.org/{{ref}}/info', 'Gå til https://{{ward}}.example.org/x']) {
      const f = await checkLetterVersion({ prober: prober() }, project, version(body), { live: false });
      expect(f, body).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'PLACEHOLDER_IN_LINK', severity: 'error' })]));
    }
  });

  it('is an error for a web address without a scheme that a placeholder is part of', async () => {
    const f = await checkLetterVersion({ prober: prober() }, project, version('Se {{ward}}.example.org/info for mer'), { live: false });
    expect(f).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'PLACEHOLDER_IN_LINK', severity: 'error', language: 'nb' })]));
  });

  it('is not raised by placeholders in ordinary text next to a fixed link', async () => {
    const f = await checkLetterVersion({ prober: prober() }, project, version('Hei {{ref}}! Les https://example.org/studie. Ref: {{ref}}.'), { live: true });
    expect(f).toEqual([]);
  });

  it('is never probed: a link that differs per recipient cannot be checked in advance', async () => {
    const p = prober();
    await checkLetterVersion({ prober: p }, project, version('https://example.org/s?ref={{ref}}'), { live: true });
    expect(p.asked).toEqual([]);
  });
});

describe('what release probes', () => {
  const form = version('Svar: {{taskLink}} eller les https://example.org/om', { kind: 'form-task', formTaskId: 'frm' });

  it('lists every distinct link of every language and the external form URL', async () => {
    const urls = await linksToProbeAtRelease({ prober: prober(), formTasks: formTasks({ form: { type: 'external', url: 'https://skjema.uio.no/f/1' } }) }, project, form);
    expect(urls.sort()).toEqual(['https://example.org/om', 'https://skjema.uio.no/f/1']);
  });

  it('refuses release when the external form no longer answers, like any link', async () => {
    const p = prober(['https://skjema.uio.no/f/1']);
    const findings = await releaseLinkFindings({ prober: p, formTasks: formTasks({ form: { type: 'external', url: 'https://skjema.uio.no/f/1' } }) }, project, form);
    expect(p.asked).toContain('https://skjema.uio.no/f/1');
    expect(findings).toEqual([expect.objectContaining({ code: 'BROKEN_LINK', link: 'https://skjema.uio.no/f/1', reason: 'HTTP_STATUS' })]);
  });

  it('refuses release for a form task that is gone, an internal form needs no probe', async () => {
    expect(await releaseLinkFindings({ prober: prober(), formTasks: formTasks() }, project, form)).toEqual([expect.objectContaining({ code: 'FORM_TASK_MISSING' })]);
    const internal = formTasks({ form: { type: 'internal', questions: [] } });
    expect(await linksToProbeAtRelease({ prober: prober(), formTasks: internal }, project, form)).toEqual(['https://example.org/om']);
  });

  it('refuses release of a version with a placeholder in a link (approved before the rule)', async () => {
    const findings = await releaseLinkFindings({ prober: prober(), formTasks: formTasks() }, project, version('https://example.org/s?ref={{ref}}'));
    expect(findings.map((f) => f.code)).toContain('PLACEHOLDER_IN_LINK');
  });
});
