import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoPopulationRegistry, DynamoRegistryOutage, DynamoReservationRegistry } from '../../functions/adapters/dynamo/citizen-registry.js';
import { hashKeyring } from '../../functions/shared/hash-keys.js';
import { startDigipostFake } from './digipost.js';
import { startEpromFake, type EpromFake } from './eprom.js';
import { startMaskinportenFake, type MaskinportenFake } from './maskinporten.js';
import { startFolkeregisteretFake, startKrrFake, startPrivacyFake, type FolkeregisteretFake, type PrivacyFake } from './registries.js';
import type { FakeServer } from './server.js';

/**
 * Every contract fake on its own loopback port, with fresh keys: the platform's adapters get the
 * fakes' URLs and the key files through the same environment variables a deployed stack sets
 * (there: endpoints and Secrets Manager ARNs). Keys are written to a private temp directory
 * (mode 0600), never to the environment.
 */
export const RESEARCH_PVK_ID = 'local-research-reservation';
export const GUARDIAN_ACCESS_PVK_ID = 'local-guardian-access';

export interface Fakes {
  readonly env: Record<string, string>;
  readonly maskinporten: MaskinportenFake;
  readonly krr: FakeServer;
  readonly folkeregisteret: FolkeregisteretFake;
  readonly privacy: PrivacyFake;
  readonly eprom: EpromFake;
  readonly digipost: FakeServer;
  /** The ePROM fake calls the sender back here (the platform API) once it is known. */
  setCallbackTarget(url: string): void;
  close(): Promise<void>;
}

export const startFakes = async (db: DynamoDBDocumentClient, citizensTable: string): Promise<Fakes> => {
  const dir = mkdtempSync(join(tmpdir(), 'rd-fakes-'));
  const secret = (name: string, value: string) => {
    const file = join(dir, name);
    writeFileSync(file, value, { mode: 0o600 });
    return file;
  };
  // The keyring only if an old data directory still holds guardian-access seeds keyed by ID (moved on first listing).
  const people = new DynamoPopulationRegistry(db, citizensTable, hashKeyring);
  const outage = new DynamoRegistryOutage(db, citizensTable);
  const reservations = new DynamoReservationRegistry(db, citizensTable);

  const mp = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = `local-${randomUUID()}`;
  const clientId = 'research-dispatch-local';
  const maskinporten = await startMaskinportenFake({ clientId, kid, publicKey: mp.publicKey, lifetimeFor: (s) => (s.startsWith('krr:') ? 119 : 599) });
  const krr = await startKrrFake({ people, outage, tokens: maskinporten });
  const folkeregisteret = await startFolkeregisteretFake({ people, outage, tokens: maskinporten });
  const epromKey = randomBytes(24).toString('base64url');
  const callbackKey = randomBytes(24).toString('base64url');
  const privacy = await startPrivacyFake({ people, outage, apiKey: epromKey, guardianAccessPvkId: GUARDIAN_ACCESS_PVK_ID, guardianAccessAmong: () => people.guardianAccessReserved() });
  let callbackUrl: string | undefined;
  const eprom = await startEpromFake({
    db,
    citizensTable,
    people,
    reservations,
    apiKey: epromKey,
    callback: () => (callbackUrl ? { url: callbackUrl, apiKey: callbackKey } : undefined),
  });
  const dp = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const senderId = '100001';
  const digipost = await startDigipostFake({ db, citizensTable, people, senderId, publicKey: dp.publicKey });

  const env: Record<string, string> = {
    NATIONAL_INTEGRATIONS: 'national',
    MASKINPORTEN_TOKEN_URL: maskinporten.tokenUrl,
    MASKINPORTEN_AUDIENCE: maskinporten.audience,
    MASKINPORTEN_CLIENT_ID: clientId,
    MASKINPORTEN_KEY_FILE: secret('maskinporten.json', JSON.stringify({ kid, privateKeyPem: mp.privateKey.export({ type: 'pkcs8', format: 'pem' }) })),
    KRR_BASE_URL: krr.url,
    FREG_BASE_URL: folkeregisteret.url,
    EPROM_BASE_URL: eprom.url,
    EPROM_API_KEY_FILE: secret('eprom-api-key', epromKey),
    EPROM_CALLBACK_KEY_FILE: secret('eprom-callback-key', callbackKey),
    PRIVACY_BASE_URL: privacy.url,
    PRIVACY_RESEARCH_PVK_IDS: RESEARCH_PVK_ID,
    PRIVACY_GUARDIAN_ACCESS_PVK_ID: GUARDIAN_ACCESS_PVK_ID,
    // Locally the mirror is refreshed at every read, so PUT /registry/outage takes effect at once.
    PRIVACY_MIRROR_MAX_AGE_MS: '0',
    DIGIPOST_BASE_URL: digipost.url,
    DIGIPOST_SENDER_ID: senderId,
    DIGIPOST_KEY_FILE: secret('digipost.pem', dp.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string),
    DIGIPOST_RETURN_ADDRESS: JSON.stringify({ name: 'research-dispatch', line: 'Postboks 1', postalCode: '0101', city: 'OSLO' }),
    SENDER_ORGANISATION_NAME: 'research-dispatch (lokal)',
    PORTAL_ACTIVITY: 'seeded',
  };
  const servers: FakeServer[] = [maskinporten, krr, folkeregisteret, privacy, eprom, digipost];
  return {
    env,
    maskinporten,
    krr,
    folkeregisteret,
    privacy,
    eprom,
    digipost,
    setCallbackTarget: (url) => {
      callbackUrl = url;
    },
    close: async () => {
      await Promise.allSettled(servers.map((s) => s.close()));
    },
  };
};
