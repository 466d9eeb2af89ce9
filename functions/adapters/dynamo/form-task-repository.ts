import { GetCommand, PutCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CitizenTask, FormTask } from '../../domain/letters/form-task.js';
import type { CitizenTaskRepository, FormResponse, FormTaskRepository } from '../../domain/letters/ports.js';
import { batchGetAll, queryAll } from './batch.js';
import { isConditionFailure } from './errors.js';
import { keys } from './keys.js';

const STRIP = new Set(['pk', 'sk', 'gsi1pk', 'gsi1sk', 'entity']);
const strip = <T>(item: Record<string, unknown>): T => Object.fromEntries(Object.entries(item).filter(([k]) => !STRIP.has(k))) as T;

/** Form-task definitions and their pseudonymous responses, in the main table under the project. */
export class DynamoFormTaskRepository implements FormTaskRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async createFormTask(task: FormTask): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: { ...keys.formTask(task.projectId, task.formTaskId), entity: 'formTask', ...task },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async getFormTask(projectId: string, formTaskId: string): Promise<FormTask | undefined> {
    const res = await this.db.send(new GetCommand({ TableName: this.table, Key: keys.formTask(projectId, formTaskId), ConsistentRead: true }));
    return res.Item ? strip<FormTask>(res.Item) : undefined;
  }

  async listFormTasks(projectId: string): Promise<FormTask[]> {
    const items = await queryAll(this.db, {
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
      ExpressionAttributeValues: { ':pk': keys.project(projectId).pk, ':p': 'FORMTASK#' },
      ConsistentRead: true,
    });
    return items.map((i) => strip<FormTask>(i));
  }

  async listResponses(projectId: string, formTaskId: string): Promise<FormResponse[]> {
    const items = await queryAll(this.db, {
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.formResponse(projectId, formTaskId, '').pk },
      ConsistentRead: true,
    });
    return items.map((i) => strip<FormResponse>(i)).sort((a, b) => a.answeredAt.localeCompare(b.answeredAt));
  }
}

/**
 * Citizens' tasks, in the citizens table under the citizen's own key. Answering writes the
 * pseudonymous response into the main table in the same transaction, so an answer is either
 * recorded in both places or in neither.
 */
export class DynamoCitizenTaskRepository implements CitizenTaskRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly citizens: string,
    private readonly main: string,
  ) {}

  async putTaskIfAbsent(nin: string, task: CitizenTask): Promise<{ task: CitizenTask; created: boolean }> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.citizens,
          Item: { ...keys.task(nin, task.taskId), ...(task.token ? keys.taskToken(task.token) : {}), entity: 'task', ...task },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { task, created: true };
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
      const existing = await this.getTask(nin, task.taskId);
      if (!existing) throw e;
      return { task: existing, created: false };
    }
  }

  async getTask(nin: string, taskId: string): Promise<CitizenTask | undefined> {
    const res = await this.db.send(new GetCommand({ TableName: this.citizens, Key: keys.task(nin, taskId), ConsistentRead: true }));
    return res.Item ? strip<CitizenTask>(res.Item) : undefined;
  }

  async listTasks(nin: string): Promise<CitizenTask[]> {
    const items = await queryAll(this.db, {
      TableName: this.citizens,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
      ExpressionAttributeValues: { ':pk': keys.task(nin, '').pk, ':p': 'TASK#' },
      ConsistentRead: true,
    });
    return items.map((i) => strip<CitizenTask>(i)).sort((a, b) => b.sentAt.localeCompare(a.sentAt));
  }

  async findByToken(token: string): Promise<{ nin: string; task: CitizenTask } | undefined> {
    const k = keys.taskToken(token);
    const items = await queryAll(this.db, {
      TableName: this.citizens,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :t AND gsi1sk = :s',
      ExpressionAttributeValues: { ':t': k.gsi1pk, ':s': k.gsi1sk },
    });
    const item = items[0];
    if (!item) return undefined;
    return { nin: String(item.pk).replace(/^CIT#/, ''), task: strip<CitizenTask>(item) };
  }

  async tasksOf(nins: readonly string[], taskId: string): Promise<Map<string, CitizenTask>> {
    const found = await batchGetAll(
      this.db,
      this.citizens,
      nins.map((n) => keys.task(n, taskId)),
      { consistent: true },
    );
    return new Map(found.map((i) => [String(i.pk).replace(/^CIT#/, ''), strip<CitizenTask>(i)]));
  }

  async markCompleted(nin: string, task: CitizenTask, at: string): Promise<boolean> {
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.citizens,
                Key: keys.task(nin, task.taskId),
                UpdateExpression: 'SET #s = :answered, answeredAt = :at, completedBy = :external',
                ConditionExpression: '#s = :sent',
                ExpressionAttributeNames: { '#s': 'status' },
                ExpressionAttributeValues: { ':answered': 'answered', ':sent': 'sent', ':at': at, ':external': 'external-form' },
              },
            },
            {
              Update: {
                TableName: this.main,
                Key: keys.formTask(task.projectId, task.formTaskId),
                UpdateExpression: 'ADD completedCount :one',
                ConditionExpression: 'attribute_exists(pk)',
                ExpressionAttributeValues: { ':one': 1 },
              },
            },
          ],
        }),
      );
      return true;
    } catch (e) {
      if (isConditionFailure(e)) return false;
      throw e;
    }
  }

  async recordAnswer(nin: string, taskId: string, response: FormResponse, now: string): Promise<boolean> {
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.citizens,
                Key: keys.task(nin, taskId),
                UpdateExpression: 'SET #s = :answered, answeredAt = :now',
                ConditionExpression: '#s = :sent AND deadline > :now',
                ExpressionAttributeNames: { '#s': 'status' },
                ExpressionAttributeValues: { ':answered': 'answered', ':sent': 'sent', ':now': now },
              },
            },
            {
              Put: {
                TableName: this.main,
                Item: {
                  ...keys.formResponse(response.projectId, response.formTaskId, response.aboutChild ? `${response.recipient}#${response.aboutChild}` : response.recipient),
                  entity: 'formResponse',
                  ...response,
                },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
          ],
        }),
      );
      return true;
    } catch (e) {
      if (isConditionFailure(e)) return false;
      throw e;
    }
  }
}
