import { NotFoundError, ValidationError } from '../../shared/errors.js';
import type { Principal } from '../../shared/principal.js';
import type { ProjectRepository } from '../projects/ports.js';
import { auditScope, loadProject } from '../projects/use-cases.js';
import { auditEvent, type AuditLog } from '../shared/audit.js';
import { newId, nowIso } from '../shared/ids.js';
import { checkLetterVersion } from './check.js';
import { contentHash } from './content.js';
import type { Finding, Letter, LetterContentByLanguage, LetterKind, LetterVersion } from './letter.js';
import type { FormTaskRepository, LetterRepository, LinkProber } from './ports.js';

export interface LetterDeps {
  readonly projects: ProjectRepository;
  readonly audit: AuditLog;
  readonly letters: LetterRepository;
  readonly formTasks: FormTaskRepository;
  readonly prober: LinkProber;
}

export interface NewLetterInput {
  readonly title: string;
  readonly kind: LetterKind;
  readonly formTaskId?: string;
  readonly fields?: readonly string[];
  readonly content: LetterContentByLanguage;
}

export interface EditLetterInput {
  readonly title?: string;
  readonly formTaskId?: string;
  readonly fields?: readonly string[];
  readonly content: LetterContentByLanguage;
}

const requireFormTaskFits = async (deps: Pick<LetterDeps, 'formTasks'>, projectId: string, kind: LetterKind, formTaskId: string | undefined) => {
  if (kind === 'form-task') {
    if (!formTaskId) throw new ValidationError('A form-task letter names its form task', [{ field: 'formTaskId', message: 'required for kind form-task' }]);
    if (!(await deps.formTasks.getFormTask(projectId, formTaskId))) {
      throw new ValidationError('The form task does not exist in this project', [{ field: 'formTaskId', message: 'no such form task in this project' }]);
    }
  } else if (formTaskId) {
    throw new ValidationError('Only form-task letters carry a form task', [{ field: 'formTaskId', message: 'only for kind form-task' }]);
  }
};

const versionOf = (
  letter: Pick<Letter, 'projectId' | 'letterId' | 'kind'>,
  n: number,
  input: { title: string; formTaskId?: string; fields?: readonly string[]; content: LetterContentByLanguage },
  author: string,
  now: string,
): LetterVersion => ({
  projectId: letter.projectId,
  letterId: letter.letterId,
  version: n,
  title: input.title,
  kind: letter.kind,
  ...(input.formTaskId ? { formTaskId: input.formTaskId } : {}),
  content: input.content,
  ...(input.fields ? { fields: [...new Set(input.fields)] } : {}),
  contentHash: contentHash({ kind: letter.kind, formTaskId: input.formTaskId, content: input.content }),
  authoredBy: author,
  createdAt: now,
});

export const createLetter = async (deps: LetterDeps, principal: Principal, projectId: string, input: NewLetterInput): Promise<{ letter: Letter; version: LetterVersion }> => {
  await loadProject(deps, principal, projectId, 'edit');
  await requireFormTaskFits(deps, projectId, input.kind, input.formTaskId);
  const now = nowIso();
  const letter: Letter = {
    projectId,
    letterId: newId('ltr'),
    title: input.title,
    kind: input.kind,
    latestVersion: 1,
    createdBy: principal.sub,
    createdAt: now,
    updatedAt: now,
  };
  const version = versionOf(letter, 1, input, principal.sub, now);
  await deps.letters.createLetter(letter, version);
  await deps.audit.append(auditScope(projectId), auditEvent(principal, 'letter.created', { letterId: letter.letterId, version: 1, kind: letter.kind, contentHash: version.contentHash }));
  return { letter, version };
};

/** A new version, approval pending; the project's status is untouched whatever it is. */
export const editLetter = async (deps: LetterDeps, principal: Principal, projectId: string, letterId: string, input: EditLetterInput): Promise<{ letter: Letter; version: LetterVersion }> => {
  await loadProject(deps, principal, projectId, 'edit');
  const letter = await deps.letters.getLetter(projectId, letterId);
  if (!letter) throw new NotFoundError('Letter');
  const previous = await deps.letters.getVersion(projectId, letterId, letter.latestVersion);
  const formTaskId = input.formTaskId ?? previous?.formTaskId;
  await requireFormTaskFits(deps, projectId, letter.kind, formTaskId);
  const now = nowIso();
  const n = letter.latestVersion + 1;
  const title = input.title ?? letter.title;
  const version = versionOf(letter, n, { title, formTaskId, fields: input.fields ?? previous?.fields, content: input.content }, principal.sub, now);
  const updated: Letter = { ...letter, title, latestVersion: n, updatedAt: now };
  await deps.letters.addVersion(updated, version, letter.latestVersion);
  await deps.audit.append(auditScope(projectId), auditEvent(principal, 'letter.version_created', { letterId, version: n, contentHash: version.contentHash }));
  return { letter: updated, version };
};

export const loadLetter = async (
  deps: Pick<LetterDeps, 'projects' | 'letters'>,
  principal: Principal,
  projectId: string,
  letterId: string,
  version?: number,
): Promise<{ letter: Letter; version: LetterVersion }> => {
  await loadProject(deps, principal, projectId, 'read');
  const letter = await deps.letters.getLetter(projectId, letterId);
  if (!letter) throw new NotFoundError('Letter');
  const v = await deps.letters.getVersion(projectId, letterId, version ?? letter.latestVersion);
  if (!v) throw new NotFoundError('Letter version');
  return { letter, version: v };
};

export const listLetters = async (deps: Pick<LetterDeps, 'projects' | 'letters'>, principal: Principal, projectId: string): Promise<Letter[]> => {
  await loadProject(deps, principal, projectId, 'read');
  return deps.letters.listLetters(projectId);
};

/** The check endpoint: every rule, links probed live. Members and the organisation's superusers. */
export const checkLetter = async (deps: LetterDeps, principal: Principal, projectId: string, letterId: string, version?: number): Promise<{ ok: boolean; version: number; findings: Finding[] }> => {
  const project = await loadProject(deps, principal, projectId, principal.role === 'superuser' ? 'review' : 'edit');
  const { version: v } = await loadLetter(deps, principal, projectId, letterId, version);
  const findings = await checkLetterVersion(deps, project, v, { live: true });
  return { ok: !findings.some((f) => f.severity === 'error'), version: v.version, findings };
};
