import { defineConfig, devices } from '@playwright/test';

// E2E_SLOT=N runs a second suite beside the first on its own ports, data dir and build dir.
const SLOT = Number(process.env.E2E_SLOT ?? 0);
const PORT = 3100 + SLOT;
const BASE_URL = `http://127.0.0.1:${PORT}`;
/** The functions server beside the embedded engine (a fixed port here, so a test can knock on it). */
const FUNCTIONS_PORT = 3200 + SLOT;
export const FUNCTIONS_URL = `http://127.0.0.1:${FUNCTIONS_PORT}`;
const SUFFIX = SLOT ? `-${SLOT}` : '';
const DATA_DIR = `.data/e2e${SUFFIX}`;
const LOG_FILE = `.data/e2e-server${SUFFIX}.log`;

/**
 * End-to-end tests against a production build started by the real `npm start` script, in a data
 * directory of its own that is wiped first (embedded Postgres on its own port, fresh seed).
 * The server log is kept at .data/e2e-server.log; a test reads it to prove no card data is logged.
 * TRUST_PROXY=loopback: the tests play a proxy in front of the app, sending X-Forwarded-For to be
 * different customers (the per-IP risk and rate limits would otherwise see one client).
 * The log is a plain redirect, not `| tee`: on shutdown tee dies with the process group, and
 * Next, still writing to the broken pipe, would linger. If start-up fails, the log's tail is printed.
 */
const serverCommand = [
  'mkdir -p .data',
  `: > ${LOG_FILE}`,
  `rm -rf ${DATA_DIR}`,
  `TRUST_PROXY=loopback PAYMENT_CALLBACK_TIMEOUT_MS=10000 PAYKIT_DATA_DIR=${DATA_DIR} NEXT_DIST_DIR=.next-e2e${SUFFIX} NEXT_TELEMETRY_DISABLED=1 PORT=${PORT} EMBEDDED_PG_PORT=${54339 + SLOT} ENGINE_PORT=${8398 + SLOT} FUNCTIONS_PORT=${FUNCTIONS_PORT} APP_URL=${BASE_URL} node_modules/.bin/tsx scripts/start.ts >> ${LOG_FILE} 2>&1 || { tail -n 40 ${LOG_FILE} >&2; exit 1; }`,
].join(' && ');

export default defineConfig({
  testDir: 'tests/e2e',
  fullyParallel: false,
  workers: 1,
  retries: process.env.CI ? 1 : 0,
  forbidOnly: !!process.env.CI,
  reporter: 'list',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  use: {
    baseURL: BASE_URL,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
  projects: [{ name: 'chromium', use: { ...devices['Desktop Chrome'], channel: undefined } }],
  webServer: {
    command: serverCommand,
    url: `${BASE_URL}/store`,
    timeout: 600_000,
    reuseExistingServer: false,
    // The default is SIGKILL to the shell's process group, which never reaches Next (start.ts runs it
    // in a group of its own) and leaves it holding the port. SIGTERM lets start.ts stop everything.
    gracefulShutdown: { signal: 'SIGTERM', timeout: 30_000 },
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
