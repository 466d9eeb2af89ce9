import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { randomBytes } from 'node:crypto';
import type { AuditEvent, AuditLog } from '../../domain/shared/audit.js';
import { keys } from './keys.js';

/**
 * Append-only: the only write is a conditional put of a new key. There is deliberately no
 * update or delete method; the deployed Lambdas' IAM policies grant no DeleteItem on audit keys
 * either (see the stateless stack).
 */
export class DynamoAuditLog implements AuditLog {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async append(scope: string, event: AuditEvent): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: { ...keys.audit(scope, event.at, randomBytes(6).toString('hex')), scope, ...event },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async list(scope: string): Promise<AuditEvent[]> {
    const out: AuditEvent[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const res = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': keys.audit(scope, '', '').pk },
          ExclusiveStartKey: start,
          ConsistentRead: true,
        }),
      );
      for (const i of res.Items ?? []) out.push({ at: i.at, actor: i.actor, role: i.role, action: i.action, details: i.details ?? {} });
      start = res.LastEvaluatedKey;
    } while (start);
    return out;
  }
}
