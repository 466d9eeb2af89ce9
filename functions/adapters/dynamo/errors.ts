import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { ConflictError } from '../../shared/errors.js';

/** Someone else changed the record between our read and our write: the caller may retry. */
export class ConcurrentUpdateError extends ConflictError {
  constructor(what = 'resource') {
    super('CONCURRENT_UPDATE', `The ${what} was changed by someone else at the same time; try again`);
  }
}

export const isConditionFailure = (error: unknown): boolean =>
  error instanceof ConditionalCheckFailedException || (error instanceof TransactionCanceledException && (error.CancellationReasons ?? []).some((r) => r.Code === 'ConditionalCheckFailed'));
