import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { randomBytes } from 'node:crypto';
import type { AuditEvent, AuditLog } from '../../domain/shared/audit.js';
import { keys } from './keys.js';
import { queryAll } from './batch.js';

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
    const items = await queryAll(this.db, {
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.audit(scope, '', '').pk },
      ConsistentRead: true,
    });
    return items.map((i) => ({ at: i.at, actor: i.actor, role: i.role, action: i.action, details: i.details ?? {} }) as AuditEvent);
  }
}
