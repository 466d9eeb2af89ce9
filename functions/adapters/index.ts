import { dynamo, s3 } from '../shared/clients.js';
import { config } from '../shared/config.js';
import { DynamoAuditLog } from './dynamo/audit-log.js';
import { DynamoProjectRepository } from './dynamo/project-repository.js';
import { DynamoRecipientListRepository } from './dynamo/recipient-list-repository.js';
import { DynamoPopulationRegistry, DynamoReservationRegistry } from './dynamo/citizen-registry.js';
import { DynamoContactLedger } from './dynamo/contact-ledger.js';
import { DynamoRoundRepository } from './dynamo/round-repository.js';
import { S3ListUploadStore } from './s3/list-upload-store.js';
import { S3AuditSeal } from './s3/audit-seal-store.js';
import { DynamoLetterRepository } from './dynamo/letter-repository.js';
import { DynamoCitizenTaskRepository, DynamoFormTaskRepository } from './dynamo/form-task-repository.js';
import { HttpLinkProber } from './http/link-prober.js';

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
    /** Sealed audit heads (S3 Object Lock); the engine seals a project's head when a round completes. */
    auditSeal: new S3AuditSeal(s3(), config.auditSealBucket(), config.auditSealRetentionDays()),
    lists: new DynamoRecipientListRepository(db, main, config.tableName('recipients')),
    listUploads: new S3ListUploadStore(s3(), config.bucketName('recipientLists')),
    reservations: new DynamoReservationRegistry(db, config.tableName('citizens')),
    population: new DynamoPopulationRegistry(db, config.tableName('citizens')),
    contacts: new DynamoContactLedger(db, config.tableName('citizens')),
    rounds: new DynamoRoundRepository(db, main),
    letters: new DynamoLetterRepository(db, main),
    formTasks: new DynamoFormTaskRepository(db, main),
    citizenTasks: new DynamoCitizenTaskRepository(db, config.tableName('citizens'), main),
    prober: new HttpLinkProber({
      local: config.isLocal(),
      // Tests shorten the 5 s probe timeout so a hanging link target does not slow them down.
      timeoutMs: Number(process.env.LINK_PROBE_TIMEOUT_MS ?? '') || 5_000,
    }),
    /** The current key of the keyed hash that stands in for national IDs (unversioned callers). */
    citizenHashKey: () => config.citizenHashKey(),
    /** Every live version of the citizen hash key: global keys and project pseudonyms derive from it. */
    hashKeys: () => config.hashKeys(),
  };
};

let deps: ReturnType<typeof build> | undefined;
export const adapters = (): ReturnType<typeof build> => (deps ??= build());
export type Adapters = ReturnType<typeof build>;
