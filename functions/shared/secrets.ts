import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { readFile } from 'node:fs/promises';
import { config } from './config.js';
import { setHashKeyring } from './hash-keys.js';
import { noteSecretRead } from './secret-reads.js';

/**
 * Every secret of the platform — the citizen hash keyring and the keys of the national
 * integrations (Maskinporten, ePROM, Digipost) — is read through one cache with a maximum age:
 * after SECRET_MAX_AGE_MS the next use reads it again, so a rotated key reaches running
 * containers without new ones. Values are kept in memory only, never in the environment, a file
 * or a log. (Powertools Parameters would do the same; it is not a dependency of this project.)
 */
export const SECRET_MAX_AGE_MS = 5 * 60_000;

export class SecretCache {
  private readonly held = new Map<string, { readonly value: string; readonly at: number }>();
  private readonly loading = new Map<string, Promise<string>>();
  private readonly now: () => number;

  constructor(private readonly opts: { readonly maxAgeMs: number; readonly now?: () => number }) {
    this.now = opts.now ?? (() => Date.now());
  }

  /** The value under `key`, read with `load` when none is held or it is older than the maximum age. */
  async get(key: string, load: () => Promise<string>): Promise<string> {
    const held = this.held.get(key);
    if (held && this.now() - held.at < this.opts.maxAgeMs) return held.value;
    let p = this.loading.get(key);
    if (!p) {
      p = load().finally(() => this.loading.delete(key));
      this.loading.set(key, p);
    }
    try {
      const value = await p;
      this.held.set(key, { value, at: this.now() });
      return value;
    } catch (e) {
      // A failed refresh keeps the value already held (and is tried again at the next use);
      // with none held there is nothing to work with: fail closed.
      if (held) return held.value;
      throw e;
    }
  }
}

export type SecretRef = { readonly arn: string } | { readonly file: string } | { readonly value: string };

const cache = new SecretCache({ maxAgeMs: SECRET_MAX_AGE_MS });
let client: SecretsManagerClient | undefined;

const load = async (ref: SecretRef, region: string): Promise<string> => {
  if ('value' in ref) return ref.value;
  if ('file' in ref) return (await readFile(ref.file, 'utf8')).trim();
  client ??= new SecretsManagerClient({ region });
  const res = await client.send(new GetSecretValueCommand({ SecretId: ref.arn }));
  if (!res.SecretString) throw new Error('a secret is empty');
  return res.SecretString;
};

/** A secret by its reference (an ARN deployed; a file or a value locally), at most SECRET_MAX_AGE_MS old. */
export const readSecret = (ref: SecretRef, region: string): Promise<string> => cache.get(JSON.stringify(ref), () => load(ref, region));

/** What is made of a secret (a parsed key), made again only when the secret's value changed. */
export const derived = <T>(read: () => Promise<string>, make: (raw: string) => T | Promise<T>): (() => Promise<T>) => {
  let last: { readonly raw: string; readonly made: Promise<T> } | undefined;
  return async () => {
    const raw = await read();
    if (last?.raw !== raw) {
      const made = Promise.resolve(make(raw));
      last = { raw, made };
      made.catch(() => {
        if (last?.made === made) last = undefined;
      });
    }
    return last.made;
  };
};

/**
 * Deployed, the citizen hash keyring lives in Secrets Manager and the Lambda gets only its ARN
 * (CITIZEN_HASH_KEY_SECRET_ARN), so no key is in a template or a function's configuration; it is
 * brought up to date before each event (cheap while the cached value is fresh) and held in memory
 * only (hash-keys.ts). Locally CITIZEN_HASH_KEY is set directly.
 */
export const ensureSecrets = async (): Promise<void> => {
  const arn = process.env.CITIZEN_HASH_KEY_SECRET_ARN;
  if (process.env.CITIZEN_HASH_KEY || !arn) return;
  setHashKeyring(await readSecret({ arn }, config.region()));
};

export const CALLBACK_SEAL_KEY_SECRET_ARN = 'CALLBACK_SEAL_KEY_SECRET_ARN';

/**
 * The key external form tasks' callback secrets are sealed with (issue 24 #6), read where it is
 * used (creating an external form task, verifying its callback): deployed from the CallbackSealKey
 * secret, whose ARN only the functions allowed to read it get; locally CALLBACK_SEAL_KEY. Fails
 * closed: without a key nothing is sealed or opened.
 */
export const callbackSealKey = async (): Promise<string> => {
  noteSecretRead('callbackSealKey');
  const local = process.env.CALLBACK_SEAL_KEY;
  if (local) return local;
  const arn = process.env[CALLBACK_SEAL_KEY_SECRET_ARN];
  if (!arn) throw new Error('the callback seal key is not configured here');
  return readSecret({ arn }, config.region());
};

/** As a middy middleware: secrets are in place before the handler runs. */
export const secretsMiddleware = () => ({ before: async () => ensureSecrets() });
