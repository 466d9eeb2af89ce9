import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const DOMAIN = resolve(__dirname, '../../../functions/domain');

/**
 * Module-level state in the domain, allowed only with a written reason (issue 26: caching is a
 * decorator around a port, wired in the composition root, and keeps only what cannot change).
 */
const ALLOWED = new Map<string, string>([
  // A memo of a pure computation over an approved version's content, keyed by that object and
  // dropped with it: it keeps nothing a port answered.
  ['letters/send-check.ts: approvedCache', 'pure memo keyed by an immutable object (WeakMap)'],
]);

const filesUnder = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : p.endsWith('.ts') ? [p] : [];
  });

/** Top-level `let`/`var`, and top-level Maps kept across calls: `file: name`. */
const moduleState = (): string[] =>
  filesUnder(DOMAIN).flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/^(?:export\s+)?(?:(?:let|var)\s+(\w+)|const\s+(\w+)(?:\s*:[^=]+)?\s*=\s*new\s+(?:Map|WeakMap)\b)/gm)].map(
      (m) => `${relative(DOMAIN, file)}: ${m[1] ?? m[2]}`,
    ),
  );

describe('the domain', () => {
  it('test_should_keep_no_state_between_calls_but_the_allowed_pure_memos', () => {
    expect(moduleState().filter((s) => !ALLOWED.has(s))).toEqual([]);
  });

  it('should still have every allowed memo (else its entry goes)', () => {
    expect([...ALLOWED.keys()].filter((s) => !moduleState().includes(s))).toEqual([]);
  });
});
