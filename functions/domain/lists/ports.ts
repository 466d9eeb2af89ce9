import type { ListMetadata, Recipient } from './recipient-list.js';

export interface RecipientListRepository {
  /**
   * Stores the recipients (in chunks) and then the metadata, so a list is visible only once all
   * of it is stored; on failure the chunks written so far are removed.
   */
  createList(meta: ListMetadata, recipients: readonly Recipient[]): Promise<void>;
  getList(projectId: string, listId: string): Promise<ListMetadata | undefined>;
  listLists(projectId: string): Promise<ListMetadata[]>;
  /**
   * Every accepted recipient of the list, in upload order. Throws ListExpiredError when the list
   * is past its retention (rows may already be partly deleted).
   */
  readRecipients(listId: string): Promise<Recipient[]>;
  /** Recipients [start, end) in upload order, read from the chunks that cover them only. */
  slice(listId: string, start: number, end: number): Promise<Recipient[]>;
  /**
   * Keeps the list (rows and record) at least until `expiresAt` (epoch seconds); never shortens.
   * The engine calls it when a round using the list is released and when it completes. False
   * when the list is gone or already past its retention (a release must then refuse).
   */
  extendRetention(projectId: string, listId: string, expiresAt: number): Promise<boolean>;
}

/** Where large lists are uploaded directly (presigned PUT) before they are parsed. */
export interface ListUploadStore {
  createUploadUrl(objectKey: string, expiresInSeconds: number): Promise<string>;
  /** The object's text; undefined when there is no such object. Throws PayloadTooLargeError above maxBytes. */
  readText(objectKey: string, maxBytes: number): Promise<string | undefined>;
  deleteObject(objectKey: string): Promise<void>;
}
