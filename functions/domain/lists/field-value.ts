import { containsLink, containsNationalId } from '../shared/text-scan.js';

/**
 * List fields are data: a value is printed into the letter as it is, so it must not be able to
 * add anything the approved text does not have. Checked per value, in one pass each, without
 * patterns that can backtrack (a 100,000-row list runs this for every field of every row).
 */

/**
 * Spreadsheet formula prefixes. A leading + or - is fine when a digit or a space follows (phone
 * numbers, negative numbers); anything else could run as a formula when the data is opened in a
 * spreadsheet again.
 */
const UNSAFE_START = /^(?:=|@|[+-](?=[^\d\s])|[\t\r])/;
/**
 * Control characters (C0 except tab/newline/CR, DEL, C1), and the invisible ones that change how
 * text reads without showing: zero-width characters, soft hyphen, bidirectional overrides and
 * isolates, line and paragraph separators, the byte-order mark.
 */
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/;
/**
 * Markup and template syntax: a tag (`<b`, `</`, `<!`, `<?`), a character reference (`&lt;`,
 * `&#60;`), a Markdown link (`](`), and template delimiters (`{{`, `}}`, `{%`, `${`).
 */
const MARKUP = /<\s*[a-z!?/]|&(?:#\d+|#x[0-9a-f]+|[a-z][a-z0-9]*);|\]\(|\{\{|\}\}|\{%|\$\{/i;

export type FieldValueProblem = 'UNSAFE_FIELD_VALUE' | 'NATIONAL_ID_IN_FIELD' | 'LINK_IN_FIELD';

/** The first reason a field value cannot go into a letter, or undefined. Never echoes the value. */
export const checkFieldValue = (value: string): FieldValueProblem | undefined => {
  if (UNSAFE_START.test(value) || CONTROL.test(value) || MARKUP.test(value)) return 'UNSAFE_FIELD_VALUE';
  if (containsNationalId(value)) return 'NATIONAL_ID_IN_FIELD';
  if (containsLink(value)) return 'LINK_IN_FIELD';
  return undefined;
};
