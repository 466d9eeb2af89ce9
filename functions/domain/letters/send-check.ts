import { containsNationalId, hostTokensIn } from '../shared/text-scan.js';
import { BODY_MAX, linksIn, SUBJECT_MAX } from './content.js';
import type { Language, LetterVersion } from './letter.js';
import { footerText, taskLine, type FooterInfo, type RenderedLetter } from './render.js';

/**
 * The last defence, right before a channel: the letter as rendered for one recipient is checked
 * against the version a superuser approved. Upload already refuses list fields that carry links or
 * IDs; this catches whatever got past that (an old list, a renderer bug, a field rule with a gap),
 * because it judges the text that would actually be sent. Pure and cheap (one linear scan per
 * rule), so the engine can run it for every letter.
 *
 * - links: every link in the letter is one of the approved version's links (in the letter's
 *   language), the footer's, or the recipient's own form-task link; every approved link is there;
 *   every web address written without a scheme is one the approved text or footer has too;
 * - no national ID or D-number anywhere (also split by spaces or dashes);
 * - within the length limits.
 */

/** The subject as the inbox shows it; the body with fields, task line and footer added. */
export const RENDERED_SUBJECT_MAX = SUBJECT_MAX;
export const RENDERED_BODY_MAX = BODY_MAX + 5_000;

export type SendCheckReason = 'not_approved' | 'language_not_approved' | 'unapproved_link' | 'approved_link_missing' | 'national_id' | 'too_long';

export type SendCheckResult = { readonly ok: true } | { readonly ok: false; readonly reason: SendCheckReason; readonly message: string };

export interface SendCheckContext {
  /** The footer the renderer appended (the project's organisation, title and contact). */
  readonly footer: FooterInfo;
  /** Form-task letters with an external form: its URL; the recipient's link is it plus an opaque token. */
  readonly externalFormUrl?: string;
  /**
   * A test send to synthetic test persons goes out whatever the version's approval (API.md): the
   * approval is then not required, every other rule still is (links against the version's text).
   */
  readonly testSend?: boolean;
}

/** The opaque token form-task links carry (base64url); never an ID. */
const TOKEN = /^[A-Za-z0-9_-]{16,128}$/;

/** True for the external form's URL with exactly one added `token` parameter. */
export const isTaskLinkFor = (formUrl: string, link: string): boolean => {
  let url: URL;
  let form: URL;
  try {
    url = new URL(link);
    form = new URL(formUrl);
  } catch {
    return false;
  }
  const tokens = url.searchParams.getAll('token');
  if (tokens.length !== 1 || !TOKEN.test(tokens[0]!)) return false;
  url.searchParams.delete('token');
  form.searchParams.delete('token');
  return url.toString() === form.toString();
};

interface ApprovedSide {
  /** Links of the approved text in this language and of the platform's lines. */
  readonly approvedLinks: ReadonlySet<string>;
  /** Links of the approved text alone: each must be in the letter. */
  readonly contentLinks: readonly string[];
  /** Web addresses (hosts) the approved text, the platform's lines and the external form have. */
  readonly approvedHosts: ReadonlySet<string>;
}

/**
 * What the approved side allows, computed once per version content, language, footer and form and
 * kept while the version object lives: the engine checks every letter of a batch against it.
 */
const approvedCache = new WeakMap<object, Map<string, ApprovedSide>>();

const approvedSide = (approved: Pick<LetterVersion, 'content' | 'kind'>, language: Language, context: SendCheckContext): ApprovedSide => {
  const key = JSON.stringify([language, approved.kind, context.footer.organization, context.footer.projectTitle, context.footer.contact, context.externalFormUrl ?? null]);
  let byKey = approvedCache.get(approved.content);
  const hit = byKey?.get(key);
  if (hit) return hit;
  const content = approved.content[language]!;
  // What the approved text and the platform's own lines contain, placeholders left out.
  const withoutPlaceholders = (t: string) => t.replace(/\{\{[^{}]*\}\}/g, ' ');
  const contentText = [withoutPlaceholders(content.subject), withoutPlaceholders(content.body)].join('\n');
  const platformText = [footerText(language, context.footer), approved.kind === 'form-task' ? taskLine(language) : ''].join('\n');
  const contentLinks = linksIn(contentText);
  const approvedHosts = new Set([...hostTokensIn(contentText), ...hostTokensIn(platformText)]);
  if (approved.kind === 'form-task' && context.externalFormUrl) for (const h of hostTokensIn(context.externalFormUrl)) approvedHosts.add(h);
  const side: ApprovedSide = { approvedLinks: new Set([...contentLinks, ...linksIn(platformText)]), contentLinks, approvedHosts };
  if (!byKey) approvedCache.set(approved.content, (byKey = new Map<string, ApprovedSide>()));
  byKey.set(key, side);
  return side;
};

/** Longer than `max` characters as people count them (counted only when the UTF-16 length exceeds it). */
const longerThan = (s: string, max: number): boolean => s.length > max && [...s].length > max;

const refuse = (reason: SendCheckReason, message: string): SendCheckResult => ({ ok: false, reason, message });

/**
 * `approved` must be the version the round sends, as read from the letter repository (its
 * `approval` is what binds). Messages name the rule, never the text or a value from it.
 */
export const checkRenderedLetter = (
  rendered: Pick<RenderedLetter, 'language' | 'subject' | 'body'>,
  approved: Pick<LetterVersion, 'content' | 'kind' | 'approval'>,
  context: SendCheckContext,
): SendCheckResult => {
  if (!approved.approval && !context.testSend) return refuse('not_approved', 'The version is not approved');
  const content = approved.content[rendered.language];
  if (!content) return refuse('language_not_approved', 'The letter is rendered in a language the approved version does not have');
  if (longerThan(rendered.subject, RENDERED_SUBJECT_MAX)) return refuse('too_long', `The subject is longer than ${RENDERED_SUBJECT_MAX} characters`);
  if (longerThan(rendered.body, RENDERED_BODY_MAX)) return refuse('too_long', `The body is longer than ${RENDERED_BODY_MAX} characters`);
  if (containsNationalId(rendered.subject) || containsNationalId(rendered.body)) {
    return refuse('national_id', 'The letter contains a national ID or D-number');
  }

  const { approvedLinks, contentLinks, approvedHosts } = approvedSide(approved, rendered.language, context);
  const links = [...linksIn(rendered.subject), ...linksIn(rendered.body)];
  const formUrl = approved.kind === 'form-task' ? context.externalFormUrl : undefined;
  for (const link of links) {
    if (approvedLinks.has(link)) continue;
    if (formUrl && isTaskLinkFor(formUrl, link)) continue;
    return refuse('unapproved_link', 'The letter contains a link the approved version does not have');
  }
  const present = new Set(links);
  for (const link of contentLinks) {
    if (!present.has(link)) return refuse('approved_link_missing', 'A link of the approved version is missing or changed in the letter');
  }
  for (const host of [...hostTokensIn(rendered.subject), ...hostTokensIn(rendered.body)]) {
    if (!approvedHosts.has(host)) return refuse('unapproved_link', 'The letter contains a web address the approved version does not have');
  }
  return { ok: true };
};
