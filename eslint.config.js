// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Lower layers never import higher ones (ARCHITECTURE.md §1). */
const layers = {
  'protocol/**': ['@niaga/db', '@niaga/migrations', '@niaga/domain', '@niaga/sync-server', '@niaga/mutators'],
  'db/**': ['@niaga/protocol', '@niaga/migrations', '@niaga/domain', '@niaga/sync-server'],
  'migrations/**': ['@niaga/domain', '@niaga/sync-server'],
  // Mutators run on devices too: no database drivers, no server code.
  'mutators/**': ['@niaga/db', '@niaga/migrations', '@niaga/domain', '@niaga/sync-server', 'pg', 'node:*'],
  'domain/**': ['@niaga/sync-server'],
};

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '.niaga/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['eslint.config.js'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      // Fastify plugins and hooks are async by contract, with or without an await inside.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
    },
  },
  ...Object.entries(layers).map(([files, forbidden]) => ({
    files: [files],
    rules: {
      'no-restricted-imports': ['error', { patterns: forbidden.map((name) => ({ group: [name, `${name}/*`], message: 'Lower layers never import higher ones (ARCHITECTURE.md §1).' })) }],
    },
  })),
  {
    files: ['**/*.test.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off', '@typescript-eslint/unbound-method': 'off' },
  },
);
