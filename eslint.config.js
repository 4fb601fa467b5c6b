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
    // Executors: plans, gateways (by their interfaces), hosts; never the UI, the store, the CLI or the poller.
    files: ['src/run/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['ink', 'react', '**/screens/**', '**/store/**', '**/cli/**', '**/monitor/**', '**/commands/**', '**/cluster/etcd*', '**/hosts/ssh*'] }],
    },
  },
  {
    // Flows: definitions and the controller speak to the cluster and hosts through ports, never to etcd3,
    // ssh2, the UI or the CLI.
    files: ['src/flows/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['etcd3', 'ssh2', 'ink', 'react', 'node:fs*', 'fs', '**/screens/**', '**/cli/**', '**/monitor/**', '**/cluster/etcd*', '**/hosts/ssh*'] }],
    },
  },
  {
    // Screens never reach the etcd or ssh layers.
    files: ['screens/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['etcd3', 'ssh2', '**/cluster/etcd*', '**/monitor/**'] }] },
  },
);
