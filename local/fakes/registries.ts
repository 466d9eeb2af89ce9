import type { DynamoPopulationRegistry, DynamoRegistryOutage, SeededPerson } from '../../functions/adapters/dynamo/citizen-registry.js';
import { FREG_PATH } from '../../functions/adapters/national/folkeregisteret.js';
import type { MaskinportenFake } from './maskinporten.js';
import { htmlOutage, json, parseJson, startFakeServer, type FakeResponse, type FakeServer } from './server.js';

/**
 * Fakes of KRR, Folkeregisteret and the privacy component, serving what was seeded through
 * PUT /registry/population (DynamoPopulationRegistry.seededPeople) and going down on
 * PUT /registry/outage — both kept in the citizens table, so every process sees the same.
 * They refuse what the real services refuse: a token without the scope, more than 1,000 IDs, a
 * Folkeregisteret request without the JSON content type or the agreed parts.
 */
export interface RegistryFakeDeps {
  readonly people: Pick<DynamoPopulationRegistry, 'seededPeople'>;
  readonly outage: Pick<DynamoRegistryOutage, 'isDown'>;
  readonly tokens: Pick<MaskinportenFake, 'allows'>;
}

const isJsonRequest = (headers: Record<string, string | undefined>) => /^application\/json\b/i.test(headers['content-type'] ?? '');
const ids = (v: unknown): string[] | undefined => (Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined);

export const startKrrFake = (deps: RegistryFakeDeps): Promise<FakeServer> =>
  startFakeServer('krr', async (req): Promise<FakeResponse> => {
    if (req.method !== 'POST' || req.url.pathname !== '/rest/v2/personer') return json(404, { message: 'not found' });
    if (!deps.tokens.allows(req.headers.authorization, 'krr:global/kontaktinformasjon.read')) return json(401, { message: 'invalid token' });
    if (await deps.outage.isDown('contact')) return htmlOutage();
    const body = parseJson(req.body) as { personidentifikatorer?: unknown } | undefined;
    const nins = ids(body?.personidentifikatorer);
    if (!isJsonRequest(req.headers) || !nins || nins.length === 0 || nins.length > 1_000) return json(400, { message: '1 to 1000 personidentifikatorer' });
    const people = await deps.people.seededPeople(nins);
    const personer = nins.flatMap((nin) => {
      const p = people.get(nin);
      if (!p || p.deceased) return [];
      return [
        {
          personidentifikator: nin,
          reservasjon: p.reservedAgainstDigital ? 'JA' : 'NEI',
          status: 'AKTIV',
          varslingsstatus: 'KAN_VARSLES',
          kontaktinformasjon: { epostadresse: 'innbygger@example.invalid' },
          ...(p.digitalMailbox && !p.reservedAgainstDigital ? { digital_post: { postkasseadresse: `innbygger#${nin.slice(-4)}`, postkasseleverandoeradresse: '984661185' } } : {}),
          spraak: p.language,
        },
      ];
    });
    return json(200, { personer });
  });

export interface FolkeregisteretFake extends FakeServer {
  /** The next `count` calls answer 429 with this Retry-After (seconds). */
  throttle(count: number, retryAfterSeconds: number): void;
  readonly calls: () => number;
}

const v = <T extends object>(x: T) => ({ ...x, erGjeldende: true });
const old = <T extends object>(x: T) => ({ ...x, erGjeldende: false });

const fregPerson = (nin: string, p: SeededPerson) => ({
  identifikasjonsnummer: [v({ foedselsEllerDNummer: nin })],
  navn: [v({ fornavn: 'Test', etternavn: `Person ${nin.slice(-3)}` })],
  // A superseded version first: readers must pick the current one, not the first.
  status: [old({ status: 'utflyttet' }), v({ status: p.deceased ? 'doed' : 'bosatt' })],
  ...(p.deceased ? { doedsfall: [v({ doedsdato: '2025-01-01' })] } : {}),
  ...(p.postalAddress
    ? {
        postadresse: [
          old({ vegadresse: { adressenavn: 'Gamleveien', adressenummer: { husnummer: '1' }, poststed: { poststedsnavn: 'BERGEN', postnummer: '5003' } } }),
          v({ vegadresse: { adressenavn: 'Testveien', adressenummer: { husnummer: nin.slice(-2) }, poststed: { poststedsnavn: 'OSLO', postnummer: '0150' } } }),
        ],
      }
    : {}),
  adressebeskyttelse: [v({ graderingsnivaa: p.addressProtected ? 'strengtFortrolig' : 'ugradert' })],
  ...(p.guardians.length ? { foreldreansvar: p.guardians.map((g) => v({ ansvar: 'felles', ansvarlig: g })) } : {}),
});

export const startFolkeregisteretFake = async (deps: RegistryFakeDeps): Promise<FolkeregisteretFake> => {
  let throttled = 0;
  let retryAfter = 1;
  let calls = 0;
  const server = await startFakeServer('folkeregisteret', async (req): Promise<FakeResponse> => {
    if (req.method !== 'POST' || req.url.pathname !== FREG_PATH) return json(404, { kode: 'FREG-404', melding: 'ukjent ressurs' });
    calls++;
    if (!deps.tokens.allows(req.headers.authorization, 'folkeregister:deling/offentligmedhjemmel')) return json(401, { kode: 'FREG-001', melding: 'ugyldig token' });
    // XML is the service's default: without the JSON content type it neither reads nor answers JSON.
    if (!isJsonRequest(req.headers)) return { status: 415, body: '<feil><kode>FREG-006</kode></feil>', contentType: 'application/xml' };
    if (await deps.outage.isDown('population')) return htmlOutage();
    if (throttled > 0) {
      throttled--;
      return json(429, { kode: 'FREG-429', melding: 'for mange forespørsler' }, { 'retry-after': String(retryAfter) });
    }
    const parts = req.url.searchParams.getAll('part');
    if (!parts.includes('person-basis') || !parts.includes('relasjon-utvidet') || req.url.searchParams.get('somBestilt') !== 'true') {
      return json(400, { kode: 'FREG-002', melding: 'ugyldige parametere' });
    }
    const nins = ids((parseJson(req.body) as { foedselsEllerDNummer?: unknown } | undefined)?.foedselsEllerDNummer);
    if (!nins || nins.length === 0 || nins.length > 1_000) return json(400, { kode: 'FREG-003', melding: 'mellom 1 og 1000 identifikatorer' });
    const people = await deps.people.seededPeople(nins);
    const oppslag = nins.map((nin) => {
      const p = people.get(nin);
      return p ? { foedselsEllerDNummer: nin, folkeregisterperson: fregPerson(nin, p) } : { foedselsEllerDNummer: nin, feilmelding: { feilmelding: 'fant ikke person' } };
    });
    return json(200, { oppslag });
  });
  return {
    ...server,
    calls: () => calls,
    throttle: (count, seconds) => {
      throttled = count;
      retryAfter = seconds;
    },
  };
};

/**
 * The privacy component through ePROM: lists the citizens with an active setting of a definition,
 * in pages, and answers one person's setting (getpersonverninnstilling). It serves what its `set` put in (tests) and, for the guardian-access definition, the
 * people seeded with `guardianAccessReserved`. (The platform's own reservation records, seeded by
 * PUT /registry/reservations, are read by the platform directly, not through this fake.)
 */
export interface PrivacyFake extends FakeServer {
  set(pvkId: string, nins: readonly string[], active: boolean): void;
  readonly pageSize: number;
}

export const startPrivacyFake = async (
  deps: Omit<RegistryFakeDeps, 'tokens'> & { apiKey: string; guardianAccessPvkId: string; guardianAccessAmong: () => Promise<string[]> },
  pageSize = 500,
): Promise<PrivacyFake> => {
  const sets = new Map<string, Set<string>>();
  const server = await startFakeServer('privacy', async (req): Promise<FakeResponse> => {
    const list = req.url.pathname === '/api/v2/get-residents-active-pi-for-definition';
    const one = req.url.pathname === '/api/v2/getpersonverninnstilling';
    if (req.method !== 'POST' || (!list && !one)) return json(404, { message: 'not found' });
    if (req.headers.authorization !== `Basic ${deps.apiKey}`) return json(401, { message: 'Feil i ApiKey' });
    if (await deps.outage.isDown('reservations')) return htmlOutage();
    if (one) {
      // One person's setting: {nationalId, type: 0 Reservasjon | 1 Samtykke, pvkId} → {status: 0 IkkeAktiv | 1 Aktiv}.
      const q = parseJson(req.body) as { nationalId?: unknown; type?: unknown; pvkId?: unknown } | undefined;
      if (typeof q?.nationalId !== 'string' || (q.type !== 0 && q.type !== 1) || typeof q.pvkId !== 'string') return json(400, { message: 'nationalId, type and pvkId' });
      const active = (sets.get(q.pvkId)?.has(q.nationalId) ?? false) || (q.pvkId === deps.guardianAccessPvkId && (await deps.guardianAccessAmong()).includes(q.nationalId));
      return json(200, { status: active ? 1 : 0, pvkId: q.pvkId, type: q.type });
    }
    const body = parseJson(req.body) as { pvkId?: unknown; pagingReference?: unknown } | undefined;
    if (typeof body?.pvkId !== 'string' || typeof body.pagingReference !== 'number') return json(400, { message: 'pvkId and pagingReference' });
    const all = [...(sets.get(body.pvkId) ?? [])];
    if (body.pvkId === deps.guardianAccessPvkId) all.push(...(await deps.guardianAccessAmong()));
    const from = body.pagingReference;
    const page = all.sort().slice(from, from + pageSize);
    const nextRef = from + pageSize < all.length ? from + pageSize : 0;
    return json(200, { nationalIds: page, pagingReference: nextRef });
  });
  return {
    ...server,
    pageSize,
    set: (pvkId, nins, active) => {
      const s = sets.get(pvkId) ?? new Set<string>();
      for (const n of nins) {
        if (active) s.add(n);
        else s.delete(n);
      }
      sets.set(pvkId, s);
    },
  };
};
