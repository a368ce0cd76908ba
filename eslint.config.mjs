import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Layer rules of STYLE.md: arrows point down only (server → graphql → modules → engine → money/core). */
const layer = (files, patterns) => ({
  files,
  rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns }] },
});

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'test/gql/**',
      '.data/**',
      'coverage/**',
      'web/dist/**',
      'web/src/gql/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-console': 'error',
    },
  },
  {
    files: ['**/*.ts'],
    ignores: ['src/money/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'decimal.js', message: 'Use src/money: it is the only importer of decimal.js.' }] },
      ],
    },
  },
  layer(
    ['src/engine/**', 'src/money/**', 'src/core/**'],
    [
      {
        group: [
          '../modules/*',
          '../graphql/*',
          '../server/*',
          '../db/*',
          '@mikro-orm/*',
          'type-graphql',
          'graphql',
        ],
        message: 'engine/, money/ and core/ are pure.',
      },
    ],
  ),
  layer(
    ['src/modules/**'],
    [
      {
        group: ['../graphql/*', '../../graphql/*', '../../server/*', 'type-graphql', 'graphql'],
        message: 'modules/ imports no GraphQL.',
      },
      {
        group: ['../*/*', '!../shared/*', '!../../**'],
        message: 'Import another module through its index.ts.',
      },
    ],
  ),
  layer(
    ['src/graphql/**'],
    [
      { group: ['../server/*', '../../server/*'], message: 'graphql/ sits below server/.' },
      { group: ['**/modules/*/*', '!**/modules/*/index'], message: 'Import a module through its index.ts.' },
    ],
  ),
  layer(
    ['src/events/**', 'src/jobs/**', 'src/server/**', 'src/*.ts'],
    [{ group: ['**/modules/*/*', '!**/modules/*/index'], message: 'Import a module through its index.ts.' }],
  ),
  { files: ['test/**', 'bench/**'], rules: { 'no-console': 'off' } },
  { files: ['web/**/*.mjs'], languageOptions: { globals: { process: 'readonly' } } },
);
