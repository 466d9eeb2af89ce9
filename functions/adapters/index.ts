import { dynamo, s3 } from '../shared/clients.js';
import { config } from '../shared/config.js';
import { DynamoAuditLog } from './dynamo/audit-log.js';
import { DynamoProjectRepository } from './dynamo/project-repository.js';
import { DynamoRecipientListRepository } from './dynamo/recipient-list-repository.js';
import { DynamoPopulationRegistry, DynamoReservationRegistry } from './dynamo/citizen-registry.js';
import { DynamoContactLedger } from './dynamo/contact-ledger.js';
import { DynamoRoundRepository } from './dynamo/round-repository.js';
import { S3ListUploadStore } from './s3/list-upload-store.js';
import { DynamoLetterRepository } from './dynamo/letter-repository.js';
import { DynamoCitizenTaskRepository, DynamoFormTaskRepository } from './dynamo/form-task-repository.js';
import { HttpLinkProber } from './http/link-prober.js';
import { LocalChannelGateway } from './channels/local-channels.js';

/**
 * The composition root: adapters behind their ports, created once per process on first use.
 * Handlers take their dependencies from here; tests can build their own.
 */
const build = () => {
  const db = dynamo();
  const main = config.tableName('main');
  return {
    projects: new DynamoProjectRepository(db, main),
    // Its own table (lib/resources.ts): no function may update or delete an audit entry.
    audit: new DynamoAuditLog(db, config.tableName('audit')),
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
    /**
     * The portal inbox stand-in, for the citizen's inbox endpoint: read through the channel
     * gateway's own records, without the dispatch adapters (which need the hash key, and the
     * citizen-facing inbox function is not given it).
     */
    inbox: new LocalChannelGateway(db, config.tableName('citizens'), config.isLocal()),
    /** Secret of the keyed hashes that stand in for national IDs (audit, pseudonymous responses). */
    citizenHashKey: () => config.citizenHashKey(),
  };
};

let deps: ReturnType<typeof build> | undefined;
export const adapters = (): ReturnType<typeof build> => (deps ??= build());
export type Adapters = ReturnType<typeof build>;
