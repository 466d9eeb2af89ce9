import { randomBytes } from 'node:crypto';

/** Opaque ids that sort by creation time (ms, base36) and cannot be guessed (64 random bits). */
export const newId = (prefix: string, now = Date.now()): string => `${prefix}_${now.toString(36).padStart(9, '0')}${randomBytes(8).toString('hex')}`;

export const nowIso = (): string => new Date().toISOString();
