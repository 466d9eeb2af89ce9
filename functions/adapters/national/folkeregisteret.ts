import { z } from 'zod';
import type { PostalAddress } from '../../domain/citizens/registries.js';
import { chunk, jsonBody, retryAfterMs, sleep, type OutboundHttp } from './http.js';
import type { MaskinportenTokenClient } from './maskinporten.js';

/**
 * Folkeregisteret "offentlig med hjemmel", bulk lookup (Skatteetaten's konsumenttjenester docs):
 * ≤ 1,000 IDs per call, `part=person-basis&part=relasjon-utvidet&somBestilt=true`, JSON asked
 * for explicitly (XML is the default). Every field is a list of versions; the current one has
 * `erGjeldende: true`. 429 carries Retry-After, which is honoured a bounded number of times.
 *
 * Strict on purpose: a missing person, an answer out of request order or an enum value this code
 * does not know is an error that stops the batch — never read as "alive" or "unprotected".
 */
export const FREG_MAX_IDS = 1_000;
export const FREG_SCOPE = 'folkeregister:deling/offentligmedhjemmel';
export const FREG_PATH = '/folkeregisteret/offentlig-med-hjemmel/api/v1/personer/bulkoppslag';
export const FREG_QUERY = 'part=person-basis&part=relasjon-utvidet&somBestilt=true';

export class FolkeregisteretError extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'FolkeregisteretError';
  }
}

const current = z.object({ erGjeldende: z.boolean() });
const poststed = z.looseObject({ poststedsnavn: z.string().optional(), postnummer: z.string().optional() });
const vegadresse = z.looseObject({
  adressenavn: z.string().optional(),
  adressenummer: z.looseObject({ husnummer: z.string().optional(), husbokstav: z.string().optional() }).optional(),
  poststed: poststed.optional(),
});
const postboksadresse = z.looseObject({ postboks: z.string(), poststed: poststed.optional() });
const fritt = z.looseObject({ adresselinje: z.array(z.string()).optional(), poststed: poststed.optional() });
const address = current.extend({
  vegadresse: vegadresse.optional(),
  postboksadresse: postboksadresse.optional(),
  postadresseIFrittFormat: fritt.optional(),
});

export const FREG_STATUSES = ['bosatt', 'utflyttet', 'forsvunnet', 'doed', 'opphoert', 'foedselsregistrert', 'midlertidig', 'inaktiv', 'ikkeBosatt', 'aktiv'] as const;
export const FREG_GRADERING = ['ugradert', 'klientadresse', 'fortrolig', 'strengtFortrolig'] as const;
export const FREG_ANSVAR = ['felles', 'mor', 'far', 'medmor', 'andre', 'ukjent'] as const;

const folkeregisterperson = z.looseObject({
  navn: z.array(current.extend({ fornavn: z.string().optional(), mellomnavn: z.string().optional(), etternavn: z.string().optional() })).optional(),
  status: z.array(current.extend({ status: z.enum(FREG_STATUSES) })).optional(),
  doedsfall: z.array(current.extend({ doedsdato: z.string().optional() })).optional(),
  postadresse: z.array(address).optional(),
  bostedsadresse: z.array(address).optional(),
  adressebeskyttelse: z.array(current.extend({ graderingsnivaa: z.enum(FREG_GRADERING) })).optional(),
  foreldreansvar: z.array(current.extend({ ansvar: z.enum(FREG_ANSVAR), ansvarlig: z.string().optional() })).optional(),
  vergemaalEllerFremtidsfullmakt: z.array(current).optional(),
});
const answer = z.object({
  oppslag: z.array(
    z.object({
      foedselsEllerDNummer: z.string(),
      folkeregisterperson: folkeregisterperson.optional(),
      feilmelding: z.looseObject({}).or(z.string()).optional(),
    }),
  ),
});

export type FregStatus = (typeof FREG_STATUSES)[number];

/** What this platform reads of one person, from the current versions only. */
export interface FregPerson {
  readonly status: FregStatus;
  readonly deceased: boolean;
  readonly postalAddress?: PostalAddress;
  readonly addressProtected: boolean;
  /** IDs of those with parental responsibility (current `foreldreansvar`). */
  readonly guardians: readonly string[];
  readonly underGuardianship: boolean;
}

/** `undefined` for an ID the register does not know. */
export type FregLookup = Map<string, FregPerson | undefined>;

const gjeldende = <T extends { erGjeldende: boolean }>(versions: readonly T[] | undefined): T[] => (versions ?? []).filter((v) => v.erGjeldende);

const toPostal = (a: z.infer<typeof address> | undefined): PostalAddress | undefined => {
  if (!a) return undefined;
  const place = a.vegadresse?.poststed ?? a.postboksadresse?.poststed ?? a.postadresseIFrittFormat?.poststed;
  if (!place?.postnummer || !place.poststedsnavn) return undefined;
  let lines: string[] = [];
  if (a.vegadresse?.adressenavn) {
    const n = a.vegadresse.adressenummer;
    lines = [[a.vegadresse.adressenavn, n?.husnummer, n?.husbokstav].filter(Boolean).join(' ')];
  } else if (a.postboksadresse) lines = [`Postboks ${a.postboksadresse.postboks}`];
  else if (a.postadresseIFrittFormat?.adresselinje?.length) lines = a.postadresseIFrittFormat.adresselinje;
  if (lines.length === 0) return undefined;
  return { lines, postalCode: place.postnummer, city: place.poststedsnavn, country: 'NO' };
};

export const toFregPerson = (p: z.infer<typeof folkeregisterperson>): FregPerson => {
  const statuses = gjeldende(p.status);
  if (statuses.length !== 1) throw new FolkeregisteretError('Folkeregisteret answered a person without exactly one current status', false);
  const status = statuses[0]!.status;
  const protection = gjeldende(p.adressebeskyttelse).map((a) => a.graderingsnivaa);
  const navn = gjeldende(p.navn)[0];
  const addressee = navn ? [navn.fornavn, navn.mellomnavn, navn.etternavn].filter(Boolean).join(' ') : '';
  const postal = toPostal(gjeldende(p.postadresse)[0]) ?? toPostal(gjeldende(p.bostedsadresse)[0]);
  return {
    status,
    deceased: status === 'doed' || gjeldende(p.doedsfall).length > 0,
    // Paper goes to the postal address, else to the home address (both current versions only).
    postalAddress: postal && addressee ? { addressee, ...postal } : postal,
    addressProtected: protection.some((g) => g === 'fortrolig' || g === 'strengtFortrolig'),
    guardians: gjeldende(p.foreldreansvar)
      .map((f) => f.ansvarlig)
      .filter((id): id is string => typeof id === 'string' && /^\d{11}$/.test(id)),
    underGuardianship: gjeldende(p.vergemaalEllerFremtidsfullmakt).length > 0,
  };
};

export interface FolkeregisteretOptions {
  /** The environment's base URL, before /folkeregisteret/… */
  readonly baseUrl: string;
  readonly http: OutboundHttp;
  readonly tokens: Pick<MaskinportenTokenClient, 'token'>;
  /** 429s answered by waiting Retry-After before giving up (default 2). */
  readonly maxRetries?: number;
  /** A Retry-After longer than this is not waited for here: the batch waits instead (default 5 s). */
  readonly maxWaitMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export class FolkeregisteretClient {
  constructor(private readonly opts: FolkeregisteretOptions) {}

  async lookup(nins: readonly string[]): Promise<FregLookup> {
    const unique = [...new Set(nins)];
    const parts = await Promise.all(chunk(unique, FREG_MAX_IDS).map((c) => this.call(c)));
    return new Map(parts.flatMap((m) => [...m]));
  }

  private async call(ids: readonly string[]): Promise<FregLookup> {
    const wait = this.opts.sleep ?? sleep;
    for (let attempt = 0; ; attempt++) {
      const token = await this.opts.tokens.token([FREG_SCOPE]);
      const res = await this.opts.http.fetch('folkeregisteret', `${this.opts.baseUrl}${FREG_PATH}?${FREG_QUERY}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ foedselsEllerDNummer: ids }),
      });
      if (res.status === 429) {
        await res.body?.cancel();
        const after = retryAfterMs(res) ?? 1_000;
        if (attempt >= (this.opts.maxRetries ?? 2) || after > (this.opts.maxWaitMs ?? 5_000)) {
          throw new FolkeregisteretError('Folkeregisteret asked us to slow down (429)', true, after);
        }
        await wait(after);
        continue;
      }
      const body = await jsonBody(res);
      if (!res.ok) throw new FolkeregisteretError(`Folkeregisteret answered HTTP ${res.status}`, res.status >= 500);
      const parsed = answer.safeParse(body);
      if (!parsed.success) throw new FolkeregisteretError('Folkeregisteret answered something that is not a bulk lookup', false);
      const oppslag = parsed.data.oppslag;
      // somBestilt=true: one entry per ID asked, in request order. Anything else is a broken answer.
      if (oppslag.length !== ids.length || oppslag.some((o, i) => o.foedselsEllerDNummer !== ids[i])) {
        throw new FolkeregisteretError('Folkeregisteret answered a bulk lookup that does not match the request', false);
      }
      const out: FregLookup = new Map();
      for (const o of oppslag) {
        if (o.folkeregisterperson) {
          const person = toFregPerson(o.folkeregisterperson);
          out.set(o.foedselsEllerDNummer, person.status === 'opphoert' ? undefined : person);
        } else if (o.feilmelding !== undefined) out.set(o.foedselsEllerDNummer, undefined);
        else throw new FolkeregisteretError('Folkeregisteret answered an entry with neither person nor error', false);
      }
      return out;
    }
  }
}
