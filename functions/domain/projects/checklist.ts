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
const NORWEGIAN = item('both-norwegian-standards', 'Both bokmål and nynorsk are present, or a reason is given');
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
  constructor(items: readonly string[]) {
    super('CHECKLIST_INCOMPLETE', 'The checklist has items answered "no"; the project cannot be approved like this', { items });
  }
}

/** Unknown items are a 400; an item answered `false` refuses the approval. */
export const validateChecklist = (purpose: Purpose, answers: ChecklistAnswers | undefined): ChecklistAnswers | undefined => {
  if (answers === undefined) return undefined;
  const known = new Set(CHECKLISTS[purpose].map((i) => i.id));
  const unknown = Object.keys(answers).filter((k) => !known.has(k));
  if (unknown.length > 0) {
    throw new ValidationError('The checklist has items this purpose does not have', unknown.map((k) => ({ field: `checklist.${k}`, message: 'unknown item' })));
  }
  const no = Object.entries(answers).filter(([, v]) => v === false || (typeof v === 'string' && v.trim() === '')).map(([k]) => k);
  if (no.length > 0) throw new ChecklistIncompleteError(no);
  return answers;
};
