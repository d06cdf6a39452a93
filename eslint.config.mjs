// Flat config: Next's core-web-vitals and TypeScript rules (eslint-config-next 16 ships flat configs).
import nextCoreWebVitals from 'eslint-config-next/core-web-vitals';
import nextTypescript from 'eslint-config-next/typescript';

// ---- Walls: which folder may import what (npm run lint enforces them; lib/lint-walls.test.ts proves
// each one fires). Flat config does not merge a rule's options across blocks, so each block lists
// its whole wall.
const RULE = '@typescript-eslint/no-restricted-imports';

/** The simulated PSPs are foreign systems reached over HTTP only (lib/sandbox is their old home, kept in the pattern so it cannot come back). */
const SANDBOX = {
  group: ['@/sandbox', '@/sandbox/**', '@/lib/sandbox', '@/lib/sandbox/**', '**/sandbox', '**/sandbox/**'],
  message: 'The sandboxes are foreign systems: reach them over HTTP (SANDBOX_CARD_URL, the Daraja base URL), never by import. Tests may import them for setup.',
};
/** The embedded engine is one way to run our functions; nothing outside inngest/ may depend on it. */
const ENGINE = {
  group: ['@/inngest/engine', '@/inngest/engine/**', '../engine', '../engine/**', '**/inngest/engine', '**/inngest/engine/**'],
  message: 'The embedded engine is one of several engines (see inngest/mode.ts): go through the Inngest client or a port instead.',
};
const FRAMEWORK = [
  { group: ['@/app', '@/app/**', '**/app/**'], message: 'lib/ is the domain: it never imports routes or pages (app/ imports lib/, not the other way round).' },
  { group: ['next', 'next/*'], message: 'lib/ is framework-free: no next/* imports (pass what you need from the route).' },
];
/** Server-only modules a React component must not reach (data access belongs to lib/, called by the page). */
const SERVER_ONLY = [
  {
    group: ['@/db', '@/db/**', 'drizzle-orm', 'drizzle-orm/**', 'postgres', 'server-only', '@/inngest', '@/inngest/**'],
    message: 'Components have no data access: the page loads the data in lib/ and passes it as props.',
  },
  {
    // lib/ server modules may be imported for their types only; values only from pure modules
    group: ['@/lib/**', '!@/lib/money', '!@/lib/money/**'],
    allowTypeImports: true,
    message: 'Components may import types from lib/ (import type) and values only from pure modules (lib/money).',
  },
];
/** Routes and pages run no SQL: queries live in lib/ (and db/), called with plain arguments. */
const NO_SQL = {
  group: ['drizzle-orm', 'drizzle-orm/**', 'postgres', '@/db/client', '@/db/migrate', '@/db/seed', '@/db/roles'],
  message: 'app/ runs no SQL: move the query into lib/<context> and call it from the route or page.',
};
/** What a sandbox may use of ours: the shared primitives any service would have (ids, money, config). */
const SANDBOX_OWN = [
  {
    group: ['@/lib/**', '!@/lib/ids', '!@/lib/money', '!@/lib/env'],
    message: 'A sandbox imports nothing from lib/ but shared primitives (lib/ids, lib/money, lib/env): it is a foreign system.',
  },
  { group: ['@/inngest', '@/inngest/**', '@/app/**', '@/components/**'], message: 'A sandbox knows nothing of our app.' },
];

const walls = [
  {
    files: ['lib/**'],
    ignores: ['lib/**/*.test.ts'],
    rules: { [RULE]: ['error', { patterns: [...FRAMEWORK, ENGINE, SANDBOX] }] },
  },
  {
    // unit tests beside pure code may set up a sandbox, but stay off the framework and the engine
    files: ['lib/**/*.test.ts'],
    rules: { [RULE]: ['error', { patterns: [...FRAMEWORK, ENGINE] }] },
  },
  {
    files: ['components/**'],
    rules: { [RULE]: ['error', { patterns: [...SERVER_ONLY, ENGINE, SANDBOX] }] },
  },
  {
    files: ['app/**'],
    rules: { [RULE]: ['error', { patterns: [NO_SQL] }] },
  },
  {
    files: ['inngest/**'],
    ignores: ['inngest/engine/**', 'inngest/**/*.test.ts'],
    rules: { [RULE]: ['error', { patterns: [SANDBOX] }] },
  },
  {
    // functions are engine-agnostic: they run the same on real Inngest
    files: ['inngest/functions/**'],
    ignores: ['inngest/**/*.test.ts'],
    rules: { [RULE]: ['error', { patterns: [ENGINE, SANDBOX] }] },
  },
  {
    files: ['sandbox/**'],
    ignores: ['**/*.test.ts'],
    rules: { [RULE]: ['error', { patterns: SANDBOX_OWN }] },
  },
];

const config = [
  {
    ignores: [
      '.next/**',
      '.next-*/**',
      '.data/**',
      'node_modules/**',
      'test-results/**',
      'playwright-report/**',
      'coverage/**',
      'db/migrations/**',
      'next-env.d.ts',
    ],
  },
  ...nextCoreWebVitals,
  ...nextTypescript,
  {
    rules: {
      // `_name` marks a parameter or binding that is unused on purpose.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // From eslint:recommended: `({}) =>` is usually a mistake (Playwright fixtures disable it inline).
      'no-empty-pattern': 'error',
    },
  },
  ...walls,
  {
    // Playwright fixtures call their callback `use`, which the React hooks rules mistake for React's use().
    files: ['tests/e2e/**'],
    rules: { 'react-hooks/rules-of-hooks': 'off' },
  },
  {
    // Tests may read loosely typed JSON responses; production code must not.
    files: ['tests/**', '**/*.test.ts', '**/*.test.tsx'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
];

export default config;
