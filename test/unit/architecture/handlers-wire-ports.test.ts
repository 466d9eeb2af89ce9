import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { LetterDeps } from '../../../functions/domain/letters/use-cases.js';
import type { ProjectDeps } from '../../../functions/domain/projects/use-cases.js';
import type { RoundDeps } from '../../../functions/domain/rounds/ports.js';

const HANDLERS = resolve(__dirname, '../../../functions/handlers');

/** What handlers get from the composition root (type only: nothing is built here). */
type HandlerPorts = ReturnType<typeof import('../../../functions/adapters/index.js').adapters>;

const filesUnder = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : p.endsWith('.ts') ? [p] : [];
  });

const handlerSources = () => filesUnder(HANDLERS).map((file) => ({ file: relative(HANDLERS, file), text: readFileSync(file, 'utf8') }));

/** One line per place where a handler lets more than one named set out of `adapters()` (issue 26). */
const wholeSetUses = (): string[] => {
  const found: string[] = [];
  for (const { file, text } of handlerSources()) {
    text.split('\n').forEach((line, i) => {
      if (/^\s*import\s/.test(line)) return;
      for (const m of line.matchAll(/\badapters\b/g)) {
        const rest = line.slice(m.index + m[0].length);
        // Allowed: `adapters().rounds` (one named set), and `const { rounds, engine } = adapters()` (named sets by name).
        if (/^\(\)\.\w+/.test(rest)) continue;
        if (/^\(\)/.test(rest) && /const\s*\{[^}]*\}\s*=\s*$/.test(line.slice(0, m.index))) continue;
        found.push(`${file}:${i + 1}: ${line.trim()}`);
      }
    });
  }
  return found;
};

/**
 * One line per place where an HTTP route reaches a port through a set itself (`adapters().rounds.receipts.summary(…)`,
 * or through a name bound to a set): a route calls use cases, which read the ports. Queue workers
 * and scheduled jobs (no route) put a message back on their queue themselves: that is their wiring.
 */
const portReachedFromRoute = (): string[] => {
  const found: string[] = [];
  for (const { file, text } of handlerSources()) {
    if (!/\broute\(/.test(text)) continue;
    const bound = [
      ...[...text.matchAll(/const\s*\{([^}]*)\}\s*=\s*adapters\(\)/g)].flatMap((m) => m[1]!.split(',').map((n) => n.split(':').pop()!.trim())),
      ...[...text.matchAll(/const\s+(\w+)\s*=\s*adapters\(\)\.\w+\b(?!\()/g)].map((m) => m[1]!),
    ].filter(Boolean);
    const through = new RegExp(`(?:adapters\\(\\)\\.\\w+${bound.map((n) => `|\\b${n}`).join('')})\\.\\w+\\.\\w+\\(`);
    text.split('\n').forEach((line, i) => {
      if (through.test(line)) found.push(`${file}:${i + 1}: ${line.trim()}`);
    });
  }
  return found;
};

describe('the handlers', () => {
  it('test_should_let_a_route_reach_its_ports_only_through_a_use_case', () => {
    expect(portReachedFromRoute()).toEqual([]);
  });

  it('should hand each use case a named set of ports, never the whole of adapters()', () => {
    expect(wholeSetUses()).toEqual([]);
  });

  it('should take their ports from adapters() alone, not from the raw adapters the local runtime, benches and tests use', () => {
    const raw = handlerSources()
      .filter(({ text }) => /import\s*\{[^}]*\}\s*from\s*'[./]*adapters\/index\.js'/.test(text))
      .filter(({ text }) => !/import\s*\{\s*adapters\s*\}\s*from\s*'[./]*adapters\/index\.js'/.test(text))
      .map(({ file }) => file);
    expect(raw).toEqual([]);
  });

  it('should get sets that no use case mistakes for its own deps (the type refuses createProject(adapters(), …))', () => {
    // Checked by tsc (npx tsc --noEmit -p .): the top level is named sets, not one bag of adapters.
    expectTypeOf<HandlerPorts>().not.toExtend<ProjectDeps>();
    expectTypeOf<HandlerPorts>().not.toExtend<LetterDeps>();
    expectTypeOf<HandlerPorts>().not.toExtend<Pick<RoundDeps, 'projects' | 'rounds'>>();
    // And each named set is what its module's use cases take.
    expectTypeOf<HandlerPorts['projects']>().toExtend<ProjectDeps>();
    expectTypeOf<HandlerPorts['letters']>().toExtend<LetterDeps>();
    expectTypeOf<HandlerPorts['rounds']>().toExtend<RoundDeps>();
  });
});
