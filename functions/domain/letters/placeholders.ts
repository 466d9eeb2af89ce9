/**
 * The placeholder grammar, once: a name is a letter, then letters, digits or `_` (64 at most),
 * written `{{name}}` with optional spaces inside the braces. The server's check, schema and
 * renderer and the console's editor and preview all use this module (it imports nothing, so the
 * console can bundle it).
 */
const NAME = '[A-Za-z][A-Za-z0-9_]{0,63}';

/** A placeholder name: what a recipient-list column header may be called. */
export const PLACEHOLDER_NAME = new RegExp(`^${NAME}$`);

/** Every well-formed `{{ name }}` in a text, the name in group 1 (a new RegExp each call: it is global). */
export const wellFormedPlaceholders = (): RegExp => new RegExp(`\\{\\{\\s*(${NAME})\\s*\\}\\}`, 'g');
