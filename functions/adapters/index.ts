import { dynamo, s3 } from '../shared/clients.js';
import { config } from '../shared/config.js';
import { DynamoAuditLog } from './dynamo/audit-log.js';
import { DynamoProjectRepository } from './dynamo/project-repository.js';
import { DynamoRecipientListRepository } from './dynamo/recipient-list-repository.js';
import { DynamoPopulationRegistry, DynamoRegistryOutage, DynamoReservationRegistry } from './dynamo/citizen-registry.js';
import { DynamoContactLedger } from './dynamo/contact-ledger.js';
import { DynamoRoundRepository } from './dynamo/round-repository.js';
import { S3ListUploadStore } from './s3/list-upload-store.js';
import { DynamoLetterRepository } from './dynamo/letter-repository.js';
import { DynamoCitizenTaskRepository, DynamoFormTaskRepository } from './dynamo/form-task-repository.js';
import { HttpLinkProber } from './http/link-prober.js';
import { LocalChannelGateway } from './channels/local-channels.js';
import { DynamoReceiptsStore } from './dynamo/receipts-store.js';
import { buildNational, type National } from './national/index.js';
import { StandInCitizenFactsReader } from './national/stand-in.js';
import type { CitizenFactsReader } from '../domain/citizens/registries.js';
import type { ChannelGateway } from '../domain/dispatch/channels.js';

/**
 * Which implementations of CitizenFactsReader and ChannelGateway: `national` (default) — the real
 * adapters against the configured endpoints (locally: the contract fakes); `stand-in` — tables
 * only, allowed on the local runtime alone. Deployed, asking for the stand-in is an error.
 */
export const integrationMode = (): 'national' | 'stand-in' => {
  const mode = process.env.NATIONAL_INTEGRATIONS ?? 'national';
  if (mode === 'national') return 'national';
  if (mode === 'stand-in' && config.isLocal()) return 'stand-in';
  throw new Error(`NATIONAL_INTEGRATIONS=${mode} is not allowed here (stand-ins run on the local runtime only)`);
};

/**
 * The composition root: adapters behind their ports, created once per process on first use.
 * Handlers take their dependencies from here; tests can build their own.
 */
const build = () => {
  const db = dynamo();
  const main = config.tableName('main');
  const reservations = new DynamoReservationRegistry(db, config.tableName('citizens'));
  const population = new DynamoPopulationRegistry(db, config.tableName('citizens'));
  // Built on first use only: handlers that never send need no integration settings.
  let national: National | undefined;
  const nationalOnce = (): National =>
    (national ??= buildNational({ db, citizensTable: config.tableName('citizens'), mainTable: main, own: reservations, region: config.region(), local: config.isLocal() }));
  let standInChannels: LocalChannelGateway | undefined;
  return {
    projects: new DynamoProjectRepository(db, main),
    audit: new DynamoAuditLog(db, main),
    lists: new DynamoRecipientListRepository(db, main, config.tableName('recipients')),
    listUploads: new S3ListUploadStore(s3(), config.bucketName('recipientLists')),
    reservations,
    population,
    registryOutage: new DynamoRegistryOutage(db, config.tableName('citizens')),
    /** Registry facts at send time, one read per registry per batch (fails closed). */
    get citizenFacts(): CitizenFactsReader {
      return integrationMode() === 'national' ? nationalOnce().citizenFacts : new StandInCitizenFactsReader(population, reservations);
    },
    /** The delivery channels: ePROM (helsenorge) and Digipost (digital mailbox, paper). */
    get channels(): ChannelGateway {
      if (integrationMode() === 'national') return nationalOnce().channels;
      const g = (standInChannels ??= new LocalChannelGateway(db, config.tableName('citizens'), true));
      return {
        deliver: async (channel, items) =>
          new Map(
            [...(await g.deliver(channel, items))].map(([id, r]) => [
              id,
              r.ok ? r : r.transient ? { ok: false, transient: true, reason: r.reason } : { ok: false, transient: false, reason: r.reason },
            ]),
          ),
      };
    },
    /** Receipts per delivery (ePROM callbacks, Digipost status): the round view's `receipts`. */
    receipts: new DynamoReceiptsStore(db, main),
    /** Callback key, privacy mirror refresh and Digipost status polling. */
    national: (): National => nationalOnce(),
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
    /** Secret of the keyed hashes that stand in for national IDs (audit, pseudonymous responses). */
    citizenHashKey: () => config.citizenHashKey(),
  };
};

let deps: ReturnType<typeof build> | undefined;
export const adapters = (): ReturnType<typeof build> => (deps ??= build());
export type Adapters = ReturnType<typeof build>;
