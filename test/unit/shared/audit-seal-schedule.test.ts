import { describe, expect, it } from 'vitest';
import { sealChangedHeads, type AuditHeadIndex, type AuditLog, type AuditSeal, type ChangedHead, type SealedHead } from '../../../functions/domain/shared/audit.js';

/** In-memory heads, seals and mark: what the schedule reads and writes. */
const world = (heads: (ChangedHead & { events: number; head: string })[], mark?: string, failSealOf?: string) => {
  const seals = new Map<string, SealedHead[]>();
  let sealedThrough = mark;
  const queried: string[] = [];
  const index: AuditHeadIndex = {
    changedSince: (since) => {
      queried.push(since);
      return Promise.resolve(heads.filter((h) => h.changedAt >= since));
    },
    sealedThrough: () => Promise.resolve(sealedThrough),
    markSealedThrough: (at) => {
      sealedThrough = at;
      return Promise.resolve();
    },
  };
  const audit = {
    head: (scope: string) => {
      const h = heads.find((x) => x.scope === scope)!;
      return Promise.resolve({ events: h.events, head: h.head });
    },
  } as AuditLog;
  const auditSeal: AuditSeal = {
    seal: (chain, s) => {
      if (chain === failSealOf) return Promise.reject(new Error('S3 down'));
      seals.set(chain, [...(seals.get(chain) ?? []), s]);
      return Promise.resolve();
    },
    sealed: (chain) => Promise.resolve(seals.get(chain) ?? []),
    latest: (chain) => Promise.resolve(seals.get(chain)?.at(-1)),
  };
  return { deps: { audit, auditSeal, heads: index }, seals, queried, mark: () => sealedThrough };
};

const now = new Date('2026-06-01T12:00:00.000Z');
const h = (scope: string, changedAt: string, events = 3) => ({ scope, changedAt, events, head: `${events}`.padStart(64, 'a') });

describe('the scheduled audit seal', () => {
  it('should seal every chain changed since a few minutes before the last run, operations included, and move the mark to this run', async () => {
    const w = world([h('project:prj_a', '2026-06-01T11:50:00.000Z'), h('operations', '2026-06-01T11:58:00.000Z'), h('project:prj_old', '2026-06-01T09:00:00.000Z')], '2026-06-01T11:45:00.000Z');
    expect(await sealChangedHeads(w.deps, now)).toEqual({ chains: 2 });
    expect(w.queried).toEqual(['2026-06-01T11:40:00.000Z']);
    expect([...w.seals.keys()].sort()).toEqual(['operations', 'prj_a']);
    expect(w.seals.get('prj_a')).toEqual([{ events: 3, head: h('', '').head, at: now.toISOString(), reason: 'scheduled' }]);
    expect(w.mark()).toBe(now.toISOString());
  });

  it('should look at every head on the first run, and when the mark is in the future or unreadable', async () => {
    for (const mark of [undefined, '2999-01-01T00:00:00.000Z', 'not a time']) {
      const w = world([h('project:prj_old', '2020-01-01T00:00:00.000Z')], mark);
      await sealChangedHeads(w.deps, now);
      expect(w.queried, String(mark)).toEqual(['1970-01-01T00:00:00.000Z']);
      expect(w.seals.has('prj_old')).toBe(true);
    }
  });

  it('should leave the mark where it was when a seal fails, so the next run seals it', async () => {
    const w = world([h('project:prj_a', '2026-06-01T11:50:00.000Z')], '2026-06-01T11:45:00.000Z', 'prj_a');
    await expect(sealChangedHeads(w.deps, now)).rejects.toThrow('S3 down');
    expect(w.mark()).toBe('2026-06-01T11:45:00.000Z');
  });

  it('should skip a scope that is no chain of a project or of operations', async () => {
    const w = world([h('something-else', '2026-06-01T11:50:00.000Z')], '2026-06-01T11:45:00.000Z');
    expect(await sealChangedHeads(w.deps, now)).toEqual({ chains: 0 });
  });
});
