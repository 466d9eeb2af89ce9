/**
 * The letter preview uses the platform's own renderer (functions/domain/letters/render.ts), so the
 * standard footer and the form-task line the researcher sees are exactly what citizens will get.
 * Placeholders are rendered as themselves: their values come from the recipient list.
 */
import { wellFormedPlaceholders } from '../../functions/domain/letters/placeholders.js';
import { footerInfoFor, renderLetter } from '../../functions/domain/letters/render.js';

export type PreviewLang = 'nb' | 'nn' | 'en';

export interface Preview {
  readonly subject: string;
  readonly body: string;
  readonly footer: string;
}

export const previewLetter = (
  content: { readonly subject: string; readonly body: string },
  kind: 'letter' | 'form-task',
  lang: PreviewLang,
  project: { readonly organization: string; readonly title: string },
): Preview => {
  const fields: Record<string, string> = {};
  for (const m of `${content.subject}\n${content.body}`.matchAll(wellFormedPlaceholders())) fields[m[1]!] = `{{${m[1]}}}`;
  const rendered = renderLetter({ kind, content: { [lang]: content } }, lang, fields, footerInfoFor(project));
  const cut = rendered.body.lastIndexOf('\n\n--\n');
  return cut < 0 ? { subject: rendered.subject, body: rendered.body, footer: '' } : { subject: rendered.subject, body: rendered.body.slice(0, cut), footer: rendered.body.slice(cut + 5) };
};
