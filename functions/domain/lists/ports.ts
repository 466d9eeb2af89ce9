import type { ListMetadata, Recipient } from './recipient-list.js';

export interface RecipientListRepository {
  /**
   * Stores the recipients (in chunks) and then the metadata, so a list is visible only once all
   * of it is stored; on failure the chunks written so far are removed.
   */
  createList(meta: ListMetadata, recipients: readonly Recipient[]): Promise<void>;
  getList(projectId: string, listId: string): Promise<ListMetadata | undefined>;
  listLists(projectId: string): Promise<ListMetadata[]>;
  /** Every accepted recipient of the list, in upload order. */
  readRecipients(listId: string): Promise<Recipient[]>;
}

/** Where large lists are uploaded directly (presigned PUT) before they are parsed. */
export interface ListUploadStore {
  createUploadUrl(objectKey: string, expiresInSeconds: number): Promise<string>;
  /** The object's text; undefined when there is no such object. Throws PayloadTooLargeError above maxBytes. */
  readText(objectKey: string, maxBytes: number): Promise<string | undefined>;
  deleteObject(objectKey: string): Promise<void>;
}
