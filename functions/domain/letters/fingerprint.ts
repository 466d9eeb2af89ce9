import { createHash } from 'node:crypto';

/** What stands in a letter's fingerprint, and in the complaint lookup, for a personal form link (a credential). */
export const PERSONAL_LINK = '[personlig lenke]';

/**
 * The fingerprint of a letter as it was handed to a channel: SHA-256 over its subject and body,
 * with the recipient's personal form link (an external form's token: whoever holds it can answer
 * as them) replaced by PERSONAL_LINK. Kept on the contact ledger entry, so a complaint lookup
 * that renders the letter again can say whether what it shows is exactly what was sent.
 */
export const letterFingerprint = (letter: { readonly subject: string; readonly body: string }, personalLink?: string): string => {
  const redact = (text: string) => (personalLink ? text.split(personalLink).join(PERSONAL_LINK) : text);
  return createHash('sha256')
    .update(`${redact(letter.subject)}\n${redact(letter.body)}`)
    .digest('base64url')
    .slice(0, 32);
};
