import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import postgres from 'postgres';
import { E2E_DATA_DIR } from './e2e-paths';

/** What the dashboard e2e specs share: the seeded demo merchant, the database, a webhook receiver. */
export interface DemoMerchant {
  email: string;
  password: string;
  secret_key: string;
}

export async function demoMerchant(): Promise<DemoMerchant> {
  return JSON.parse(await fs.readFile(path.join(E2E_DATA_DIR, 'demo-merchant.json'), 'utf8')) as DemoMerchant;
}

export async function database() {
  const runtime = JSON.parse(await fs.readFile(path.join(E2E_DATA_DIR, 'runtime.json'), 'utf8')) as { databaseUrl: string };
  return postgres(runtime.databaseUrl, { max: 1, onnotice: () => undefined });
}

/** A local HTTP server standing in for the merchant's webhook handler; it records what it gets. */
export async function startReceiver() {
  const received: { type: string; id: string; signature: string | undefined }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      try {
        const event = JSON.parse(body) as { id: string; type: string };
        received.push({ type: event.type, id: event.id, signature: req.headers['pay-signature'] as string | undefined });
      } catch {
        /* not JSON: still answer */
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
