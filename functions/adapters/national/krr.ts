import { z } from 'zod';
import { chunk, jsonBody, type OutboundHttp } from './http.js';
import type { MaskinportenTokenClient } from './maskinporten.js';

/**
 * KRR, the contact and reservation register (oppslagstjenesten REST v2): digital reservation,
 * status, digital mailbox and language, for at most 1,000 IDs per call. People the register does
 * not hold may be left out of the answer; they come back absent from the map.
 */
export const KRR_MAX_IDS = 1_000;
export const KRR_SCOPES = ['krr:global/kontaktinformasjon.read', 'krr:global/digitalpost.read'] as const;

export class KrrError extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
  ) {
    super(message);
    this.name = 'KrrError';
  }
}

const person = z.object({
  personidentifikator: z.string(),
  reservasjon: z.enum(['JA', 'NEI']).optional(),
  status: z.enum(['AKTIV', 'SLETTET', 'IKKE_REGISTRERT']),
  varslingsstatus: z.enum(['KAN_VARSLES', 'KAN_IKKE_VARSLES']).optional(),
  kontaktinformasjon: z.looseObject({}).optional(),
  digital_post: z.looseObject({ postkasseadresse: z.string().optional(), postkasseleverandoeradresse: z.string().optional() }).optional(),
  spraak: z.string().optional(),
});
const answer = z.object({ personer: z.array(person) });

export type KrrPerson = z.infer<typeof person>;

export interface KrrOptions {
  /** e.g. https://kontaktregisteret.no (test: https://test.kontaktregisteret.no) */
  readonly baseUrl: string;
  readonly http: OutboundHttp;
  readonly tokens: Pick<MaskinportenTokenClient, 'token'>;
}

export class KrrClient {
  constructor(private readonly opts: KrrOptions) {}

  /** One call per 1,000 IDs, concurrently; any failure fails the whole lookup. */
  async lookup(nins: readonly string[]): Promise<Map<string, KrrPerson>> {
    const unique = [...new Set(nins)];
    const parts = await Promise.all(chunk(unique, KRR_MAX_IDS).map((c) => this.call(c)));
    const out = new Map<string, KrrPerson>();
    const asked = new Set(unique);
    for (const p of parts.flat()) {
      // An answer about someone we did not ask for is a broken answer, not data.
      if (!asked.has(p.personidentifikator)) throw new KrrError('KRR answered about an ID that was not asked for', false);
      out.set(p.personidentifikator, p);
    }
    return out;
  }

  private async call(ids: readonly string[]): Promise<KrrPerson[]> {
    if (ids.length === 0) return [];
    const token = await this.opts.tokens.token(KRR_SCOPES);
    const res = await this.opts.http.fetch('krr', `${this.opts.baseUrl}/rest/v2/personer`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ personidentifikatorer: ids, inkluderIkkeRegistrerte: false }),
    });
    const body = await jsonBody(res);
    if (!res.ok) throw new KrrError(`KRR answered HTTP ${res.status}`, res.status >= 500 || res.status === 429);
    const parsed = answer.safeParse(body);
    if (!parsed.success) throw new KrrError('KRR answered something that is not a person list', false);
    return parsed.data.personer;
  }
}
