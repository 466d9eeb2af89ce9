import { describe, expect, it } from 'vitest';
import { lookupContacts } from '../../../functions/domain/dispatch/operations.js';
import type { ContactLedger, LedgerEntry } from '../../../functions/domain/dispatch/ports.js';
import type { AuditEvent, AuditLog } from '../../../functions/domain/shared/audit.js';
import type { Principal } from '../../../functions/shared/principal.js';

const ops: Principal = { sub: 'ops-1', role: 'operations' };
const NIN = '01817212345';

const entry = (e: Partial<LedgerEntry>): LedgerEntry => ({
  nin: NIN,
  projectId: 'p1',
  roundId: 'r1',
  letterId: 'l1',
  version: 2,
  contentHash: 'sha256:aaa',
  at: '2026-03-29T00:30:00.000Z',
  outcome: 'sent',
  channel: 'helsenorge',
  ...e,
});

const deps = (entries: LedgerEntry[]) => {
  const events: AuditEvent[] = [];
  const ledger = { decisionsAbout: async () => entries } as unknown as ContactLedger;
  const audit = { append: async (_scope: string, e: AuditEvent) => void events.push(e) } as unknown as AuditLog;
  return { deps: { ledger, audit }, events };
};

describe('the contact lookup (a citizen complaint)', () => {
  it('names the exact letter version the citizen received: letterId, version and contentHash, oldest first', async () => {
    const { deps: d } = deps([
      entry({ roundId: 'r2', letterId: 'l1', version: 3, contentHash: 'sha256:ccc', at: '2026-04-02T08:00:00.000Z' }),
      entry({ roundId: 'r1', outcome: 'skipped', reason: 'reserved', channel: undefined, at: '2026-03-01T08:00:00.000Z' }),
    ]);
    const items = await lookupContacts(d, ops, NIN, 'ref');
    expect(items).toEqual([
      { projectId: 'p1', roundId: 'r1', letterId: 'l1', version: 2, contentHash: 'sha256:aaa', at: '2026-03-01T08:00:00.000Z', outcome: 'skipped', reason: 'reserved' },
      { projectId: 'p1', roundId: 'r2', letterId: 'l1', version: 3, contentHash: 'sha256:ccc', at: '2026-04-02T08:00:00.000Z', outcome: 'sent', channel: 'helsenorge' },
    ]);
  });

  it('leaves out test sends, and the audit names the citizen only by reference', async () => {
    const { deps: d, events } = deps([entry({ test: true }), entry({ roundId: 'r3' })]);
    const items = await lookupContacts(d, ops, NIN, 'ref-hash');
    expect(items.map((i) => i.roundId)).toEqual(['r3']);
    expect(JSON.stringify(events)).not.toContain(NIN);
    expect(JSON.stringify(items)).not.toContain(NIN);
  });
});
