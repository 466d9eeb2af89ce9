import { describe, expect, it } from 'vitest';
import { requireCompleteChecklist, ChecklistIncompleteError, CHECKLISTS } from '../../../functions/domain/projects/checklist.js';
import { accessTo, approve, confirmPause, newProject, pause, reject, resume, submit, PROJECT_STATUSES, type Project } from '../../../functions/domain/projects/project.js';
import { ValidationError } from '../../../functions/shared/errors.js';

const base = newProject('prj_1', { title: 'T', organization: 'uio' }, { sub: 'ola', role: 'researcher', org: 'uio' }, '2030-01-01T00:00:00.000Z', true);
const at = '2030-01-02T00:00:00.000Z';
const inStatus = (status: Project['status']): Project => ({ ...base, status });

describe('the project lifecycle', () => {
  it('draft → in_review → changes_requested → in_review → approved', () => {
    const submitted = submit(base, 'ola', at);
    expect(submitted).toMatchObject({ status: 'in_review', submittedBy: 'ola' });
    const rejected = reject(submitted, 'siri', at, 'fix');
    expect(rejected.status).toBe('changes_requested');
    const again = submit(rejected, 'kari', at);
    expect(again).toMatchObject({ status: 'in_review', submittedBy: 'kari' });
    expect(approve(again, 'siri', at).status).toBe('approved');
  });

  it('refuses every other transition with a code', () => {
    for (const s of PROJECT_STATUSES) {
      if (s !== 'draft' && s !== 'changes_requested') expect(() => submit(inStatus(s), 'ola', at)).toThrow(expect.objectContaining({ code: 'PROJECT_NOT_SUBMITTABLE' }));
      if (s !== 'in_review') {
        expect(() => approve(inStatus(s), 'siri', at)).toThrow(expect.objectContaining({ code: 'PROJECT_NOT_IN_REVIEW' }));
        expect(() => reject(inStatus(s), 'siri', at, 'x')).toThrow(expect.objectContaining({ code: 'PROJECT_NOT_IN_REVIEW' }));
      }
    }
  });

  it('pause remembers the status and resume restores it, from every status', () => {
    for (const s of PROJECT_STATUSES.filter((x) => x !== 'paused')) {
      const paused = pause(inStatus(s), 'otto', at, 'why');
      expect(paused).toMatchObject({ status: 'paused', statusBeforePause: s, pauseReason: 'why' });
      expect(pause(paused, 'otto', at, 'again')).toBe(paused);
      const resumed = resume(paused, at);
      expect(resumed.status).toBe(s);
      expect(resumed.statusBeforePause).toBeUndefined();
    }
    expect(() => resume(base, at)).toThrow(expect.objectContaining({ code: 'PROJECT_NOT_PAUSED' }));
  });

  it('a pause is confirmed once, for that pause only, and the confirmation goes with the resume', () => {
    const paused = pause(inStatus('approved'), 'otto', at, 'why');
    const quiet = '2030-01-02T00:00:04.000Z';
    const confirmed = confirmPause(paused, at, quiet);
    expect(confirmed).toMatchObject({ status: 'paused', pausedAt: at, pauseConfirmedAt: quiet });
    // The first moment it was seen quiet stays; another pause's confirmation, or a resumed project's, changes nothing.
    expect(confirmPause(confirmed, at, '2030-01-02T00:00:09.000Z')).toBe(confirmed);
    expect(confirmPause(paused, '2030-01-01T23:00:00.000Z', quiet)).toBe(paused);
    const approved = inStatus('approved');
    expect(confirmPause(approved, at, quiet)).toBe(approved);
    const resumed = resume(confirmed, quiet);
    expect(resumed.status).toBe('approved');
    expect(resumed.pauseConfirmedAt).toBeUndefined();
  });
});

describe('accessTo', () => {
  it('gives operations read, pause and resume but never edit or review; citizens nothing', () => {
    expect(accessTo(base, { sub: 'o', role: 'operations' }, false)).toEqual({ read: true, edit: false, review: false, pause: true, resume: true, responses: false });
    expect(Object.values(accessTo(base, { sub: 'c', role: 'citizen' }, true)).some(Boolean)).toBe(false);
  });
  it('a member of another organisation gets nothing', () => {
    expect(accessTo(base, { sub: 'f', role: 'researcher', org: 'ntnu' }, true).read).toBe(false);
  });
});

describe('the checklist', () => {
  it('has the research items', () => {
    expect(CHECKLISTS.research.map((i) => i.id)).toEqual([
      'sender-identified',
      'purpose-stated',
      'voluntary-participation',
      'how-to-withdraw',
      'contact-person',
      'both-norwegian-standards',
      'links-checked',
    ]);
  });
  it('accepts true or a note on every item, refuses false, missing and unknown items', () => {
    const all = (purpose: 'research' | 'quality-register') => Object.fromEntries(CHECKLISTS[purpose].map((i) => [i.id, true]));
    expect(requireCompleteChecklist('research', { ...all('research'), 'both-norwegian-standards': 'Kun bokmål: målgruppen er i Oslo' }, { nynorskMissing: true })).toBeDefined();
    expect(() => requireCompleteChecklist('research', all('research'), { nynorskMissing: true })).toThrow(ChecklistIncompleteError);
    expect(() => requireCompleteChecklist('research', { ...all('research'), 'links-checked': false }, { nynorskMissing: false })).toThrow(ChecklistIncompleteError);
    expect(() => requireCompleteChecklist('research', { 'links-checked': true }, { nynorskMissing: false })).toThrow(ChecklistIncompleteError);
    expect(() => requireCompleteChecklist('research', { ...all('research'), 'legal-basis-stated': true }, { nynorskMissing: false })).toThrow(ValidationError);
    expect(requireCompleteChecklist('quality-register', all('quality-register'), { nynorskMissing: false })).toBeDefined();
  });
});
