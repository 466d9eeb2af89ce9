import { SignJWT, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OPERATION_TOKEN_MAX_AGE_S, OPERATIONS_ISSUER } from '../functions/shared/auth.js';

/**
 * The operations signing key: an ES256 key pair whose private half only operators hold (a file
 * on the break-glass machine, or the local runtime's data directory); the operations function
 * holds the public half (OPS_PUBLIC_JWK) and accepts what it signs on the halt route only
 * (functions/shared/auth.ts). This is what vouches for a direct invoke: not the event's claims.
 */
export interface OperationsKey {
  readonly privateJwk: JWK;
  readonly publicJwk: JWK;
}

export const OPS_KEY_FILE = 'ops-signing-key.json';

export const generateOperationsKey = async (): Promise<OperationsKey> => {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { privateJwk: { ...(await exportJWK(privateKey)), alg: 'ES256' }, publicJwk: { ...(await exportJWK(publicKey)), alg: 'ES256', use: 'sig' } };
};

/** The local runtime's key: persisted in stateDir (as the token issuer's), in memory without one. */
export const operationsSigningKey = async (stateDir?: string): Promise<OperationsKey> => {
  const file = stateDir ? join(stateDir, OPS_KEY_FILE) : undefined;
  if (file && existsSync(file)) return readOperationsKey(file);
  const key = await generateOperationsKey();
  if (file) await writeFile(file, JSON.stringify(key), { mode: 0o600 });
  return key;
};

export const readOperationsKey = async (file: string): Promise<OperationsKey> => JSON.parse(await readFile(file, 'utf8')) as OperationsKey;

/** A token for one operation (route) by one operator, valid for a minute. */
export const signOperation = async (key: OperationsKey, actor: string, routeKey: string, lifetimeS = 60): Promise<string> =>
  new SignJWT({ role: 'operations' })
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
    .setIssuer(OPERATIONS_ISSUER)
    .setAudience(routeKey)
    .setSubject(actor)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + Math.min(lifetimeS, OPERATION_TOKEN_MAX_AGE_S))
    .sign(await importJWK(key.privateJwk, 'ES256'));
