/**
 * Test helper run as its own process: one app instance, as `next start` would serve it, for the
 * routes a payment needs (create, confirm, webhook endpoints, the sandbox card network and its
 * callbacks) plus the Inngest serve route and the outbox relay, so a test can SIGKILL an instance
 * mid-load. Prints `listening <url>` on stdout. Env: what the app reads (DATABASE_URL,
 * INNGEST_BASE_URL, INNGEST_SIGNING_KEY, INNGEST_EVENT_KEY, SANDBOX_CARD_URL, ...).
 */
import { serve } from 'inngest/edge';
import { functions } from '@/inngest';
import { inngest } from '@/inngest/client';
import { ensureOutboxRelay } from '@/inngest/relay';
import { INNGEST_SERVE_ROUTE } from '@/lib/env/server-role';
import { handleSandboxCardRequest } from '@/sandbox/card';
import * as createIntent from '@/app/api/v1/payment_intents/route';
import * as confirmIntent from '@/app/api/v1/payment_intents/[id]/confirm/route';
import * as webhookEndpoints from '@/app/api/v1/webhook_endpoints/route';
import * as sandboxCallback from '@/app/api/psp/sandbox/callback/route';
import { startFetchServer } from './fetch-server';

type Handler = (req: Request, ctx: { params: Promise<never> }) => Promise<Response>;
const inngestHandler = serve({ client: inngest, functions });
const params = (value: Record<string, string>) => ({ params: Promise.resolve(value as never) });

const server = await startFetchServer(async (req) => {
  const { pathname } = new URL(req.url);
  if (pathname === INNGEST_SERVE_ROUTE) return inngestHandler(req);
  if (pathname.startsWith('/api/sandbox/card/')) return handleSandboxCardRequest(req);
  if (pathname === '/api/psp/sandbox/callback' && req.method === 'POST')
    return (sandboxCallback.POST as Handler)(req, params({}));
  if (pathname === '/api/v1/payment_intents' && req.method === 'POST') return (createIntent.POST as Handler)(req, params({}));
  if (pathname === '/api/v1/webhook_endpoints' && req.method === 'POST')
    return (webhookEndpoints.POST as Handler)(req, params({}));
  const confirm = /^\/api\/v1\/payment_intents\/([^/]+)\/confirm$/.exec(pathname);
  if (confirm && req.method === 'POST') return (confirmIntent.POST as Handler)(req, params({ id: confirm[1]! }));
  return new Response('not found', { status: 404 });
});
ensureOutboxRelay();
process.stdout.write(`listening ${server.url}\n`);
