import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { readFile } from 'node:fs/promises';

/**
 * Secrets of the national integrations (the Maskinporten key, the ePROM API key, the Digipost
 * enterprise key, the callback key): read once per container on first use and kept in memory only
 * — never written to the environment, a file or a log. A failed read is not cached, so the next
 * batch tries again.
 */
export type SecretRef = { readonly arn: string } | { readonly file: string } | { readonly value: string };

let client: SecretsManagerClient | undefined;
const loaded = new Map<string, Promise<string>>();

const load = async (ref: SecretRef, region: string): Promise<string> => {
  if ('value' in ref) return ref.value;
  if ('file' in ref) return (await readFile(ref.file, 'utf8')).trim();
  client ??= new SecretsManagerClient({ region });
  const res = await client.send(new GetSecretValueCommand({ SecretId: ref.arn }));
  if (!res.SecretString) throw new Error('a national-integration secret is empty');
  return res.SecretString;
};

export const readSecret = (ref: SecretRef, region: string): Promise<string> => {
  const key = JSON.stringify(ref);
  let p = loaded.get(key);
  if (!p) {
    p = load(ref, region);
    loaded.set(key, p);
    p.catch(() => loaded.delete(key));
  }
  return p;
};

/** The same value, parsed once. */
export const memo = <T>(make: () => Promise<T>): (() => Promise<T>) => {
  let p: Promise<T> | undefined;
  return () => {
    if (!p) {
      p = make();
      p.catch(() => (p = undefined));
    }
    return p;
  };
};
