import { createHmac, hkdfSync } from 'node:crypto';

/**
 * The keyed hash that stands in for a national ID wherever the citizen is not the record's own
 * key: audit details, contact lookups, pseudonymous form responses. Keyed (HMAC), so it cannot be
 * reversed by hashing all ~10^11 candidate IDs without the key.
 *
 * The original, unversioned form: what deliveries and the operations trail stored before key
 * versions existed. New code uses the versioned functions below.
 */
export const citizenKey = (nin: string, key: string): string => createHmac('sha256', key).update(nin).digest('base64url').slice(0, 32);

/**
 * The hash keys, by version. `current` makes every new hash; every version in `keys` is live, so
 * a lookup computes the hash under each of them and finds what older keys made. Rotating = add a
 * version and make it current; a version is dropped only once nothing hashed with it is kept.
 */
export interface HashKeyring {
  readonly current: string;
  readonly keys: Readonly<Record<string, string>>;
}

const VERSION = /^v[1-9][0-9]{0,5}$/;

/**
 * The secret's text: either JSON `{"current": "v2", "keys": {"v1": "…", "v2": "…"}}`, or a bare
 * key (the format before versions), which is version v1.
 */
export const parseKeyring = (secret: string): HashKeyring => {
  const text = secret.trim();
  if (!text.startsWith('{')) {
    if (text.length < 16) throw new Error('the citizen hash key is too short');
    return { current: 'v1', keys: { v1: text } };
  }
  const parsed = JSON.parse(text) as { current?: unknown; keys?: unknown };
  const keys = parsed.keys && typeof parsed.keys === 'object' ? (parsed.keys as Record<string, unknown>) : {};
  const entries = Object.entries(keys);
  if (typeof parsed.current !== 'string' || !(parsed.current in keys)) throw new Error('the citizen hash keyring names no usable current key');
  for (const [v, k] of entries) {
    if (!VERSION.test(v) || typeof k !== 'string' || k.length < 16) throw new Error('the citizen hash keyring has a malformed key version');
  }
  return { current: parsed.current, keys: Object.fromEntries(entries) as Record<string, string> };
};

/**
 * The key of a version recorded on a record (a released round's), or the current one for records
 * made before versions were recorded. Throws when that version is no longer live: what was made
 * with it cannot be named again, so nothing is decided on it (fail closed).
 */
export const keyOfVersion = (ring: HashKeyring, version: string | undefined): string => keyOf(ring, version ?? ring.current);

/** Every live key, the current one first: a lookup of something made under any of them. */
export const liveKeys = (ring: HashKeyring): string[] => [keyOf(ring, ring.current), ...Object.entries(ring.keys).flatMap(([v, k]) => (v === ring.current ? [] : [k]))];

const keyOf = (ring: HashKeyring, version: string): string => {
  const key = ring.keys[version];
  if (key === undefined) throw new Error('no such key version');
  return key;
};

const hmac = (key: string | Buffer, nin: string): string => createHmac('sha256', key).update(nin).digest('base64url').slice(0, 32);

/**
 * The global keyed hash, versioned (`v2:…`): for records every project shares — deliveries'
 * byCitizen index, the contact lookup, the operations trail. Never in a project's audit.
 */
export const globalCitizenKey = (nin: string, ring: HashKeyring): string => `${ring.current}:${hmac(keyOf(ring, ring.current), nin)}`;

/**
 * Every form of the global hash a stored record may carry: under each live version, versioned
 * and in the unversioned legacy form (what callers of citizenKey with the current version's key
 * wrote before versions). A complaint lookup queries all of them, so a rotation loses nothing.
 */
export const globalCitizenKeys = (nin: string, ring: HashKeyring): string[] =>
  Object.entries(ring.keys).flatMap(([v, k]) => {
    const h = hmac(k, nin);
    return [`${v}:${h}`, h];
  });

/** The project's own key, derived from a global key version: HKDF-SHA256 with the project as context. */
const projectKey = (ring: HashKeyring, version: string, projectId: string): Buffer =>
  Buffer.from(hkdfSync('sha256', keyOf(ring, version), Buffer.alloc(0), `research-dispatch/project-pseudonym/${projectId}`, 32));

/**
 * The citizen's pseudonym in one project (`v2:…`): in the project's audit, its form responses and
 * its round reports. Keyed per project, so researchers of two projects cannot match a person, and
 * a project's pseudonyms say nothing about the global hash.
 */
export const projectPseudonym = (nin: string, projectId: string, ring: HashKeyring, pinned?: string): string => {
  const version = pseudonymVersion(pinned, ring);
  return `${version}:${hmac(projectKey(ring, version, projectId), nin)}`;
};

/**
 * The key version a project's pseudonyms are made under: `pinned` (Project.pseudonymKeyVersion,
 * pinned by its first release) while the ring still holds it, else the current one (a project
 * never released, or released before pinning, or whose version an operator retired: its joins
 * across the rotation are then lost, which is why a version is retired only after the projects
 * pinned to it are closed).
 */
export const pseudonymVersion = (pinned: string | undefined, ring: HashKeyring): string => (pinned !== undefined && Object.hasOwn(ring.keys, pinned) ? pinned : ring.current);

/** The citizen's pseudonym in a project under every live key version (to find older entries). */
export const projectPseudonyms = (nin: string, projectId: string, ring: HashKeyring): string[] => Object.keys(ring.keys).map((v) => `${v}:${hmac(projectKey(ring, v, projectId), nin)}`);
