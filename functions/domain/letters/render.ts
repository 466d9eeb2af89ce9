import { DomainError } from '../../shared/errors.js';
import type { Project } from '../projects/project.js';
import type { Language, LetterVersion } from './letter.js';
import { wellFormedPlaceholders } from './placeholders.js';

/** What the standard footer says about the sender; researchers cannot change or remove it. */
export interface FooterInfo {
  readonly organization: string;
  readonly projectTitle: string;
  readonly contact: string;
}

export const footerInfoFor = (project: Pick<Project, 'organization' | 'title'> & { contact?: string }): FooterInfo => ({
  organization: project.organization,
  projectTitle: project.title,
  contact: project.contact ?? project.organization,
});

export interface RenderedLetter {
  readonly language: Language;
  readonly subject: string;
  /** Plain text: the inbox shows it as text, never as markup. */
  readonly body: string;
  readonly format: 'text/plain';
  /** Written to a guardian about a child they have parental responsibility for (the inbox shows it). */
  readonly onBehalfOfMinor?: true;
}

export class MissingFieldError extends DomainError {
  constructor(readonly field: string) {
    super('MISSING_FIELD', 422, `The recipient has no value for the placeholder {{${field}}}`);
  }
}

const FOOTERS: Record<Language, (f: FooterInfo) => string> = {
  nb: (f) =>
    [
      `Avsender: ${f.organization}`,
      `Prosjekt: ${f.projectTitle}`,
      `Kontakt: ${f.contact}`,
      'Det er frivillig å delta. Du kan når som helst trekke deg fra prosjektet uten å oppgi grunn, og du kan reservere deg mot å bli kontaktet om forskning. Begge deler gjør du på helsenorge.no.',
    ].join('\n'),
  nn: (f) =>
    [
      `Avsendar: ${f.organization}`,
      `Prosjekt: ${f.projectTitle}`,
      `Kontakt: ${f.contact}`,
      'Det er frivillig å delta. Du kan når som helst trekkje deg frå prosjektet utan å gje grunn, og du kan reservere deg mot å bli kontakta om forsking. Begge delar gjer du på helsenorge.no.',
    ].join('\n'),
  en: (f) =>
    [
      `Sender: ${f.organization}`,
      `Project: ${f.projectTitle}`,
      `Contact: ${f.contact}`,
      'Participation is voluntary. You can withdraw from the project at any time without giving a reason, and you can reserve yourself against being contacted for research. You can do both at helsenorge.no.',
    ].join('\n'),
};

/**
 * The standard texts of a letter to a guardian about a child under 16: an opening line before the
 * researchers' text and a line in the footer. The letter itself is rendered with the child's list
 * fields (it is about the child); these texts name nobody.
 */
const GUARDIAN_INTRO: Record<Language, string> = {
  nb: 'Til deg med foreldreansvar: Dette brevet gjelder et barn under 16 år som du har foreldreansvar for. Barnet får ikke brevet selv.',
  nn: 'Til deg med foreldreansvar: Dette brevet gjeld eit barn under 16 år som du har foreldreansvar for. Barnet får ikkje brevet sjølv.',
  en: 'To the person with parental responsibility: this letter concerns a child under 16 for whom you have parental responsibility. The child does not receive it.',
};

const GUARDIAN_FOOTER: Record<Language, string> = {
  nb: 'Du får dette brevet fordi du har foreldreansvar for barnet brevet gjelder. Det er frivillig for barnet å delta.',
  nn: 'Du får dette brevet fordi du har foreldreansvar for barnet brevet gjeld. Det er frivillig for barnet å delta.',
  en: 'You receive this letter because you have parental responsibility for the child it concerns. Taking part is voluntary for the child.',
};

/** The standard footer in one language, as the renderer appends it (the send-time check reads it too). */
export const footerText = (language: Language, footer: FooterInfo): string =>
  FOOTERS[language]({ organization: clean(footer.organization), projectTitle: clean(footer.projectTitle), contact: clean(footer.contact) });

/** The platform's line pointing to the form (without a link: where to find an internal form). */
export const taskLine = (language: Language, link?: string): string => TASK_LINE[language](link);

const TASK_LINE: Record<Language, (link: string | undefined) => string> = {
  nb: (l) => (l ? `Svar på skjemaet her: ${l}` : 'Du finner skjemaet under Oppgaver på helsenorge.no.'),
  nn: (l) => (l ? `Svar på skjemaet her: ${l}` : 'Du finn skjemaet under Oppgåver på helsenorge.no.'),
  en: (l) => (l ? `Answer the form here: ${l}` : 'You will find the form under Tasks at helsenorge.no.'),
};

/** Control characters other than newline and tab have no place in a letter. */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const clean = (s: string): string => s.replace(/\r\n?/g, '\n').replace(CONTROL, '');

/** The language a letter is read in: the wanted one if the letter has it, else bokmål. */
export const readingLanguage = (version: Pick<LetterVersion, 'content'>, wanted: Language | undefined): Language =>
  wanted && version.content[wanted] ? wanted : version.content.nb ? 'nb' : ((['nn', 'en'] as const).find((l) => version.content[l]) ?? 'nb');

/**
 * Fills the placeholders in one pass (a value that looks like a placeholder stays text) and
 * appends the standard footer in the reader's language. With `onBehalfOfMinor` the letter is for
 * a guardian: `fields` are still the child's list fields, and the standard guardian opening and
 * footer line are added. The output is plain text: nothing in the
 * letter or the values is interpreted as markup, and nothing is escaped into markup either.
 */
export const renderLetter = (
  version: Pick<LetterVersion, 'content' | 'kind'>,
  language: Language,
  fields: Readonly<Record<string, string>>,
  footer: FooterInfo,
  opts: { taskLink?: string; onBehalfOfMinor?: boolean } = {},
): RenderedLetter => {
  const lang = readingLanguage(version, language);
  const content = version.content[lang];
  if (!content) throw new MissingFieldError('content');
  const values: Record<string, string> = { ...fields };
  if (version.kind === 'form-task') values.taskLink = opts.taskLink ?? TASK_LINE[lang](undefined);
  const fill = (text: string, singleLine: boolean) =>
    text.replace(wellFormedPlaceholders(), (_, name: string) => {
      const v = Object.prototype.hasOwnProperty.call(values, name) ? values[name] : undefined;
      if (v === undefined) throw new MissingFieldError(name);
      const c = clean(v);
      return singleLine ? c.replace(/\n/g, ' ') : c;
    });
  const subject = clean(fill(content.subject, true)).replace(/\n/g, ' ');
  let body = clean(fill(content.body, false)).trimEnd();
  const usesTaskLink = /\{\{\s*taskLink\s*\}\}/.test(content.body);
  if (version.kind === 'form-task' && !usesTaskLink) body += `\n\n${TASK_LINE[lang](opts.taskLink)}`;
  const f = footerText(lang, footer);
  if (opts.onBehalfOfMinor) {
    return { language: lang, subject, body: `${GUARDIAN_INTRO[lang]}\n\n${body}\n\n--\n${f}\n${GUARDIAN_FOOTER[lang]}`, format: 'text/plain', onBehalfOfMinor: true };
  }
  return { language: lang, subject, body: `${body}\n\n--\n${f}`, format: 'text/plain' };
};
