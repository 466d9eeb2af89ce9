import { GetCommand, PutCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ProjectRepository } from '../../domain/projects/ports.js';
import { DEFAULT_SETTINGS, type Project } from '../../domain/projects/project.js';
import { batchGetAll, queryAll } from './batch.js';
import { ConcurrentUpdateError, isConditionFailure } from './errors.js';
import { keys } from './keys.js';

const STRIP = new Set(['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk']);
/** Settings added later (e.g. `minors`) take their defaults on projects stored before them. */
const toProject = (item: Record<string, unknown>): Project => {
  const p = Object.fromEntries(Object.entries(item).filter(([k]) => !STRIP.has(k))) as unknown as Project;
  return { ...p, settings: { ...DEFAULT_SETTINGS, ...p.settings } };
};

const projectItem = (p: Project) => ({
  ...keys.project(p.projectId),
  gsi1pk: `ORG#${p.organization}`,
  gsi1sk: `PROJECT#${p.createdAt}#${p.projectId}`,
  ...keys.allProjects(p.createdAt, p.projectId),
  ...p,
});

export class DynamoProjectRepository implements ProjectRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async createProject(project: Project, creator: string): Promise<void> {
    await this.db.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: this.table, Item: projectItem(project), ConditionExpression: 'attribute_not_exists(pk)' } },
          { Put: { TableName: this.table, Item: this.memberItem(project.projectId, creator, creator, project.createdAt) } },
        ],
      }),
    );
  }

  async getProject(projectId: string, opts: { consistent?: boolean } = {}): Promise<Project | undefined> {
    const res = await this.db.send(new GetCommand({ TableName: this.table, Key: keys.project(projectId), ConsistentRead: opts.consistent ?? true }));
    return res.Item ? toProject(res.Item) : undefined;
  }

  async saveProject(project: Project, expectedRevision: number): Promise<void> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: projectItem({ ...project, revision: expectedRevision + 1 }),
          ConditionExpression: 'revision = :rev',
          ExpressionAttributeValues: { ':rev': expectedRevision },
        }),
      );
    } catch (e) {
      if (isConditionFailure(e)) throw new ConcurrentUpdateError('project');
      throw e;
    }
  }

  async isMember(projectId: string, sub: string): Promise<boolean> {
    const res = await this.db.send(new GetCommand({ TableName: this.table, Key: keys.member(projectId, sub), ConsistentRead: true }));
    return res.Item !== undefined;
  }

  async addMember(projectId: string, sub: string, addedBy: string): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.table, Item: this.memberItem(projectId, sub, addedBy, new Date().toISOString()) }));
  }

  async listMembers(projectId: string): Promise<string[]> {
    const items = await this.queryAll({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :m)',
      ExpressionAttributeValues: { ':pk': keys.project(projectId).pk, ':m': 'MEMBER#' },
    });
    return items.map((i) => String(i.sub));
  }

  async listProjectsOfMember(sub: string): Promise<Project[]> {
    const memberships = await this.queryAll({
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :m',
      ExpressionAttributeValues: { ':m': `MEMBER#${sub}` },
    });
    const found = await batchGetAll(
      this.db,
      this.table,
      memberships.map((m) => keys.project(String(m.projectId))),
    );
    return found.map(toProject).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async listProjectsOfOrganization(org: string): Promise<Project[]> {
    const items = await this.queryAll({
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :o AND begins_with(gsi1sk, :p)',
      ExpressionAttributeValues: { ':o': `ORG#${org}`, ':p': 'PROJECT#' },
    });
    return items.map(toProject);
  }

  /**
   * Operations see every project: one query on the sparse project index (gsi2), in creation
   * order, never a scan of a table that also holds every round's batches and lists.
   */
  async listAllProjects(): Promise<Project[]> {
    const items = await this.queryAll({
      IndexName: 'gsi2',
      KeyConditionExpression: 'gsi2pk = :p',
      ExpressionAttributeValues: { ':p': keys.allProjects('', '').gsi2pk },
    });
    return items.map(toProject);
  }

  private memberItem(projectId: string, sub: string, addedBy: string, at: string) {
    return { ...keys.member(projectId, sub), gsi1pk: `MEMBER#${sub}`, gsi1sk: `PROJECT#${projectId}`, projectId, sub, addedBy, addedAt: at };
  }

  private queryAll(input: Omit<Parameters<typeof queryAll>[1], 'TableName'>) {
    return queryAll(this.db, { TableName: this.table, ...input });
  }
}
