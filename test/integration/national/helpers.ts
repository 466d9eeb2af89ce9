import { readFileSync } from 'node:fs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoPopulationRegistry, DynamoRegistryOutage, DynamoReservationRegistry } from '../../../functions/adapters/dynamo/citizen-registry.js';
import { buildNational } from '../../../functions/adapters/national/index.js';
import { OutboundHttp } from '../../../functions/adapters/national/http.js';
import { MaskinportenTokenClient, parseSigningKey } from '../../../functions/adapters/national/maskinporten.js';
import { syntheticNins } from '../../../functions/domain/lists/nin-generator.js';
import { hashKeyring } from '../../../functions/shared/hash-keys.js';
import type { Platform } from '../../../local/platform.js';

/** The real national adapters, built from the platform's environment exactly as the composition root does. */
export const nationalOf = (p: Platform) => {
  const db = DynamoDBDocumentClient.from(p.dynamo, { marshallOptions: { removeUndefinedValues: true } });
  const citizens = p.env.TABLE_CITIZENS!;
  const own = new DynamoReservationRegistry(db, citizens, hashKeyring);
  return {
    db,
    own,
    people: new DynamoPopulationRegistry(db, citizens, hashKeyring),
    outage: new DynamoRegistryOutage(db, citizens),
    national: buildNational({ db, citizensTable: citizens, mainTable: p.env.TABLE_MAIN!, own, hashKeys: hashKeyring, region: 'eu-north-1', local: true, env: p.env }),
  };
};

export const httpFor = (p: Platform) =>
  new OutboundHttp({
    allowedOrigins: [p.fakes.maskinporten.url, p.fakes.krr.url, p.fakes.folkeregisteret.url, p.fakes.eprom.url, p.fakes.digipost.url, p.fakes.privacy.url],
    timeoutMs: 5_000,
  });

export const tokenClient = (p: Platform, overrides: { audience?: string; clientId?: string } = {}) =>
  new MaskinportenTokenClient({
    tokenUrl: p.fakes.maskinporten.tokenUrl,
    audience: overrides.audience ?? p.fakes.maskinporten.audience,
    clientId: overrides.clientId ?? p.env.MASKINPORTEN_CLIENT_ID!,
    signingKey: () => parseSigningKey(readFileSync(p.env.MASKINPORTEN_KEY_FILE!, 'utf8')),
    http: httpFor(p),
  });

import { ageFromNin } from '../../../functions/domain/shared/nin.js';

let next = 0;
/** Fresh synthetic IDs per call (and per file: a random start), so tests never share a person. */
const base = Math.floor(Math.random() * 500_000);
export const freshNins = (n: number): string[] => {
  const out = syntheticNins(n, base + next);
  next += n;
  return out;
};

/** Fresh synthetic IDs of people aged at least `minAge`. */
export const adultNins = (n: number, minAge = 18): string[] => {
  const out: string[] = [];
  while (out.length < n) {
    for (const nin of freshNins(n * 2)) {
      const age = ageFromNin(nin, new Date(), { allowSynthetic: true });
      if (age.ok && age.age >= minAge && out.length < n) out.push(nin);
    }
  }
  return out;
};
