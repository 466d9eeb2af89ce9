import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const DOMAIN = resolve(__dirname, '../../../functions/domain');

/**
 * Pairs of domain folders allowed to import each other: none (issue 26). A pair may only be added
 * with a written reason, and the second test then insists it still exists.
 */
const ALLOWED = new Set<string>([]);

const filesUnder = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : p.endsWith('.ts') ? [p] : [];
  });

const folderOf = (file: string): string => relative(DOMAIN, file).split(sep)[0]!;

/** Folder → the folders its files import (static and type imports, and re-exports). */
const folderImports = (): Map<string, Set<string>> => {
  const edges = new Map<string, Set<string>>();
  for (const file of filesUnder(DOMAIN)) {
    const from = folderOf(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/g)) {
      const target = resolve(dirname(file), m[1]!);
      if (!target.startsWith(DOMAIN + sep)) continue;
      const to = folderOf(target);
      if (to !== from) (edges.get(from) ?? edges.set(from, new Set()).get(from)!).add(to);
    }
  }
  return edges;
};

/**
 * Every pair of folders that reach each other through imports (directly or round a longer
 * circle), once the arrows of the allowed pairs are set aside (else every circle through them,
 * such as citizens → dispatch → rounds → citizens, would count too).
 */
const cyclicPairs = (all: Map<string, Set<string>>): string[] => {
  const edges = new Map([...all].map(([a, tos]) => [a, new Set([...tos].filter((b) => !ALLOWED.has([a, b].sort().join('<->'))))]));
  const reach = (start: string): Set<string> => {
    const seen = new Set<string>();
    const todo = [start];
    while (todo.length) {
      for (const n of edges.get(todo.pop()!) ?? []) {
        if (!seen.has(n)) {
          seen.add(n);
          todo.push(n);
        }
      }
    }
    return seen;
  };
  const folders = [...new Set([...edges.keys(), ...[...edges.values()].flatMap((s) => [...s])])].sort();
  const pairs: string[] = [];
  for (const a of folders) for (const b of folders) if (a < b && edges.get(a)?.has(b) && reach(b).has(a)) pairs.push(`${a}<->${b}`);
  for (const a of folders) for (const b of folders) if (a < b && !edges.get(a)?.has(b) && edges.get(b)?.has(a) && reach(a).has(b)) pairs.push(`${a}<->${b}`);
  return [...new Set(pairs)].sort();
};

describe('the domain folders', () => {
  it('should import only downward: no folder imports a folder that imports it back', () => {
    const pairs = cyclicPairs(folderImports());
    expect(pairs.filter((p) => !ALLOWED.has(p))).toEqual([]);
  });

  it('should still find the cycles it allows (the allow-list shrinks as they are undone)', () => {
    const edges = folderImports();
    for (const p of ALLOWED) {
      const [a, b] = p.split('<->') as [string, string];
      expect(edges.get(a)?.has(b) && edges.get(b)?.has(a), `${p} is gone: remove it from ALLOWED`).toBe(true);
    }
  });
});

/** File → the domain files it imports (type imports too: a type cycle still ties the files together). */
const fileImports = (): Map<string, Set<string>> => {
  const edges = new Map<string, Set<string>>();
  for (const file of filesUnder(DOMAIN)) {
    const text = readFileSync(file, 'utf8');
    const to = new Set<string>();
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/g)) to.add(resolve(dirname(file), m[1]!).replace(/\.js$/, '.ts'));
    edges.set(file, to);
  }
  return edges;
};

describe('the domain files', () => {
  it('should form no import cycle, not even one of types (it was rounds/ports → preparation → preflight → ports)', () => {
    const edges = fileImports();
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const path: string[] = [];
    const visit = (f: string): void => {
      state.set(f, 'open');
      path.push(f);
      for (const t of edges.get(f) ?? []) {
        if (!edges.has(t)) continue;
        if (state.get(t) === 'open') cycles.push([...path.slice(path.indexOf(t)), t].map((x) => relative(DOMAIN, x)).join(' → '));
        else if (!state.has(t)) visit(t);
      }
      path.pop();
      state.set(f, 'done');
    };
    for (const f of edges.keys()) if (!state.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });
});
