import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.cache/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', Buffer: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'off',
    },
  },
  {
    // Pure core: no I/O, no UI.
    files: ['src/domain/**', 'src/health/**', 'src/format/**', 'src/commands/**', 'src/plans/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['etcd3', 'ssh2', 'node:fs*', 'fs', 'ink', 'react', '**/cluster/**', '**/monitor/**'] }],
    },
  },
  {
    // Screens never reach the etcd or ssh layers.
    files: ['screens/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['etcd3', 'ssh2', '**/cluster/etcd*', '**/monitor/**'] }] },
  },
);
