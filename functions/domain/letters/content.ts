import { createHash } from 'node:crypto';
import { LANGUAGES, type LetterContentByLanguage, type LetterKind } from './letter.js';
import { PLACEHOLDER_NAME } from './placeholders.js';

/** Limits of the letter standard: the inbox shows subjects up to 120 characters. */
export const SUBJECT_MAX = 120;
export const BODY_MAX = 20_000;

/**
 * sha-256 over the canonical content a citizen can receive: every language's subject and body,
 * the kind and the form task it carries. Title and declared fields are bookkeeping, not content.
 */
export const contentHash = (v: { kind: LetterKind; formTaskId?: string; content: LetterContentByLanguage }): string => {
  const canonical = {
    kind: v.kind,
    formTaskId: v.formTaskId ?? null,
    content: LANGUAGES.map((l) => {
      const c = v.content[l];
      return [l, c ? [c.subject, c.body] : null];
    }),
  };
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
};

export interface PlaceholderUse {
  /** The text between the braces, trimmed. */
  readonly name: string;
  readonly valid: boolean;
  readonly index: number;
}

/**
 * Every `{{…}}` in a text, valid or not, plus a stray `{{` that is never closed (reported as a
 * placeholder named by what follows, so the researcher sees the defect rather than a silent miss).
 */
export const placeholdersIn = (text: string): PlaceholderUse[] => {
  const out: PlaceholderUse[] = [];
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf('{{', i);
    if (open < 0) break;
    const close = text.indexOf('}}', open + 2);
    const nextOpen = text.indexOf('{{', open + 2);
    if (close < 0 || (nextOpen >= 0 && nextOpen < close)) {
      out.push({ name: text.slice(open + 2, open + 34).split(/\s/)[0] ?? '', valid: false, index: open });
      i = open + 2;
      continue;
    }
    const name = text.slice(open + 2, close).trim();
    out.push({ name, valid: PLACEHOLDER_NAME.test(name), index: open });
    i = close + 2;
  }
  return out;
};

/**
 * Links as researchers write them: anything with a scheme (`https://…`, `http://…`, `ftp://…`) or
 * starting with `www.`, and the script and inline-content schemes that have no `//`
 * (`javascript:…`, `vbscript:…`, `data:text/html,…`) — a portal that makes them clickable would run
 * them, so the check must see them to refuse them. ("data: …" with a space is ordinary prose.)
 * Trailing sentence punctuation and closing brackets are not part of the link.
 */
const LINK = /(?:\b[a-zA-Z][a-zA-Z0-9+.-]*:\/\/|\bwww\.|\b(?:javascript|vbscript|livescript):|\bdata:(?=[\w.+-]+\/|,))[^\s<>"'`]+/gi;
const TRAILING = /[.,;:!?)\]}>»”’]+$/;

export const linksIn = (text: string): string[] => {
  const out: string[] = [];
  for (const m of text.matchAll(LINK)) {
    let link = m[0];
    // Keep a closing "}}" that belongs to a placeholder inside the link.
    while (TRAILING.test(link) && !link.endsWith('}}')) link = link.replace(/[.,;:!?)\]}>»”’]$/, '');
    if (link.length > 0) out.push(link);
  }
  return out;
};
