// ESLint (flat config): typescript-eslint's recommended rules, the Temporal samples' ban on Node
// built-ins and worker-side SDK packages in workflow code, and the import directions between folders
// (eslint-plugin-boundaries). Formatting is Prettier's job (`npm run lint` runs `prettier --check`).
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import boundaries from 'eslint-plugin-boundaries';
import tseslint from 'typescript-eslint';

/**
 * Folders by role. The contract (names, types, failures, pure presentation of a trip) is the vocabulary every
 * side shares; the CLI command modules in client/ are processes like those of workers/.
 */
const ELEMENTS = [
  {
    type: 'contract',
    pattern: [
      'workflows/contract.ts',
      'workflows/trip-phases.ts',
      'workflows/activity-types.ts',
      'workflows/presentation.ts',
      'workflows/failures.ts',
    ],
    mode: 'full',
  },
  {
    type: 'commands',
    pattern: ['client/cli.ts', 'client/avinode-cli.ts', 'client/doctor.ts', 'client/trip-cli.ts'],
    mode: 'full',
  },
  // Whole paths from the repository root: a test under test/workflows/ is a test, not workflow code.
  ...['workflows', 'activities', 'platform', 'client', 'workers', 'emulator', 'scripts', 'test'].map((folder) => ({
    type: folder,
    pattern: `${folder}/**/*`,
    mode: 'full',
  })),
];

const allow = (from, to, extra = {}) => ({
  from: { element: { type: from } },
  allow: { to: { element: { types: { anyOf: to } } }, ...extra },
});
const allowTypes = (from, to) => ({
  from: { element: { type: from } },
  allow: { to: { element: { types: { anyOf: to } } }, dependency: { kind: 'type' } },
});

/** Which folder may import which (default: no); a folder may always import its own files. */
const POLICIES = [
  // Workflow code: deterministic, nothing but itself and the contract (activities as types only).
  allow('workflows', ['workflows', 'contract']),
  allowTypes('workflows', ['activities']),
  allow('contract', ['contract']),
  // The shared layer depends on nothing of the product but the contract.
  allow('platform', ['platform', 'contract']),
  // Activities: their own modules, the platform, and the workflow contract (their interface and vocabulary).
  allow('activities', ['activities', 'platform', 'contract']),
  // The client library: the contract and the platform; the workflow itself only as a type (typed handles).
  allow('client', ['client', 'contract', 'platform']),
  allowTypes('client', ['workflows']),
  // Processes: everything but the emulator (rule below: lazily, from the launchers only) and the tests.
  allow('commands', ['commands', 'client', 'contract', 'platform', 'activities', 'workers']),
  allowTypes('commands', ['workflows']),
  allow('workers', ['workers', 'workflows', 'contract', 'activities', 'platform', 'client']),
  // The emulator stands in for Avinode: the platform and Avinode's vocabulary from the contract.
  allow('emulator', ['emulator', 'platform', 'contract']),
  allow('scripts', ['scripts', 'workers', 'platform', 'contract', 'emulator']),
  allow('test', [
    'test',
    'contract',
    'workflows',
    'activities',
    'platform',
    'client',
    'commands',
    'workers',
    'emulator',
    'scripts',
  ]),
];

/** The only modules that load the emulator, lazily with import(): `charterflow start` and `charterflow emulator`. */
const EMULATOR_LAUNCHERS = ['workers/start.ts', 'client/cli.ts', 'scripts/cluster.ts'];

/** The samples' rule for workflow files: no Node built-ins, no worker-side SDK packages. */
const WORKER_SIDE_PACKAGES = [
  '@temporalio/activity',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/testing',
];
const WORKFLOW_RESTRICTED_IMPORTS = [
  ...WORKER_SIDE_PACKAGES.map((name) => ({
    name,
    message: `${name} runs outside the workflow sandbox; workflow code imports @temporalio/workflow and pure modules only.`,
  })),
  ...builtinModules
    .flatMap((name) => [name, `node:${name}`])
    .map((name) => ({
      name,
      message: 'Node built-ins are not deterministic and do not exist in the workflow sandbox; do this in an activity.',
    })),
];

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'node_modules/',
      '.tools/',
      '.data/',
      '.bench/',
      'coverage/',
      'tmp/',
      'test/fixtures/histories/',
      'test/fixtures/investigate/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        fetch: 'readonly',
        structuredClone: 'readonly',
        queueMicrotask: 'readonly',
        setImmediate: 'readonly',
      },
    },
    rules: {
      // Unused names are errors, except a leading underscore (kept on purpose, e.g. a destructured rest).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
      // Off: our errors name what failed and drop the cause on purpose. A cause carries a library's
      // message (a token endpoint's body, a file's contents) and Temporal serialises cause chains
      // into workflow history, where secrets must never land.
      'preserve-caught-error': 'off',
      // Off: input validation here looks for control characters on purpose (trip text, fuzz corpora).
      'no-control-regex': 'off',
    },
  },
  {
    files: ['test/**'],
    rules: {
      // Tests read untyped JSON bodies and poke at internals; `any` there is the honest type.
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    files: ['**/*.ts'],
    plugins: { boundaries },
    settings: {
      'boundaries/elements': ELEMENTS,
      'boundaries/include': [
        'workflows/**',
        'activities/**',
        'platform/**',
        'client/**',
        'workers/**',
        'emulator/**',
        'scripts/**',
        'test/**',
      ],
      'boundaries/dependency-nodes': ['import', 'export', 'dynamic-import'],
      // `mode: 'full'` (whole paths, so contract and commands can be single files) is legacy in v7,
      // whose file categories cannot be allowed per element type; it would be reported on every run.
      'boundaries/legacy-warnings': false,
      'import/resolver': { node: { extensions: ['.ts', '.js'] } },
    },
    rules: {
      'boundaries/dependencies': [
        'error',
        {
          default: 'disallow',
          policies: [
            ...POLICIES,
            // The launchers load the emulator lazily (which modules may: no-restricted-syntax below).
            {
              from: { element: { types: { anyOf: ['workers', 'commands', 'scripts'] } } },
              allow: { to: { element: { type: 'emulator' } }, dependency: { nodeKind: 'dynamic-import' } },
            },
            // Packages and Node built-ins: everywhere (workflow files have their own rule below).
            { allow: { to: { module: { origin: ['external', 'core'] } } } },
          ],
        },
      ],
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: WORKFLOW_RESTRICTED_IMPORTS,
          // Beyond the samples' list: any package but the two the sandbox is built for.
          patterns: [
            {
              regex: `^(?!\\.|@temporalio/(workflow|common)(/|$)|node:|(${[...WORKER_SIDE_PACKAGES, ...builtinModules].join('|')})$)`,
              message:
                'Workflow code imports @temporalio/workflow, @temporalio/common and pure modules of this repository only.',
            },
          ],
        },
      ],
    },
  },
  {
    // Production code never loads the emulator eagerly: only the launchers, with import().
    files: ['workflows/**', 'activities/**', 'platform/**', 'client/**', 'workers/**', 'emulator/**', 'scripts/**'],
    ignores: EMULATOR_LAUNCHERS,
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'ImportExpression[source.value=/(^|\\/)emulator\\//]',
          message: 'Only the launchers (start, the CLI, the cluster script) load the emulator.',
        },
      ],
    },
  },
);
