import { z } from 'zod';
import type { ListMetadata } from '../domain/lists/recipient-list.js';

/**
 * JSON upload: the shape is checked here, each recipient's content in the domain, so one bad row
 * becomes a row error rather than refusing the whole list.
 */
const jsonRecipient = z.object({
  nin: z.unknown().optional(),
  language: z.unknown().optional(),
  fields: z.record(z.string().max(100), z.unknown()).optional(),
});

export const uploadListBody = z.union([z.strictObject({ recipients: z.array(jsonRecipient).max(1_000_000) }), z.strictObject({ objectKey: z.string().min(1).max(300) })]);

export const listView = (l: ListMetadata) => ({
  listId: l.listId,
  projectId: l.projectId,
  rows: l.rows,
  accepted: l.accepted,
  rejected: l.rejectedCount,
  duplicatesInList: l.duplicatesInList,
  columns: l.columns,
  source: l.source,
  createdBy: l.createdBy,
  createdAt: l.createdAt,
  ...(l.expiresAt !== undefined ? { keptUntil: new Date(l.expiresAt * 1000).toISOString() } : {}),
});
