import { DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { batchGetAll, batchPutAll, queryAll } from '../dynamo/batch.js';
import { isConditionFailure } from '../dynamo/errors.js';
import { jsonBody, NetworkError, type OutboundHttp } from './http.js';
import { RegistryUnavailableError } from '../../domain/citizens/registries.js';
import { globalCitizenKey, globalCitizenKeys, type HashKeyring } from '../../domain/shared/citizen-key.js';

/**
 * Registry-specific reservations from the privacy component (PVK), through ePROM
 * (Personverninnstillinger.md): every citizen with an active setting of a definition can be listed,
 * paged; changes arrive as callbacks (PUT /api/PersonvernInnstilling). The platform mirrors each
 * configured definition into DynamoDB and reads the mirror at send time, once per batch.
 *
 * Fail closed: a mirror never filled, or older than its maximum age when a refresh fails, is an
 * error (RegistryUnavailableError upstream), never "not reserved".
 */

/**
 * NARROW SEAM: the answer shape of get-residents-active-pi-for-definition beyond
 * `pagingReference` is not in the public documentation. This is the one place that reads it; if the
 * real answer differs, only this schema changes.
 */
const residentsPage = z.object({ nationalIds: z.array(z.string().regex(/^\d{11}$/)), pagingReference: z.number().int() });
/** getpersonverninnstilling's answer: `status` 0 IkkeAktiv | 1 Aktiv (the other fields are not read). */
const settingAnswer = z.object({ status: z.union([z.literal(0), z.literal(1)]) });

export class PrivacyComponentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PrivacyComponentError';
  }
}

export interface PrivacyComponentOptions {
  /** ePROM's API base, e.g. https://…/PromsWebApi */
  readonly baseUrl: string;
  readonly apiKey: () => Promise<string>;
  readonly http: OutboundHttp;
  /** Guard against a paging reference that never ends. */
  readonly maxPages?: number;
}

export class PrivacyComponentClient {
  constructor(private readonly opts: PrivacyComponentOptions) {}

  /** Everyone with an active setting of the definition, all pages. */
  async listActive(pvkId: string): Promise<Set<string>> {
    const out = new Set<string>();
    let pagingReference = 0;
    for (let page = 0; page < (this.opts.maxPages ?? 10_000); page++) {
      const res = await this.opts.http.fetch('privacy', `${this.opts.baseUrl}/api/v2/get-residents-active-pi-for-definition`, {
        method: 'POST',
        headers: { authorization: `Basic ${await this.opts.apiKey()}`, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ pvkId, pagingReference }),
      });
      const body = await jsonBody(res);
      if (!res.ok) throw new PrivacyComponentError(`the privacy component answered HTTP ${res.status}`);
      const parsed = residentsPage.safeParse(body);
      if (!parsed.success) throw new PrivacyComponentError('the privacy component answered something that is not a resident page');
      for (const n of parsed.data.nationalIds) out.add(n);
      if (parsed.data.pagingReference <= 0) return out;
      pagingReference = parsed.data.pagingReference;
    }
    throw new PrivacyComponentError('the privacy component kept paging past the limit');
  }

  /** One person's current setting of a definition (type 0 reservation, 1 consent): active or not. */
  async isActive(pvkId: string, nin: string, type: 0 | 1): Promise<boolean> {
    const res = await this.opts.http.fetch('privacy', `${this.opts.baseUrl}/api/v2/getpersonverninnstilling`, {
      method: 'POST',
      headers: { authorization: `Basic ${await this.opts.apiKey()}`, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ nationalId: nin, type, pvkId }),
    });
    const body = await jsonBody(res);
    if (!res.ok) throw new PrivacyComponentError(`the privacy component answered HTTP ${res.status}`);
    const parsed = settingAnswer.safeParse(body);
    if (!parsed.success) throw new PrivacyComponentError('the privacy component answered something that is not a setting');
    return parsed.data.status === 1;
  }
}

/** How far the clocks of the functions writing the mirror may disagree; a removal waits this much longer. */
const CLOCK_SKEW_MS = 5_000;

/**
 * The mirror, in the citizens table: one partition per definition (`PVKMIRROR#<pvkId>`), one item
 * per person with an active setting, and a META item with the time of the last full refresh.
 *
 * A person's sort key is `HASH#<version>:<hash>`, their global keyed hash — never the national ID
 * (issue 24 #5: no ID in a key beyond the person's own record). With a key rotation, lookups try
 * the hash under every live key version, and each refresh rewrites the partition under the
 * current version (what another version or the earlier `NIN#<id>` form holds is not listed and goes).
 * A META item without `keys: 'hash'` was written when entries were keyed by ID: such a mirror
 * counts as never filled, so its first read refreshes it (or fails closed) before it is trusted.
 */
const HASHED = 'hash';

export class DynamoPrivacyMirror {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    /** The citizen hash keyring (functions/shared/hash-keys.ts). */
    private readonly hashKeys: () => HashKeyring,
  ) {}

  private pk = (pvkId: string) => `PVKMIRROR#${pvkId}`;
  /** Where a change is written: the hash under the current version. */
  private current = (nin: string, ring: HashKeyring) => `HASH#${globalCitizenKey(nin, ring)}`;
  /** Where a person may be found: the hash under every live version (the unversioned form is never written here). */
  private live = (nin: string, ring: HashKeyring) =>
    globalCitizenKeys(nin, ring)
      .filter((k) => k.includes(':'))
      .map((k) => `HASH#${k}`);

  async refreshedAt(pvkId: string): Promise<number | undefined> {
    const res = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: this.pk(pvkId), sk: 'META' }, ConsistentRead: true }));
    return typeof res.Item?.refreshedAt === 'number' && res.Item.keys === HASHED ? res.Item.refreshedAt : undefined;
  }

  /**
   * Makes the mirror equal to `active` (adds and removes the difference), then stamps the refresh.
   * `at` is when the listing started: an entry written later (a callback that arrived while the
   * component was being listed) is newer than the listing and is never removed by it — the delete
   * is conditional on the entry's own time, with a margin for clocks of other functions. Such an
   * entry stays until a later refresh, whose listing started after it, confirms or removes it.
   */
  async replace(pvkId: string, active: ReadonlySet<string>, at: number): Promise<void> {
    const ring = this.hashKeys();
    const held = await queryAll(this.db, {
      TableName: this.table,
      KeyConditionExpression: 'pk = :p',
      ExpressionAttributeValues: { ':p': this.pk(pvkId) },
      ProjectionExpression: 'sk',
      ConsistentRead: true,
    });
    const heldKeys = new Set(held.map((i) => String(i.sk)).filter((sk) => sk !== 'META'));
    const wanted = new Set([...active].map((n) => this.current(n, ring)));
    const added = [...wanted].filter((sk) => !heldKeys.has(sk));
    const removed = [...heldKeys].filter((sk) => !wanted.has(sk));
    await batchPutAll(
      this.db,
      this.table,
      added.map((sk) => ({ pk: this.pk(pvkId), sk, at })),
    );
    // Only entries written before the listing began (less the clock margin): a callback's newer change stays.
    for (const sk of removed) await this.removeKeyIfOlderThan(pvkId, sk, at - CLOCK_SKEW_MS);
    await this.db.send(new PutCommand({ TableName: this.table, Item: { pk: this.pk(pvkId), sk: 'META', refreshedAt: at, keys: HASHED } }));
  }

  /** A callback's change, applied at once (the next refresh confirms it). */
  async apply(pvkId: string, nin: string, active: boolean, at: number): Promise<void> {
    const ring = this.hashKeys();
    if (active) await this.db.send(new PutCommand({ TableName: this.table, Item: { pk: this.pk(pvkId), sk: this.current(nin, ring), at } }));
    else for (const sk of this.live(nin, ring)) await this.db.send(new DeleteCommand({ TableName: this.table, Key: { pk: this.pk(pvkId), sk } }));
  }

  /**
   * Removes a mirrored setting only if it was written before `at`: a change mirrored after the
   * source was read is newer than what was read, and stays. No clock margin here (unlike a
   * refresh): a citizen who reserves and un-reserves within seconds expects the second to count,
   * and the callbacks run on one function's synchronised clocks.
   */
  async removeIfOlderThan(pvkId: string, nin: string, at: number): Promise<void> {
    for (const sk of this.live(nin, this.hashKeys())) await this.removeKeyIfOlderThan(pvkId, sk, at);
  }

  private async removeKeyIfOlderThan(pvkId: string, sk: string, at: number): Promise<void> {
    try {
      await this.db.send(
        new DeleteCommand({
          TableName: this.table,
          Key: { pk: this.pk(pvkId), sk },
          ConditionExpression: 'attribute_not_exists(#at) OR #at < :read',
          ExpressionAttributeNames: { '#at': 'at' },
          ExpressionAttributeValues: { ':read': at },
        }),
      );
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
    }
  }

  async activeAmong(pvkId: string, nins: readonly string[]): Promise<Set<string>> {
    const ring = this.hashKeys();
    const whose = new Map<string, string>();
    for (const nin of new Set(nins)) for (const sk of this.live(nin, ring)) whose.set(sk, nin);
    const items = await batchGetAll(
      this.db,
      this.table,
      [...whose.keys()].map((sk) => ({ pk: this.pk(pvkId), sk })),
      { consistent: true, projection: 'sk' },
    );
    return new Set(items.flatMap((i) => whose.get(String(i.sk)) ?? []));
  }
}

export class PrivacyMirrorUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PrivacyMirrorUnavailableError';
  }
}

export interface PrivacyReservationsOptions {
  readonly client: Pick<PrivacyComponentClient, 'listActive' | 'isActive'>;
  readonly mirror: DynamoPrivacyMirror;
  /** How old the mirror may be when read; older → refreshed first, and an error if that fails. */
  readonly maxAgeMs: number;
  readonly now?: () => number;
}

/** Reads the mirror at send time, refreshing a stale one first (one refresh at a time per definition). */
export class PrivacyReservations {
  private readonly refreshing = new Map<string, Promise<void>>();
  /**
   * The last refresh time read per definition. Refreshes only move it forward, so a time kept here
   * is never later than the true one: judging freshness by it can only be stricter (a stale answer
   * is read again before anything is refreshed). It spares every batch a read of the META item.
   */
  private readonly knownRefreshedAt = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly opts: PrivacyReservationsOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** Scheduled refresh (and the inline one for a stale mirror). */
  refresh(pvkId: string): Promise<void> {
    let p = this.refreshing.get(pvkId);
    if (!p) {
      const at = this.now();
      p = this.opts.client
        .listActive(pvkId)
        .then((active) => this.opts.mirror.replace(pvkId, active, at))
        .then(() => void this.knownRefreshedAt.set(pvkId, Math.max(at, this.knownRefreshedAt.get(pvkId) ?? 0)))
        .finally(() => this.refreshing.delete(pvkId));
      this.refreshing.set(pvkId, p);
    }
    return p;
  }

  /** A callback's change (PUT /api/PersonvernInnstilling), applied to the mirror at once. */
  applyChange(pvkId: string, nin: string, active: boolean): Promise<void> {
    return this.opts.mirror.apply(pvkId, nin, active, this.now());
  }

  /**
   * What the change callback needs (domain/receipts/use-cases.ts, recordPrivacySettingChange): an
   * addition mirrored at once, a removal only after the source was read and agreed.
   */
  changeDeps(): {
    now: () => number;
    add(pvkId: string, nin: string): Promise<void>;
    currentlyActive(pvkId: string, nin: string, type: 0 | 1): Promise<boolean>;
    removeIfNotChangedSince(pvkId: string, nin: string, at: number): Promise<void>;
  } {
    return {
      now: this.now,
      add: (pvkId, nin) => this.opts.mirror.apply(pvkId, nin, true, this.now()),
      // Fail closed: a source that cannot be read keeps the reservation (503, the service retries).
      currentlyActive: (pvkId, nin, type) =>
        this.opts.client.isActive(pvkId, nin, type).catch((e: unknown) => {
          if (e instanceof PrivacyComponentError || e instanceof NetworkError) throw new RegistryUnavailableError('reservations', 'The privacy component cannot be read now; try again');
          throw e;
        }),
      removeIfNotChangedSince: (pvkId, nin, at) => this.opts.mirror.removeIfOlderThan(pvkId, nin, at),
    };
  }

  async activeAmong(pvkId: string, nins: readonly string[]): Promise<Set<string>> {
    const fresh = (t: number | undefined): t is number => t !== undefined && this.now() - t <= this.opts.maxAgeMs;
    let at = this.knownRefreshedAt.get(pvkId);
    if (!fresh(at)) {
      at = await this.opts.mirror.refreshedAt(pvkId);
      if (at !== undefined) this.knownRefreshedAt.set(pvkId, at);
    }
    if (!fresh(at)) {
      try {
        await this.refresh(pvkId);
      } catch {
        throw new PrivacyMirrorUnavailableError(at === undefined ? 'the privacy mirror was never filled and cannot be refreshed' : 'the privacy mirror is stale and cannot be refreshed');
      }
    }
    return this.opts.mirror.activeAmong(pvkId, nins);
  }
}
