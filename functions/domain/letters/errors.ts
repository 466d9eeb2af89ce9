import { ConflictError } from '../../shared/errors.js';
import type { Finding } from './letter.js';

/** The approval was bound to content that is no longer what the version holds. */
export class ContentChangedError extends ConflictError {
  constructor() {
    super('CONTENT_CHANGED', 'The letter version is not the content that was checked; check and approve again');
  }
}

/** Approval refused while the automated check reports an error; details are the findings. */
export class QualityCheckFailedError extends ConflictError {
  constructor(findings: readonly (Finding & { letterId?: string; version?: number })[]) {
    super('QUALITY_CHECK_FAILED', 'The automated quality check reports errors; fix them before approving', findings);
  }
}
