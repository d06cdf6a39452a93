import path from 'node:path';

/** Where the e2e server of this run keeps its data and log (see E2E_SLOT in playwright.config.ts). */
const SLOT = Number(process.env.E2E_SLOT ?? 0);
const SUFFIX = SLOT ? `-${SLOT}` : '';
const ROOT = path.resolve(import.meta.dirname, '../..');

export const E2E_DATA_DIR = path.join(ROOT, `.data/e2e${SUFFIX}`);
export const E2E_SERVER_LOG = path.join(ROOT, `.data/e2e-server${SUFFIX}.log`);
