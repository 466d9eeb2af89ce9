import { GetCommand, PutCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { chainEvent, EMPTY_HEAD, type AuditEvent, type AuditHeadIndex, type AuditLog, type ChangedHead, type ChainedAuditEvent, type ChainHead } from '../../domain/shared/audit.js';
import { keys } from './keys.js';
import { queryAll } from './batch.js';
import { ConcurrentUpdateError, isConditionFailure } from './errors.js';
import { withRetry } from '../../domain/shared/retry.js';

/** Appends racing on one scope: each retry re-reads the head; many may contend, so many tries. */
const CONTENDED = { maxAttempts: 30, baseDelayMs: 5, maxDelayMs: 200 } as const;

/** An appendOnce whose key was already used: its transaction's third item (the key's marker) failed its condition. */
const isAlreadyAppended = (e: unknown): boolean =>
  (e as { name?: string }).name === 'TransactionCanceledException' && (e as { CancellationReasons?: { Code?: string }[] }).CancellationReasons?.[2]?.Code === 'ConditionalCheckFailed';

const isRace = (e: unknown): boolean =>
  isConditionFailure(e) ||
  (e as { name?: string }).name === 'TransactionConflictException' ||
  ((e as { name?: string }).name === 'TransactionCanceledException' && ((e as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? []).some((r) => r.Code === 'TransactionConflict'));

/**
 * Append-only and hash-chained. Each append writes, in one transaction, the new event (a key
 * that must not exist) and the scope's head item, conditioned on the head still being the one
 * the event links to: of two concurrent appends after the same event, one fails its condition,
 * re-reads the head and links after the other, so the chain never forks. There is deliberately
 * no update or delete method. appendOnce adds a third item to that transaction, the key's marker
 * (`ONCE#<key>` in the scope's partition, a key that must not exist): the event is written with
 * its marker or not at all, so a key's event is in the chain at most once and a retry finds it.
 */
export class DynamoAuditLog implements AuditLog {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async head(scope: string): Promise<ChainHead> {
    const res = await this.db.send(new GetCommand({ TableName: this.table, Key: keys.auditHead(scope), ConsistentRead: true }));
    return res.Item ? { events: Number(res.Item.events), head: String(res.Item.head) } : EMPTY_HEAD;
  }

  async append(scope: string, event: AuditEvent): Promise<ChainedAuditEvent> {
    return (await this.write(scope, event))!;
  }

  async appendOnce(scope: string, key: string, event: AuditEvent): Promise<ChainedAuditEvent | undefined> {
    const marker = keys.auditOnce(scope, key);
    const known = await this.db.send(new GetCommand({ TableName: this.table, Key: marker, ConsistentRead: true }));
    if (known.Item) return undefined;
    return this.write(scope, event, marker);
  }

  private async write(scope: string, event: AuditEvent, once?: { pk: string; sk: string }): Promise<ChainedAuditEvent | undefined> {
    try {
      return await withRetry(
        async () => {
          const after = await this.head(scope);
          const chained = chainEvent(scope, event, after);
          await this.db.send(
            new TransactWriteCommand({
              TransactItems: [
                {
                  Put: {
                    TableName: this.table,
                    Item: { ...keys.auditEvent(scope, chained.seq), type: 'AUDIT_EVENT', ...chained },
                    ConditionExpression: 'attribute_not_exists(pk)',
                  },
                },
                {
                  Put: {
                    TableName: this.table,
                    Item: {
                      ...keys.auditHead(scope),
                      type: 'AUDIT_HEAD',
                      scope,
                      events: chained.seq,
                      head: chained.hash,
                      at: chained.at,
                      // When this append was written (not the event's `at`, taken before any retry).
                      ...keys.auditHeadChanged(new Date().toISOString()),
                    },
                    ConditionExpression: after.events === 0 ? 'attribute_not_exists(pk)' : '#n = :n AND #h = :h',
                    ...(after.events === 0 ? {} : { ExpressionAttributeNames: { '#n': 'events', '#h': 'head' }, ExpressionAttributeValues: { ':n': after.events, ':h': after.head } }),
                  },
                },
                ...(once ? [{ Put: { TableName: this.table, Item: { ...once, type: 'AUDIT_ONCE', seq: chained.seq }, ConditionExpression: 'attribute_not_exists(pk)' } }] : []),
              ],
            }),
          );
          return chained;
        },
        { ...CONTENDED, retryable: (e) => !(once && isAlreadyAppended(e)) && isRace(e) },
      );
    } catch (e) {
      if (once && isAlreadyAppended(e)) return undefined;
      // Another append got there first every time (or a transaction conflict).
      throw isRace(e) ? new ConcurrentUpdateError('audit trail') : e;
    }
  }

  async list(scope: string): Promise<ChainedAuditEvent[]> {
    const items = await queryAll(this.db, {
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.auditHead(scope).pk },
      ConsistentRead: true,
    });
    return (
      items
        // The head and appendOnce's markers are not events; anything else in the partition is listed (and verified).
        .filter((i) => i.sk !== 'HEAD' && !String(i.sk).startsWith('ONCE#'))
        .map(
          (i) =>
            ({
              scope: i.scope,
              seq: i.seq,
              prevHash: i.prevHash,
              hash: i.hash,
              at: i.at,
              actor: i.actor,
              ...(typeof i.actorName === 'string' ? { actorName: i.actorName } : {}),
              role: i.role,
              action: i.action,
              details: i.details ?? {},
            }) as ChainedAuditEvent,
        )
        .sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0))
    );
  }
}

/**
 * The chain heads by time of change (the sparse byChange index of the audit table) and the mark of
 * the last scheduled seal run. The mark is a put of its own item, never an update of the audit.
 */
export class DynamoAuditHeadIndex implements AuditHeadIndex {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async changedSince(since: string): Promise<ChangedHead[]> {
    const items = await queryAll(this.db, {
      TableName: this.table,
      IndexName: 'byChange',
      KeyConditionExpression: 'headIndex = :h AND changedAt >= :since',
      ExpressionAttributeValues: { ':h': keys.auditHeadChanged('').headIndex, ':since': since },
      ProjectionExpression: '#s, changedAt',
      ExpressionAttributeNames: { '#s': 'scope' },
    });
    return items.filter((i) => typeof i.scope === 'string').map((i) => ({ scope: String(i.scope), changedAt: String(i.changedAt) }));
  }

  async sealedThrough(): Promise<string | undefined> {
    const res = await this.db.send(new GetCommand({ TableName: this.table, Key: keys.auditSealMark(), ConsistentRead: true }));
    return typeof res.Item?.at === 'string' ? res.Item.at : undefined;
  }

  async markSealedThrough(at: string): Promise<void> {
    // Unconditional: of two overlapping runs the earlier may finish last and set the mark back,
    // which only makes the next run look further back.
    await this.db.send(new PutCommand({ TableName: this.table, Item: { ...keys.auditSealMark(), type: 'AUDIT_SEAL_MARK', at } }));
  }
}
