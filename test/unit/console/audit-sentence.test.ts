import { describe, expect, it } from 'vitest';
import { auditSentence } from '../../../console/src/format.js';

const ACTIONS = [
  'citizen.withdrew',
  'contacts.lookup',
  'dispatch.halted',
  'dispatch.redriven',
  'dispatch.resumed',
  'form_task.answered',
  'form_task.completed',
  'form_task.created',
  'letter.created',
  'letter.test_sent',
  'letter.version_approved',
  'letter.version_created',
  'project.approved',
  'project.created',
  'project.link_domains_changed',
  'project.member_added',
  'project.minors_policy_approved',
  'project.paused',
  'project.rejected',
  'project.resumed',
  'project.settings_changed',
  'round.canary_confirmed',
  'round.canary_done',
  'round.cancelled',
  'round.completed',
  'round.created',
  'round.overridden',
  'round.released',
  'round.scheduled',
];

describe('the audit log as sentences', () => {
  it('words every event the platform writes in Norwegian, never its internal name', () => {
    for (const a of ACTIONS) {
      const s = auditSentence({ action: a, details: {} }, 'nb');
      expect(s, a).not.toContain(a);
      expect(s, a).toMatch(/^[A-ZÆØÅ].*\.$/);
    }
  });

  it('carries the details that matter in words: version, reason, comment', () => {
    expect(auditSentence({ action: 'letter.version_approved', details: { version: 3 } }, 'nb')).toBe('Versjon 3 av brevet ble godkjent.');
    expect(auditSentence({ action: 'project.paused', details: { reason: 'Klage fra innbygger' } }, 'nb')).toBe('Prosjektet ble pauset. Begrunnelse: Klage fra innbygger.');
    expect(auditSentence({ action: 'project.rejected', details: { comment: 'Mangler kontaktperson' } }, 'nb')).toBe('Prosjektet ble sendt tilbake for endringer. Kommentar: Mangler kontaktperson.');
  });

  it('an event it does not know yet is shown as words, not as a dotted name', () => {
    expect(auditSentence({ action: 'round.something_new', details: {} }, 'nb')).toBe('Round something new.');
  });
});
