import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chainEvent, checkAgainstSeals, EMPTY_HEAD, verifyChain, type AuditEvent, type ChainedAuditEvent } from '../../../functions/domain/shared/audit.js';

const scope = 'project:prj_u';
const chainOf = (events: AuditEvent[]): ChainedAuditEvent[] => {
  const out: ChainedAuditEvent[] = [];
  for (const e of events) out.push(chainEvent(scope, e, out.length ? { events: out.length, head: out.at(-1)!.hash } : EMPTY_HEAD));
  return out;
};
const headOf = (c: ChainedAuditEvent[]) => ({ events: c.length, head: c.at(-1)!.hash });
const event = fc
  .record({
    at: fc.date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
    actor: fc.string({ minLength: 1, maxLength: 12 }),
    role: fc.constantFrom('researcher', 'superuser', 'operations', 'citizen'),
    action: fc.constantFrom('project.created', 'letter.version_approved', 'round.released'),
    details: fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), fc.oneof(fc.string(), fc.integer(), fc.boolean())),
    actorName: fc.option(fc.string({ minLength: 1, maxLength: 20 }), { nil: undefined }),
  })
  .map(({ actorName, ...e }) => (actorName === undefined ? e : { ...e, actorName }));
const chain = fc.array(event, { minLength: 2, maxLength: 12 }).map(chainOf);

describe('verifyChain', () => {
  it('accepts any chain as appended, and its hashes do not depend on key order in details', () => {
    fc.assert(
      fc.property(chain, (c) => {
        expect(verifyChain(scope, c, headOf(c))).toMatchObject({ ok: true, events: c.length, head: c.at(-1)!.hash });
        const reordered = c.map((e) => ({ ...e, details: Object.fromEntries(Object.entries(e.details).reverse()) }));
        expect(verifyChain(scope, reordered, headOf(c)).ok).toBe(true);
      }),
    );
  });

  it('refuses any change to any field of any event', () => {
    fc.assert(
      fc.property(chain, fc.nat(), fc.constantFrom('at', 'actor', 'actorName', 'role', 'action', 'details', 'scope', 'seq', 'prevHash'), (c, i, field) => {
        const k = i % c.length;
        const e = c[k]!;
        const changed = { ...e, [field]: field === 'seq' ? e.seq + 100 : field === 'details' ? { ...e.details, __tampered__: true } : `${String(e[field as keyof typeof e])}x` };
        const tampered = c.map((x, j) => (j === k ? changed : x));
        expect(verifyChain(scope, tampered, headOf(c)).ok).toBe(false);
      }),
    );
  });

  it('refuses a removed event (anywhere, the last included) and two swapped events', () => {
    fc.assert(
      fc.property(chain, fc.nat(), (c, i) => {
        const k = i % c.length;
        expect(
          verifyChain(
            scope,
            c.filter((_, j) => j !== k),
            headOf(c),
          ).ok,
        ).toBe(false);
        const a = c[0]!;
        const b = c[1]!;
        const swapped = [{ ...b, seq: 1 }, { ...a, seq: 2 }, ...c.slice(2)];
        expect(verifyChain(scope, swapped, headOf(c)).ok).toBe(false);
      }),
    );
  });
});

describe('checkAgainstSeals', () => {
  it('accepts heads sealed along the chain and refuses a re-hashed rewrite that verifies on its own', () => {
    fc.assert(
      fc.property(chain, fc.nat(), (c, i) => {
        const k = i % c.length;
        const seals = [{ head: c[k]!.hash, events: k + 1, at: c[k]!.at, reason: 'round completed' }];
        expect(checkAgainstSeals(scope, c, headOf(c), seals).ok).toBe(true);
        const rewritten = chainOf(c.map((e, j) => (j === 0 ? { ...e, actor: `${e.actor}!` } : e)));
        expect(verifyChain(scope, rewritten, headOf(rewritten)).ok).toBe(true);
        const check = checkAgainstSeals(scope, rewritten, headOf(rewritten), seals);
        expect(check.ok).toBe(false);
        expect(check.sealProblems).toEqual([{ events: k + 1, code: 'SEALED_HASH_MISMATCH' }]);
      }),
    );
  });
});
