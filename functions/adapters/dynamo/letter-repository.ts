import { GetCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Approval, Letter, LetterVersion } from '../../domain/letters/letter.js';
import type { LetterRepository } from '../../domain/letters/ports.js';
import { ContentChangedError } from '../../domain/letters/errors.js';
import { ConcurrentUpdateError, isConditionFailure } from './errors.js';
import { keys } from './keys.js';
import { queryAll } from './batch.js';

const STRIP = new Set(['pk', 'sk', 'gsi1pk', 'gsi1sk', 'entity']);
const strip = <T>(item: Record<string, unknown>): T => Object.fromEntries(Object.entries(item).filter(([k]) => !STRIP.has(k))) as T;

export class DynamoLetterRepository implements LetterRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async createLetter(letter: Letter, first: LetterVersion): Promise<void> {
    await this.db.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: this.table, Item: { ...keys.letter(letter.projectId, letter.letterId), entity: 'letter', ...letter }, ConditionExpression: 'attribute_not_exists(pk)' } },
          { Put: { TableName: this.table, Item: this.versionItem(first), ConditionExpression: 'attribute_not_exists(pk)' } },
        ],
      }),
    );
  }

  async addVersion(letter: Letter, version: LetterVersion, expectedLatest: number): Promise<void> {
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.table,
                Item: { ...keys.letter(letter.projectId, letter.letterId), entity: 'letter', ...letter },
                ConditionExpression: 'latestVersion = :expected',
                ExpressionAttributeValues: { ':expected': expectedLatest },
              },
            },
            { Put: { TableName: this.table, Item: this.versionItem(version), ConditionExpression: 'attribute_not_exists(pk)' } },
          ],
        }),
      );
    } catch (e) {
      if (isConditionFailure(e)) throw new ConcurrentUpdateError('letter');
      throw e;
    }
  }

  async getLetter(projectId: string, letterId: string): Promise<Letter | undefined> {
    const res = await this.db.send(new GetCommand({ TableName: this.table, Key: keys.letter(projectId, letterId), ConsistentRead: true }));
    return res.Item ? strip<Letter>(res.Item) : undefined;
  }

  async getVersion(projectId: string, letterId: string, version: number): Promise<LetterVersion | undefined> {
    if (!Number.isInteger(version) || version < 1) return undefined;
    const res = await this.db.send(new GetCommand({ TableName: this.table, Key: keys.letterVersion(projectId, letterId, version), ConsistentRead: true }));
    return res.Item ? strip<LetterVersion>(res.Item) : undefined;
  }

  async listLetters(projectId: string): Promise<Letter[]> {
    const items = await this.queryAll(keys.project(projectId).pk, 'LETTER#');
    return items.map((i) => strip<Letter>(i)).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async listVersions(projectId: string, letterId: string): Promise<LetterVersion[]> {
    const items = await this.queryAll(keys.project(projectId).pk, `LETTERV#${letterId}#`);
    return items.map((i) => strip<LetterVersion>(i));
  }

  async approveVersion(projectId: string, letterId: string, version: number, contentHash: string, approval: Approval): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.letterVersion(projectId, letterId, version),
          UpdateExpression: 'SET approval = :a',
          ConditionExpression: 'contentHash = :h',
          ExpressionAttributeValues: { ':a': approval, ':h': contentHash },
        }),
      );
    } catch (e) {
      if (isConditionFailure(e)) throw new ContentChangedError();
      throw e;
    }
    // The letter's approvedVersion is a summary of its versions' approvals: only ever raised.
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.letter(projectId, letterId),
          UpdateExpression: 'SET approvedVersion = :v',
          ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(approvedVersion) OR approvedVersion < :v)',
          ExpressionAttributeValues: { ':v': version },
        }),
      );
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
    }
  }

  private versionItem(v: LetterVersion) {
    return { ...keys.letterVersion(v.projectId, v.letterId, v.version), entity: 'letterVersion', ...v };
  }

  private queryAll(pk: string, prefix: string) {
    return queryAll(this.db, {
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
      ExpressionAttributeValues: { ':pk': pk, ':p': prefix },
      ConsistentRead: true,
    });
  }
}
