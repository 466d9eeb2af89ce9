// ESLint, flat config: typescript-eslint's type-aware rules over every TypeScript source in the
// repository. The rules that matter most here are the promise rules (no-floating-promises,
// no-misused-promises): a promise nobody awaits is a send nobody checks.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', 'console/dist/', 'coverage/', 'test-artifacts/', '.data/', '.tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // The project service finds each file's nearest tsconfig: console/tsconfig.json for the
        // console (DOM, JSX), tsconfig.json for everything else; the console's build config is in neither.
        projectService: { allowDefaultProject: ['console/vite.config.ts'] },
        tsconfigRootDir: import.meta.dirname,
      },
      globals: { ...globals.node },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // An async function that does not await is how a synchronous body implements an async port
      // or Lambda signature (a throw still becomes a rejection); 72 findings, none a bug.
      '@typescript-eslint/require-await': 'off',
      // The input sanitisers (render, field values, text scan) match control characters on purpose.
      'no-control-regex': 'off',
      // Every finding was a deliberate String(unknown) of a JSON value for display or CSV; the rule
      // cannot tell a JSON string typed unknown from an object.
      '@typescript-eslint/no-base-to-string': 'off',
    },
  },
  {
    files: ['console/src/**'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      // Event handlers may be async: each catches into its screen's error state (nothing rejects
      // unseen), and preact ignores a handler's return value.
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
    },
  },
  {
    // Tests and benchmarks drive the HTTP API and read JSON bodies typed `any`, and assert on
    // vitest mocks (expect(fake.method)); typing every response body adds nothing to a test.
    files: ['test/**', 'bench/**'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // Plain JavaScript (this file) is in no tsconfig: lint it without type information.
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
