import { ConflictError, ValidationError } from '../../shared/errors.js';
import type { Purpose } from './project.js';

export interface ChecklistItem {
  readonly id: string;
  readonly label: string;
}

const item = (id: string, label: string): ChecklistItem => ({ id, label });

const SENDER = item('sender-identified', 'The sender (organisation and project) is identified');
const PURPOSE = item('purpose-stated', 'The purpose of the contact is stated');
const VOLUNTARY = item('voluntary-participation', 'It is clear that participation is voluntary');
const WITHDRAW = item('how-to-withdraw', 'It says how to withdraw or reserve against research contact');
const CONTACT = item('contact-person', 'A contact person is given');
export const LANGUAGE_ITEM_ID = 'both-norwegian-standards';
const NORWEGIAN = item(LANGUAGE_ITEM_ID, 'Both bokmål and nynorsk are present, or a reason is given');
const LINKS = item('links-checked', 'Every link was checked and leads where it should');

/**
 * The superuser's quality checklist per project purpose. The one place to change the items:
 * the approval validates against it and the API shows it (GET /projects/{id}/checklist).
 */
export const CHECKLISTS: Readonly<Record<Purpose, readonly ChecklistItem[]>> = {
  research: [SENDER, PURPOSE, VOLUNTARY, WITHDRAW, CONTACT, NORWEGIAN, LINKS],
  'quality-register': [SENDER, PURPOSE, item('legal-basis-stated', 'The legal basis for the register is stated'), WITHDRAW, CONTACT, NORWEGIAN, LINKS],
  'health-survey': [SENDER, PURPOSE, VOLUNTARY, WITHDRAW, CONTACT, NORWEGIAN, LINKS],
};

/** An answer is `true` (checked) or a note, such as the reason nynorsk is missing; `false` is a "no". */
export type ChecklistAnswers = Readonly<Record<string, boolean | string>>;

export class ChecklistIncompleteError extends ConflictError {
  constructor(items: readonly string[], message = 'The checklist has items answered "no" or not at all; the project cannot be approved like this') {
    super('CHECKLIST_INCOMPLETE', message, { items });
  }
}

const rejectUnknown = (purpose: Purpose, answers: ChecklistAnswers): void => {
  const known = new Set(CHECKLISTS[purpose].map((i) => i.id));
  const unknown = Object.keys(answers).filter((k) => !known.has(k));
  if (unknown.length > 0) {
    throw new ValidationError(
      'The checklist has items this purpose does not have',
      unknown.map((k) => ({ field: `checklist.${k}`, message: 'unknown item' })),
    );
  }
};

const answered = (v: boolean | string | undefined): boolean => v === true || (typeof v === 'string' && v.trim() !== '');

/**
 * Every approval (the project's, or one letter version's) needs the whole checklist: every item answered `true` or with a note.
 * When a letter has no nynorsk version, `true` does not answer the language item: the superuser
 * must write why (the language act expects both written standards).
 */
export const requireCompleteChecklist = (purpose: Purpose, answers: ChecklistAnswers | undefined, opts: { nynorskMissing: boolean }): ChecklistAnswers => {
  const given = answers ?? {};
  rejectUnknown(purpose, given);
  const missing = CHECKLISTS[purpose].filter((i) => !answered(given[i.id])).map((i) => i.id);
  if (missing.length > 0) throw new ChecklistIncompleteError(missing);
  if (opts.nynorskMissing && typeof given[LANGUAGE_ITEM_ID] !== 'string') {
    throw new ChecklistIncompleteError([LANGUAGE_ITEM_ID], 'A letter has no nynorsk version: answer the language item with the reason instead of a tick');
  }
  return given;
};
