import { DomainError, ForbiddenError, NotFoundError } from '../../shared/errors.js';
import type { Principal } from '../../shared/principal.js';
import type { ProjectRepository } from '../projects/ports.js';
import { auditScope, loadProject } from '../projects/use-cases.js';
import { auditEvent, type AuditLog } from '../shared/audit.js';
import { newId, nowIso } from '../shared/ids.js';
import { DEFAULT_RETENTION, retentionFor, type RetentionPolicy } from '../shared/retention.js';
import { parseCsv } from './csv.js';
import type { CheckDigitRule } from '../shared/nin.js';
import type { ListUploadStore, RecipientListRepository } from './ports.js';
import { buildListFromCsv, buildListFromJson, type BuiltList, type JsonRecipientInput, type ListMetadata, type RowError } from './recipient-list.js';

export interface ListDeps {
  readonly projects: ProjectRepository;
  readonly audit: AuditLog;
  readonly lists: RecipientListRepository;
  readonly listUploads: ListUploadStore;
}

export interface ListPolicy {
  readonly allowSynthetic: boolean;
  readonly checkDigits?: CheckDigitRule;
  /** How long list rows are kept; a list no round has used expires this long after its upload. */
  readonly retention?: RetentionPolicy;
}

export type ListSource =
  { readonly kind: 'csv'; readonly text: string } | { readonly kind: 'json'; readonly recipients: readonly JsonRecipientInput[] } | { readonly kind: 'upload'; readonly objectKey: string };

/** The upload report, exactly as the API returns it. */
export interface UploadReport {
  readonly listId: string;
  readonly rows: number;
  readonly accepted: number;
  readonly rejected: readonly RowError[];
  readonly duplicatesInList: number;
}

/** Presigned uploads are for large files; beyond this even a Lambda should not hold the text. */
export const MAX_UPLOAD_BYTES = 200 * 1024 * 1024;
const UPLOAD_URL_SECONDS = 15 * 60;

export class UploadNotFoundError extends DomainError {
  constructor() {
    super('UPLOAD_NOT_FOUND', 404, 'No uploaded file under that object key; PUT the file to the upload URL first');
  }
}

const uploadPrefix = (projectId: string) => `recipient-lists/${projectId}/`;
const UPLOAD_NAME = /^upl_[a-z0-9]{20,40}\.csv$/;

/** Object keys are scoped to the project: a key minted for another project is refused, not read. */
export const assertUploadKeyOf = (projectId: string, objectKey: string): void => {
  const prefix = uploadPrefix(projectId);
  if (!objectKey.startsWith(prefix) || !UPLOAD_NAME.test(objectKey.slice(prefix.length))) {
    throw new ForbiddenError('That object key does not belong to this project', 'OBJECT_KEY_NOT_ALLOWED');
  }
};

export const createUploadUrl = async (deps: ListDeps, principal: Principal, projectId: string) => {
  await loadProject(deps, principal, projectId, 'edit');
  const objectKey = `${uploadPrefix(projectId)}${newId('upl')}.csv`;
  const uploadUrl = await deps.listUploads.createUploadUrl(objectKey, UPLOAD_URL_SECONDS);
  return { objectKey, uploadUrl, expiresAt: new Date(Date.now() + UPLOAD_URL_SECONDS * 1000).toISOString() };
};

export const uploadList = async (deps: ListDeps, policy: ListPolicy, principal: Principal, projectId: string, source: ListSource): Promise<UploadReport> => {
  await loadProject(deps, principal, projectId, 'edit');
  const opts = { allowSynthetic: policy.allowSynthetic, checkDigits: policy.checkDigits };
  let built: BuiltList;
  switch (source.kind) {
    case 'csv':
      built = buildListFromCsv(parseCsv(source.text), opts);
      break;
    case 'json':
      built = buildListFromJson(source.recipients, opts);
      break;
    case 'upload': {
      assertUploadKeyOf(projectId, source.objectKey);
      try {
        const text = await deps.listUploads.readText(source.objectKey, MAX_UPLOAD_BYTES);
        if (text === undefined) throw new UploadNotFoundError();
        built = buildListFromCsv(parseCsv(text), opts);
      } catch (e) {
        // A file that cannot become a list (malformed, too large, too many bad rows) is still a
        // file full of national IDs: it goes now, not when the bucket's lifecycle gets to it.
        if (!(e instanceof UploadNotFoundError)) await deps.listUploads.deleteObject(source.objectKey).catch(() => undefined);
        throw e;
      }
      break;
    }
  }

  const createdAt = nowIso();
  const meta: ListMetadata = {
    projectId,
    listId: newId('lst'),
    rows: built.rows,
    accepted: built.recipients.length,
    rejectedCount: built.rejected.length,
    duplicatesInList: built.duplicatesInList,
    columns: built.columns,
    source: source.kind,
    chunks: 0,
    createdBy: principal.sub,
    createdAt,
    expiresAt: retentionFor('listRows', createdAt, policy.retention ?? DEFAULT_RETENTION),
  };
  try {
    await deps.lists.createList(meta, built.recipients);
  } finally {
    // The raw file holds IDs in the clear; once parsed (stored or not) it has no further use.
    if (source.kind === 'upload') await deps.listUploads.deleteObject(source.objectKey).catch(() => undefined);
  }
  await deps.audit.append(
    auditScope(projectId),
    auditEvent(principal, 'recipient-list.uploaded', {
      listId: meta.listId,
      source: source.kind,
      rows: meta.rows,
      accepted: meta.accepted,
      rejected: meta.rejectedCount,
      duplicatesInList: meta.duplicatesInList,
    }),
  );
  return {
    listId: meta.listId,
    rows: built.rows,
    accepted: built.recipients.length,
    rejected: built.rejected,
    duplicatesInList: built.duplicatesInList,
  };
};

export const getList = async (deps: ListDeps, principal: Principal, projectId: string, listId: string): Promise<ListMetadata> => {
  await loadProject(deps, principal, projectId, 'read');
  const list = await deps.lists.getList(projectId, listId);
  if (!list) throw new NotFoundError('Recipient list');
  return list;
};

export const listLists = async (deps: ListDeps, principal: Principal, projectId: string): Promise<ListMetadata[]> => {
  await loadProject(deps, principal, projectId, 'read');
  return deps.lists.listLists(projectId);
};
