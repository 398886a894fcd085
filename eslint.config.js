// Lint rules, including the folder boundaries of docs/architecture.md: data flows
// model <- formats <- (agent, server, cli, ui), and never back up.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Forbids importing the named workspace packages from the files matched. */
function boundary(files, forbidden, why) {
  return {
    files,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: forbidden.map((name) => ({ group: [`@kiln/${name}`, `@kiln/${name}/*`], message: why })),
        },
      ],
    },
  };
}

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'testdata/**', 'data/**', '.scratch/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        { selector: 'TSEnumDeclaration', message: 'Use an `as const` object and a union type instead of enum.' },
        { selector: 'TSModuleDeclaration[kind="namespace"]', message: 'Use ES modules, not namespaces.' },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', fetch: 'readonly' },
    },
  },
  boundary(
    ['packages/model/**'],
    ['formats', 'api', 'agent', 'server', 'ui', 'cli'],
    'model is pure and depends on no other Kiln package.',
  ),
  boundary(['packages/formats/**'], ['api', 'agent', 'server', 'ui', 'cli'], 'formats depends only on model.'),
  {
    files: ['packages/model/src/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@kiln/*'], message: 'model is pure and depends on no other Kiln package.' },
            {
              group: ['node:*', 'fs', 'path', 'zlib', 'http'],
              message: 'model runs in the browser too: no Node built-ins.',
            },
          ],
        },
      ],
    },
  },
  // protoc-gen-es starts every file with `/* eslint-disable */`; the pprof file needs none of it.
  { files: ['packages/api/src/gen/**'], linterOptions: { reportUnusedDisableDirectives: 'off' } },
  boundary(['packages/agent/**'], ['server', 'cli', 'ui'], 'the agent never imports server, cli or ui.'),
);
