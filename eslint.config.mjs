// Workflow code runs in Temporal's deterministic sandbox: no I/O, no Node built-ins, no AWS SDK.
// All side effects live in activities (src/activities), which workflows import only as types.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const ioModules = [
  { group: ['node:*'], message: 'Workflow code must be deterministic: move I/O into an activity.' },
  { group: ['@aws-sdk/*'], message: 'AWS calls belong in src/activities; import their types only.' },
  {
    group: ['fs', 'fs/*', 'child_process', 'http', 'https', 'net', 'dns', 'os', 'path', 'crypto', 'worker_threads'],
    message: 'Workflow code must be deterministic: move I/O into an activity.',
  },
  { group: ['@temporalio/client', '@temporalio/worker', '@temporalio/activity'], message: 'Not for workflow code.' },
];

// The embedded stack and the emulator (src/dev, the emulator in src/dev/emulator) are not the product:
// only the command that runs the stack imports them, so nothing the worker or the CLI runs against AWS
// depends on the emulator. src/dev and everything below it, from any depth of src (not a bare './dev':
// from src/cli/commands that is the dev command itself).
const emulatorBoundary = {
  group: ['./dev/**', '../dev', '../dev/**', '../../dev', '../../dev/**', '../../../dev', '../../../dev/**'],
  message: 'Product code does not import the embedded stack or the emulator (src/dev, src/dev/emulator).',
};

export default tseslint.config(
  { ignores: ['dist/', 'dist-bench/', 'node_modules/', '.switchyard/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['scripts/**/*.js', '*.config.js', 'test/**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', __dirname: 'readonly', process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', Buffer: 'readonly', fetch: 'readonly', WebSocket: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['src/workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [...ioModules.map((p) => ({ ...p, allowTypeImports: true })), emulatorBoundary] },
      ],
      // A workflow task's time differs between executions of it (replay, a query on an uncached
      // worker): elapsed time measured with the clock must not decide what the workflow does.
      'no-restricted-syntax': [
        'error',
        // The clock read directly in a subtraction or a comparison (a variable that holds a reading is
        // beyond a selector: review catches those).
        ...[
          "CallExpression[callee.object.name='Date'][callee.property.name='now']",
          "CallExpression[callee.object.type='NewExpression'][callee.object.callee.name='Date'][callee.property.name=/^(getTime|valueOf)$/]",
        ].map((clock) => ({
          selector: `BinaryExpression[operator=/^(-|<|>|<=|>=)$/] > ${clock}`,
          message: 'Do not measure elapsed time with the clock in workflow code: count timers (see bakeIntervals).',
        })),
      ],
    },
  },
  {
    files: ['src/workflows/**/*.ts'],
    ignores: [],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['../activities', '../activities/*', '../../activities', '../../activities/*'], message: 'Workflows import activities with `import type` only.', allowTypeImports: true }] },
      ],
    },
  },
  {
    // (Workflow code gets the same boundary in its own rule above: one rule's options replace another's.)
    files: ['src/**/*.ts'],
    ignores: ['src/dev/**', 'src/cli/commands/dev.ts', 'src/cli/commands/rehearse.ts', 'src/workflows/**'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [emulatorBoundary] }] },
  },
  {
    // Rules that need the types: a Temporal API call without its await (a signal, a timer, a handle's
    // result) fails silently or races the code after it.
    files: ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: { '@typescript-eslint/no-floating-promises': 'error' },
  },
);
