import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ContactLedger, LedgerEntry } from '../../domain/dispatch/ports.js';
import type { ContactRecord } from '../../domain/rounds/round.js';
import { globalCitizenKey, type HashKeyring } from '../../domain/shared/citizen-key.js';
import { batchGetAll, batchPutAll, queryAll } from './batch.js';
import { isConditionFailure } from './errors.js';

/**
 * The contact ledger in the citizens table: one item per person, project and round (and child, for
 * a letter to a guardian), under the person's own key:
 *   pk `CIT#<nin>`, sk `LEDGER#<projectId>#<roundId>[#G#<child ref>]`
 * written with BatchWrite (a retried batch rewrites the same items: idempotent), never in a
 * transaction. Letters sent to a recipient themselves are also indexed on gsi1 as
 * `LEDGER#<projectId>#<roundId>#<shard>` / `<global keyed hash>`, 16 shards, so the pre-flight and
 * release checks read who a round reached in a few Query pages instead of one read per recipient —
 * and a national round writing 1,000+ letters a second spreads its index writes over 16 partitions
 * instead of one hot key (docs/capacity.md). The index sort key is the versioned keyed hash, never
 * the ID (issue 24 #5: no national ID in a key beyond the person's own record), and the shard comes
 * from the hash: readers take the person from the item's own pk (the index projects all
 * attributes), so they need no key, and a rotation only moves new entries to other shards, all of
 * which every reader queries.
 */
export const LEDGER_SHARDS = 16;
const indexEntry = (nin: string, ring: HashKeyring): { shard: number; key: string } => {
  const key = globalCitizenKey(nin, ring);
  const digest = Buffer.from(key.slice(key.indexOf(':') + 1), 'base64url');
  return { shard: digest[0]! % LEDGER_SHARDS, key };
};
const indexKey = (projectId: string, roundId: string, shard: number) => `LEDGER#${projectId}#${roundId}#${shard}`;
/** The gsi1 keys of a letter a person got themselves: the one place they are made (record, and the backfill of older rows). */
export const ledgerIndexOf = (nin: string, projectId: string, roundId: string, ring: HashKeyring): { gsi1pk: string; gsi1sk: string } => {
  const index = indexEntry(nin, ring);
  return { gsi1pk: indexKey(projectId, roundId, index.shard), gsi1sk: index.key };
};
const ledgerKey = (nin: string, projectId: string, roundId: string, aboutChild?: string) => ({
  pk: `CIT#${nin}`,
  sk: `LEDGER#${projectId}#${roundId}${aboutChild ? `#G#${aboutChild}` : ''}`,
});

const toRecord = (i: Record<string, unknown>): ContactRecord => ({
  projectId: String(i.projectId),
  roundId: String(i.roundId),
  letterId: String(i.letterId),
  version: Number(i.version),
  contentHash: String(i.contentHash),
  sentAt: String(i.at),
  ...(i.test === true ? { test: true } : {}),
  ...(typeof i.channel === 'string' ? { channel: i.channel as ContactRecord['channel'] } : {}),
});

const ninOf = (pk: unknown) => String(pk).slice('CIT#'.length);

export class DynamoContactLedger implements ContactLedger {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    /** The citizen hash keyring: read only when a letter is recorded (the index key), never to read the ledger. */
    private readonly hashKeys: () => HashKeyring,
    /** Seconds since epoch after which an entry may be deleted (retention); none when undefined. */
    private readonly expiresAt: () => number | undefined = () => undefined,
  ) {}

  async contactsIn(nins: readonly string[], projectId: string, roundIds: readonly string[]): Promise<Map<string, ContactRecord[]>> {
    const keys = nins.flatMap((nin) => roundIds.map((r) => ledgerKey(nin, projectId, r)));
    const items = await batchGetAll(this.db, this.table, keys, { consistent: true });
    const out = new Map<string, ContactRecord[]>();
    for (const i of items) {
      if (i.outcome !== 'sent') continue;
      const nin = ninOf(i.pk);
      out.set(nin, [...(out.get(nin) ?? []), toRecord(i)]);
    }
    return out;
  }

  async record(entries: readonly LedgerEntry[]): Promise<void> {
    await batchPutAll(this.db, this.table, this.itemsOf(entries));
  }

  /** One consistent read of the entries' keys, then a conditional put of each one missing: an entry written meanwhile wins. */
  async recordMissing(entries: readonly LedgerEntry[]): Promise<number> {
    const keyOf = (e: LedgerEntry) => ledgerKey(e.nin, e.projectId, e.roundId, e.aboutChild);
    const found = new Set((await batchGetAll(this.db, this.table, entries.map(keyOf), { consistent: true, projection: 'pk, sk' })).map((i) => `${String(i.pk)}|${String(i.sk)}`));
    const missing = entries.filter((e) => !found.has(`${keyOf(e).pk}|${keyOf(e).sk}`));
    const written: number[] = await Promise.all(
      this.itemsOf(missing).map(async (Item) => {
        try {
          await this.db.send(new PutCommand({ TableName: this.table, Item, ConditionExpression: 'attribute_not_exists(pk)' }));
          return 1;
        } catch (e) {
          if (isConditionFailure(e)) return 0;
          throw e;
        }
      }),
    );
    return written.reduce((a, b) => a + b, 0);
  }

  private itemsOf(entries: readonly LedgerEntry[]): Record<string, unknown>[] {
    const expiresAt = this.expiresAt();
    // Only letters the person got themselves, and real ones, count for duplicates and caps.
    const indexed = (e: LedgerEntry) => e.outcome === 'sent' && !e.aboutChild && !e.test;
    const ring = entries.some(indexed) ? this.hashKeys() : undefined;
    return entries.map((entry) => {
      const { nin, ...e } = entry;
      return {
        ...ledgerKey(nin, e.projectId, e.roundId, e.aboutChild),
        ...e,
        ...(ring && indexed(entry) ? ledgerIndexOf(nin, e.projectId, e.roundId, ring) : {}),
        ...(expiresAt ? { expiresAt } : {}),
      };
    });
  }

  async sentByProject(projectId: string, roundIds: readonly string[]): Promise<Map<string, ContactRecord[]>> {
    const pages = await Promise.all(
      roundIds.flatMap((r) =>
        Array.from({ length: LEDGER_SHARDS }, (_, shard) =>
          queryAll(this.db, { TableName: this.table, IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :g', ExpressionAttributeValues: { ':g': indexKey(projectId, r, shard) } }),
        ),
      ),
    );
    const out = new Map<string, ContactRecord[]>();
    for (const i of pages.flat()) {
      const nin = ninOf(i.pk);
      out.set(nin, [...(out.get(nin) ?? []), toRecord(i)]);
    }
    return out;
  }

  /** The round index (16 shards per round), filtered on the delivery time; only `at` is read back. */
  async sentSince(projectId: string, roundIds: readonly string[], since: string): Promise<{ sent: number; lastSentAt?: string }> {
    const pages = await Promise.all(
      roundIds.flatMap((r) =>
        Array.from({ length: LEDGER_SHARDS }, (_, shard) =>
          queryAll(this.db, {
            TableName: this.table,
            IndexName: 'gsi1',
            KeyConditionExpression: 'gsi1pk = :g',
            FilterExpression: '#at > :since',
            ProjectionExpression: '#at',
            ExpressionAttributeNames: { '#at': 'at' },
            ExpressionAttributeValues: { ':g': indexKey(projectId, r, shard), ':since': since },
          }),
        ),
      ),
    );
    const times = pages.flat().map((i) => String(i.at));
    const lastSentAt = times.reduce<string | undefined>((max, t) => (max === undefined || t > max ? t : max), undefined);
    return { sent: times.length, ...(lastSentAt ? { lastSentAt } : {}) };
  }

  async decisionsAbout(nin: string): Promise<LedgerEntry[]> {
    const items = await queryAll(this.db, {
      TableName: this.table,
      KeyConditionExpression: 'pk = :p AND begins_with(sk, :l)',
      ExpressionAttributeValues: { ':p': `CIT#${nin}`, ':l': 'LEDGER#' },
      ConsistentRead: true,
    });
    return items.map((i) => {
      const { pk: _pk, sk: _sk, gsi1pk: _g, gsi1sk: _s, expiresAt: _e, ...rest } = i;
      return { ...(rest as unknown as Omit<LedgerEntry, 'nin'>), nin };
    });
  }

  /** Writes history directly (tests that need "already received"; imports of earlier contacts). */
  async recordContacts(entries: readonly { nin: string; record: ContactRecord }[]): Promise<void> {
    await this.record(entries.map(({ nin, record }) => ({ nin, ...record, at: record.sentAt, outcome: 'sent' as const })));
  }
}
