/**
 * The app's HTTP server: Next.js (production or dev) behind a plain node:http server whose only
 * job is to tell the app who the socket peer is. A Next route handler never sees the socket, and
 * `next start` sets X-Forwarded-For from it only when the client sent none, so a client could
 * choose its own address. Here every request gets the peer appended to X-Forwarded-For (as a
 * proxy does) before Next sees it; lib/http/client-ip reads it from the right, trusting only the
 * hops TRUST_PROXY names.
 *
 * Usage: tsx scripts/serve.ts start|dev -p PORT   (scripts/start.ts runs it)
 */
import http from 'node:http';
import next from 'next';
import { appendPeerAddress } from '../lib/http/client-ip';
import { snapshotProcessEnv } from '../lib/env/process-env';

function parseArgs(argv: string[]): { dev: boolean; port: number; hostname: string | undefined } {
  const mode = argv[0];
  if (mode !== 'start' && mode !== 'dev') throw new Error('usage: serve.ts start|dev -p PORT [-H HOSTNAME]');
  const flag = (name: string) => {
    const i = argv.indexOf(name);
    return i === -1 ? undefined : argv[i + 1];
  };
  const port = Number(flag('-p') ?? process.env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`bad port ${flag('-p')}`);
  return { dev: mode === 'dev', port, hostname: flag('-H') };
}

async function main(): Promise<void> {
  // before the first request: the Inngest SDK lists the environment on every call (lib/env/process-env.ts)
  snapshotProcessEnv();
  const { dev, port, hostname } = parseArgs(process.argv.slice(2));
  const app = next({ dev, port, hostname: hostname ?? 'localhost', dir: process.cwd() });
  await app.prepare();
  const handle = app.getRequestHandler();
  const upgrade = app.getUpgradeHandler();
  const server = http.createServer((req, res) => {
    const peer = req.socket.remoteAddress;
    if (!peer) {
      // the socket is already gone; there is nobody to answer
      res.destroy();
      return;
    }
    appendPeerAddress(req.headers, peer);
    handle(req, res).catch((err: unknown) => {
      console.error('[serve] request failed:', err);
      if (!res.headersSent) res.statusCode = 500;
      res.end();
    });
  });
  server.on('upgrade', (req, socket, head) => {
    if (req.socket.remoteAddress) appendPeerAddress(req.headers, req.socket.remoteAddress);
    void upgrade(req, socket, head);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // like `next start`: every interface unless -H names one
    server.listen(port, hostname, () => resolve());
  });
  console.log(`[serve] ${dev ? 'dev' : 'production'} server on port ${port}`);
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
