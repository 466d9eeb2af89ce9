import { THROUGHPUT_ENV, throughput } from '../../../lib/throughput.js';
import type { SecretRef } from '../../shared/secrets.js';

/**
 * Settings of the national integrations, from the environment the CDK stack (or the local
 * runtime) sets. Read once when the adapters are built; anything missing is named in the error.
 */
export class IntegrationConfigError extends Error {
  constructor(readonly missing: readonly string[]) {
    super(`national integrations are not configured: missing ${missing.join(', ')}`);
    this.name = 'IntegrationConfigError';
  }
}

export interface NationalConfig {
  readonly maskinporten: { tokenUrl: string; audience: string; clientId: string; key: SecretRef };
  readonly krrBaseUrl: string;
  readonly fregBaseUrl: string;
  readonly eprom: { baseUrl: string; apiKey: SecretRef; callbackKey: SecretRef };
  readonly privacy: { baseUrl: string; researchPvkIds: readonly string[]; guardianAccessPvkId?: string; maxAgeMs: number };
  /**
   * `portal-only` (RESEARCH_CHANNELS): the stage reads no research definition, so research letters
   * may go by the portal only (which enforces the general reservation itself); `all` needs at
   * least one configured definition.
   */
  readonly researchChannels: 'all' | 'portal-only';
  readonly digipost: { baseUrl: string; senderId: string; key: SecretRef; returnAddress: { name: string; line: string; postalCode: string; city: string } };
  readonly sender: { organisationName: string; organisationNr?: string };
  readonly httpTimeoutMs: number;
  /** Channel calls one worker has open at once (CHANNEL_IN_FLIGHT). */
  readonly channelInFlight: number;
  /** Letters per second the whole fleet may start towards each service (CHANNEL_RATE_EPROM, CHANNEL_RATE_DIGIPOST). */
  readonly ratePerSecond: { readonly eprom: number; readonly digipost: number };
  readonly registryTimeoutMs: number;
  /** `seeded` (local only) reads who uses the portal from the local seed; `assume` lets ePROM refuse non-users. */
  readonly portalActivity: 'assume' | 'seeded';
}

type Env = Readonly<Record<string, string | undefined>>;

const positive = (env: Env, name: string, fallback: number): number => {
  const v = Number(env[name] ?? '');
  return env[name] !== undefined && env[name] !== '' && Number.isFinite(v) && v > 0 ? v : fallback;
};

/** The channel side of lib/throughput.ts: set by CDK from there, defaulting to the same values. */
export const channelThroughput = (env: Env): Pick<NationalConfig, 'channelInFlight' | 'ratePerSecond'> => ({
  channelInFlight: positive(env, THROUGHPUT_ENV.channelInFlight, throughput.channelInFlight),
  ratePerSecond: {
    eprom: positive(env, THROUGHPUT_ENV.epromRate, throughput.channelRatePerSecond.eprom),
    digipost: positive(env, THROUGHPUT_ENV.digipostRate, throughput.channelRatePerSecond.digipost),
  },
});

const secretRef = (env: Env, base: string, missing: string[]): SecretRef => {
  const arn = env[`${base}_SECRET_ARN`];
  if (arn) return { arn };
  const file = env[`${base}_FILE`];
  if (file) return { file };
  missing.push(`${base}_SECRET_ARN`);
  return { value: '' };
};

export const readNationalConfig = (env: Env, local: boolean): NationalConfig => {
  const missing: string[] = [];
  const req = (name: string): string => {
    const v = env[name];
    if (!v) missing.push(name);
    return v ?? '';
  };
  const num = (name: string, fallback: number) => {
    const v = Number(env[name] ?? '');
    return env[name] !== undefined && env[name] !== '' && Number.isFinite(v) && v >= 0 ? v : fallback;
  };
  const eprom = req('EPROM_BASE_URL');
  const cfg: NationalConfig = {
    maskinporten: {
      tokenUrl: req('MASKINPORTEN_TOKEN_URL'),
      audience: req('MASKINPORTEN_AUDIENCE'),
      clientId: req('MASKINPORTEN_CLIENT_ID'),
      key: secretRef(env, 'MASKINPORTEN_KEY', missing),
    },
    krrBaseUrl: req('KRR_BASE_URL'),
    fregBaseUrl: req('FREG_BASE_URL'),
    eprom: { baseUrl: eprom, apiKey: secretRef(env, 'EPROM_API_KEY', missing), callbackKey: secretRef(env, 'EPROM_CALLBACK_KEY', missing) },
    privacy: {
      baseUrl: env.PRIVACY_BASE_URL || eprom,
      researchPvkIds: req('PRIVACY_RESEARCH_PVK_IDS')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      ...(env.PRIVACY_GUARDIAN_ACCESS_PVK_ID ? { guardianAccessPvkId: env.PRIVACY_GUARDIAN_ACCESS_PVK_ID } : {}),
      maxAgeMs: num('PRIVACY_MIRROR_MAX_AGE_MS', 15 * 60_000),
    },
    researchChannels: env.RESEARCH_CHANNELS === 'portal-only' ? 'portal-only' : 'all',
    digipost: {
      baseUrl: req('DIGIPOST_BASE_URL'),
      senderId: req('DIGIPOST_SENDER_ID'),
      key: secretRef(env, 'DIGIPOST_KEY', missing),
      returnAddress: (() => {
        const raw = req('DIGIPOST_RETURN_ADDRESS');
        try {
          return raw ? (JSON.parse(raw) as NationalConfig['digipost']['returnAddress']) : { name: '', line: '', postalCode: '', city: '' };
        } catch {
          missing.push('DIGIPOST_RETURN_ADDRESS (valid JSON)');
          return { name: '', line: '', postalCode: '', city: '' };
        }
      })(),
    },
    sender: { organisationName: req('SENDER_ORGANISATION_NAME'), ...(env.SENDER_ORGANISATION_NR ? { organisationNr: env.SENDER_ORGANISATION_NR } : {}) },
    httpTimeoutMs: num('NATIONAL_HTTP_TIMEOUT_MS', 8_000),
    // Calls one worker has open towards a channel at once: what a wave's deadline can catch in
    // the air (in doubt for ePROM), and with the number of workers what the fleet asks of it;
    // the fleet's ceiling per service on top (lib/throughput.ts).
    ...channelThroughput(env),
    registryTimeoutMs: num('REGISTRY_TIMEOUT_MS', 12_000),
    portalActivity: env.PORTAL_ACTIVITY === 'seeded' ? 'seeded' : 'assume',
  };
  if (env.RESEARCH_CHANNELS !== undefined && env.RESEARCH_CHANNELS !== 'all' && env.RESEARCH_CHANNELS !== 'portal-only') missing.push('RESEARCH_CHANNELS (all | portal-only)');
  // An empty definition list reads nothing: paper and mailbox would pass the general reservation by.
  if (env.PRIVACY_RESEARCH_PVK_IDS && cfg.privacy.researchPvkIds.length === 0 && cfg.researchChannels !== 'portal-only') {
    missing.push('PRIVACY_RESEARCH_PVK_IDS (at least one research definition, or RESEARCH_CHANNELS=portal-only)');
  }
  if (cfg.portalActivity === 'seeded' && !local) missing.push('PORTAL_ACTIVITY=seeded is local-only');
  if (!local) {
    // Deployed, every endpoint is https; a plain-http URL is a misconfiguration, not a choice.
    for (const [name, url] of Object.entries({
      MASKINPORTEN_TOKEN_URL: cfg.maskinporten.tokenUrl,
      KRR_BASE_URL: cfg.krrBaseUrl,
      FREG_BASE_URL: cfg.fregBaseUrl,
      EPROM_BASE_URL: eprom,
      DIGIPOST_BASE_URL: cfg.digipost.baseUrl,
    })) {
      if (url && !url.startsWith('https://')) missing.push(`${name} (https)`);
    }
  }
  if (missing.length) throw new IntegrationConfigError(missing);
  return cfg;
};

/** The origins outbound calls may go to: exactly the configured endpoints. */
export const allowedOrigins = (c: NationalConfig): string[] =>
  [c.maskinporten.tokenUrl, c.krrBaseUrl, c.fregBaseUrl, c.eprom.baseUrl, c.privacy.baseUrl, c.digipost.baseUrl].map((u) => new URL(u).origin);
