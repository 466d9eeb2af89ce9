import { dynamo } from '../shared/clients.js';
import { config } from '../shared/config.js';
import { DynamoAuditLog } from './dynamo/audit-log.js';
import { DynamoProjectRepository } from './dynamo/project-repository.js';

/**
 * The composition root: adapters behind their ports, created once per process on first use.
 * Handlers take their dependencies from here; tests can build their own.
 */
const build = () => {
  const db = dynamo();
  const main = config.tableName('main');
  return {
    projects: new DynamoProjectRepository(db, main),
    audit: new DynamoAuditLog(db, main),
  };
};

let deps: ReturnType<typeof build> | undefined;
export const adapters = (): ReturnType<typeof build> => (deps ??= build());
export type Adapters = ReturnType<typeof build>;
