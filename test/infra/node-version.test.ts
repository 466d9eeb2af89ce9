import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');

/** The Node major the functions run on in Lambda (lib/constructs/app-function.ts). */
const lambdaMajor = (): number => {
  const src = readFileSync(join(ROOT, 'lib/constructs/app-function.ts'), 'utf8');
  const m = /lambda\.Runtime\.NODEJS_(\d+)_X/.exec(src);
  if (!m) throw new Error('no lambda.Runtime.NODEJS_<n>_X in lib/constructs/app-function.ts');
  return Number(m[1]);
};

describe('the Node the tests run on', () => {
  it("is the Lambda runtime's major (the project's own node, from the `node` dev dependency)", () => {
    expect(Number(process.versions.node.split('.')[0])).toBe(lambdaMajor());
  });

  it("package.json's node dev dependency and engines name that major", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string }; devDependencies: Record<string, string> };
    expect(pkg.devDependencies.node).toMatch(new RegExp(`^\\^${lambdaMajor()}\\.`));
    expect(pkg.engines.node).toBe(`>=${lambdaMajor()}`);
  });
});
