import { createPrivateKey } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CitizenFactsReader } from '../../domain/citizens/registries.js';
import type { ChannelGateway } from '../../domain/dispatch/channels.js';
import type { HashKeyring } from '../../domain/shared/citizen-key.js';
import { DynamoPopulationRegistry, type DynamoReservationRegistry } from '../dynamo/citizen-registry.js';
import { DynamoReceiptsStore } from '../dynamo/receipts-store.js';
import { NationalChannelGateway } from './channel-gateway.js';
import { assumePortalUsers, RegistryCitizenFactsReader, type PortalActivitySource } from './citizen-facts.js';
import { allowedOrigins, readNationalConfig, type NationalConfig } from './config.js';
import { DigipostClient } from './digipost.js';
import { DigipostSigner } from './digipost-signing.js';
import { EpromClient } from './eprom.js';
import { FolkeregisteretClient } from './folkeregisteret.js';
import { OutboundHttp } from './http.js';
import { KrrClient } from './krr.js';
import { MaskinportenTokenClient, parseSigningKey } from './maskinporten.js';
import { DynamoPrivacyMirror, PrivacyComponentClient, PrivacyReservations } from './privacy.js';
import { derived, readSecret } from '../../shared/secrets.js';
import { noteSecretRead } from '../../shared/secret-reads.js';
import { FleetRateLimiter } from '../channels/fleet-rate-limit.js';
import { DynamoRateWindowStore } from '../dynamo/rate-limit-store.js';
import { rateLimitedDigipost, rateLimitedEprom } from './rate-limited.js';
import type { IntegrationSecret } from '../../../lib/access-matrix.js';

/**
 * The national integrations, built once per container from configuration: what the composition
 * root hands to the engine (`citizenFacts`, `channels`), to the callback endpoints and to the
 * scheduled jobs (`privacy`, `digipost`, `receipts`, `callbackKey`).
 */
export interface NationalDeps {
  readonly db: DynamoDBDocumentClient;
  /** The citizens table (privacy mirror, local seed). */
  readonly citizensTable: string;
  /** The main table (receipts). */
  readonly mainTable: string;
  /** The platform's own reservation and withdrawal records. */
  readonly own: DynamoReservationRegistry;
  /** The citizen hash keyring: the privacy mirror is keyed by keyed hash, never by national ID. */
  readonly hashKeys: () => HashKeyring;
  readonly region: string;
  readonly local: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Locally: who uses the portal is part of the seed (no public API tells it; see PortalActivitySource). */
const seededPortalActivity = (people: DynamoPopulationRegistry): PortalActivitySource => ({
  inactiveAmong: async (nins) => {
    const seeded = await people.seededPeople(nins);
    return new Set(nins.filter((n) => seeded.get(n)?.digitallyActive === false));
  },
});

/**
 * The channel clients behind the fleet's rate limit per service (lib/throughput.ts
 * channelRatePerSecond): every worker counts in the same per-second counters of the main table.
 */
export const fleetRateLimited = (
  clients: { eprom: Pick<EpromClient, 'send'>; digipost: Pick<DigipostClient, 'send' | 'find'> },
  deps: { db: DynamoDBDocumentClient; mainTable: string; ratePerSecond: NationalConfig['ratePerSecond']; chunk: number },
) => {
  const store = new DynamoRateWindowStore(deps.db, deps.mainTable);
  return {
    eprom: rateLimitedEprom(clients.eprom, new FleetRateLimiter({ service: 'eprom', store, ratePerSecond: deps.ratePerSecond.eprom, chunk: deps.chunk })),
    digipost: rateLimitedDigipost(clients.digipost, new FleetRateLimiter({ service: 'digipost', store, ratePerSecond: deps.ratePerSecond.digipost, chunk: deps.chunk })),
  };
};

export const buildNational = (deps: NationalDeps) => {
  const cfg: NationalConfig = readNationalConfig(deps.env ?? process.env, deps.local);
  const http = new OutboundHttp({ allowedOrigins: allowedOrigins(cfg), timeoutMs: cfg.httpTimeoutMs });
  // Each use names the secret it needs (secret-reads.ts), also where a cache spares the read:
  // in AWS every container reads it at most every SECRET_MAX_AGE_MS, whichever function it runs.
  const secret = (name: IntegrationSecret, ref: Parameters<typeof readSecret>[0]) => () => {
    noteSecretRead(name);
    return readSecret(ref, deps.region);
  };

  const tokenClient = new MaskinportenTokenClient({
    tokenUrl: cfg.maskinporten.tokenUrl,
    audience: cfg.maskinporten.audience,
    clientId: cfg.maskinporten.clientId,
    signingKey: derived(secret('maskinportenKey', cfg.maskinporten.key), parseSigningKey),
    http,
  });
  const tokens: Pick<MaskinportenTokenClient, 'token'> = {
    token: (scopes) => {
      noteSecretRead('maskinportenKey');
      return tokenClient.token(scopes);
    },
  };
  const population = new FolkeregisteretClient({ baseUrl: cfg.fregBaseUrl, http, tokens });
  const contact = new KrrClient({ baseUrl: cfg.krrBaseUrl, http, tokens });
  const eprom = new EpromClient({ baseUrl: cfg.eprom.baseUrl, apiKey: secret('epromApiKey', cfg.eprom.apiKey), http, defaultSender: cfg.sender });
  const privacyClient = new PrivacyComponentClient({ baseUrl: cfg.privacy.baseUrl, apiKey: secret('epromApiKey', cfg.eprom.apiKey), http });
  const privacy = new PrivacyReservations({ client: privacyClient, mirror: new DynamoPrivacyMirror(deps.db, deps.citizensTable, deps.hashKeys), maxAgeMs: cfg.privacy.maxAgeMs });
  const digipostKeyOnce = derived(secret('digipostKey', cfg.digipost.key), (pem) => createPrivateKey(pem));
  const digipostKey = () => {
    noteSecretRead('digipostKey');
    return digipostKeyOnce();
  };
  const digipost = new DigipostClient({
    baseUrl: cfg.digipost.baseUrl,
    senderId: cfg.digipost.senderId,
    signer: new DigipostSigner(cfg.digipost.senderId, digipostKey),
    http,
    returnAddress: cfg.digipost.returnAddress,
  });
  const receipts = new DynamoReceiptsStore(deps.db, deps.mainTable);

  const citizenFacts: CitizenFactsReader = new RegistryCitizenFactsReader({
    population,
    contact,
    privacy,
    own: deps.own,
    portal: cfg.portalActivity === 'seeded' ? seededPortalActivity(new DynamoPopulationRegistry(deps.db, deps.citizensTable)) : assumePortalUsers,
    researchPvkIds: cfg.privacy.researchPvkIds,
    ...(cfg.privacy.guardianAccessPvkId ? { guardianAccessPvkId: cfg.privacy.guardianAccessPvkId } : {}),
    timeoutMs: cfg.registryTimeoutMs,
  });
  // Letters are sent through the rate limit; status questions (digipost.find in fateOf) count as none.
  const limited = fleetRateLimited({ eprom, digipost }, { db: deps.db, mainTable: deps.mainTable, ratePerSecond: cfg.ratePerSecond, chunk: cfg.channelInFlight });
  const channels: ChannelGateway = new NationalChannelGateway({ ...limited, receipts, concurrency: cfg.channelInFlight });

  return {
    config: cfg,
    citizenFacts,
    channels,
    receipts,
    privacy,
    digipost,
    /** The definitions the scheduled refresh mirrors. */
    pvkIds: [...cfg.privacy.researchPvkIds, ...(cfg.privacy.guardianAccessPvkId ? [cfg.privacy.guardianAccessPvkId] : [])],
    /** The key ePROM's callbacks must carry. */
    callbackKey: secret('epromCallbackKey', cfg.eprom.callbackKey),
  };
};

export type National = ReturnType<typeof buildNational>;
