import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../../..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/**
 * The repository paths the README names: `code spans` and link targets that look like a file or
 * folder of this repository. URL paths (/health, /console/), web links and the design documents
 * beside the repository (../shared/…) are not files of this repository.
 */
export const repoPathsIn = (markdown: string): string[] => {
  const candidates = [...markdown.matchAll(/`([^`\s]+)`/g), ...markdown.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!);
  const isRepoPath = (p: string) =>
    !p.startsWith('/') && !p.startsWith('../') && !/^[a-z]+:/i.test(p) && !p.includes('*') && !p.includes('<') && (p.includes('/') || /\.(ts|tsx|md|json|jsonc|js|sh|csv)$/.test(p));
  return [...new Set(candidates.map((p) => p.replace(/#.*$/, '')).filter(isRepoPath))].sort();
};

describe('README', () => {
  it('finds the paths it names (the check itself)', () => {
    expect(repoPathsIn('see `lib/a.ts` and [b](docs/b.md), not `/health`, `../shared/API.md` or [c](https://x.invalid/c)')).toEqual(['docs/b.md', 'lib/a.ts']);
  });

  it('names only paths that exist in the repository', () => {
    const paths = repoPathsIn(README);
    expect(paths.length).toBeGreaterThan(5);
    expect(paths.filter((p) => !existsSync(join(ROOT, p)))).toEqual([]);
  });
});
