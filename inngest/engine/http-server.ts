import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { z, ZodError } from 'zod';
import type { Db } from '@/db/client';
import { ingestEvents } from './ingest';
import { recordCheckpointUnderLease, type FunctionCache } from './store';
import { isSdkApiAuthorization, safeEqual } from './signing';
import { handleOutOfBandRegister, SyncError } from './sync';

/** Inngest accepts up to 3 MB per send request; so do we. */
const MAX_BODY_BYTES = 3 * 1024 * 1024;

export interface EngineHttpOptions {
  db: Db;
  eventKey: string;
  signingKey: string;
  port: number;
  host: string;
  /** The engine's compiled functions: read for each send, cleared by a registration. */
  functions: FunctionCache;
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
}

export interface EngineHttpServer {
  url: string;
  close(): Promise<void>;
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new SyncError('request body too large', 413));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function parseJsonBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new SyncError('body is not valid JSON', 400);
  }
}

/** POST /e/:key — the event API inngest.send() talks to. Answers { ids, status } like Inngest. */
async function handleSendEvents(options: EngineHttpOptions, key: string, req: http.IncomingMessage, res: http.ServerResponse) {
  if (!safeEqual(key, options.eventKey)) return send(res, 401, { error: 'Event key not found', status: 401 });
  const body = parseJsonBody(await readBody(req));
  const events = Array.isArray(body) ? body : [body];
  try {
    const { ids } = await ingestEvents(options.db, events, await options.functions.all());
    send(res, 200, { ids, status: 200 });
  } catch (err) {
    if (err instanceof ZodError)
      return send(res, 400, {
        error: `invalid event: ${err.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
        status: 400,
      });
    throw err;
  }
}

/**
 * The body of the SDK's async checkpoint (checkpointStepsAsync in inngest's api.ts). `qi_id` is
 * the queue item the engine handed the SDK in ctx: our lease token.
 */
const checkpointBodySchema = z.object({
  run_id: z.string().min(1).optional(),
  fn_id: z.string().min(1),
  qi_id: z.string().min(1),
  steps: z.array(z.object({ id: z.string().min(1), op: z.string(), data: z.unknown().optional() }).passthrough()),
});

/**
 * Ops a checkpoint may carry: finished steps. Everything else (errors, sleeps, waits) ends the
 * request and reaches the engine in the SDK's response, where it is handled as without checkpoints.
 */
const CHECKPOINT_OPS = new Set(['StepRun', 'Step']);

/**
 * POST /v1/checkpoint/:runId/async — the SDK ran steps inside one call and reports them before
 * going on (Inngest's async checkpointing). Answers 200 once recorded; 409 when the dispatch is
 * stale (the run finished, or its lease moved to another claim): the SDK then stops running the
 * function; 404 for an unknown run; 400 for a body we cannot record (nothing is written).
 */
async function handleCheckpoint(options: EngineHttpOptions, runId: string, req: http.IncomingMessage, res: http.ServerResponse) {
  if (!isSdkApiAuthorization(req.headers.authorization, options.signingKey))
    return send(res, 401, { error: 'invalid signing key', status: 401 });
  const parsed = checkpointBodySchema.safeParse(parseJsonBody(await readBody(req)));
  if (!parsed.success)
    return send(res, 400, {
      error: `invalid checkpoint: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      status: 400,
    });
  const body = parsed.data;
  if (body.run_id !== undefined && body.run_id !== runId)
    return send(res, 400, { error: `checkpoint body names run ${body.run_id}, the URL ${runId}`, status: 400 });
  const unsupported = body.steps.find((step) => !CHECKPOINT_OPS.has(step.op));
  if (unsupported)
    return send(res, 400, { error: `a checkpoint cannot carry ${unsupported.op} (step ${unsupported.id})`, status: 400 });
  const outcome = await recordCheckpointUnderLease(
    options.db,
    { runId, token: body.qi_id, functionId: body.fn_id },
    body.steps.map((step) => ({ stepId: step.id, result: { type: 'data', data: step.data ?? null } })),
  );
  if ('recorded' in outcome) return send(res, 200, { status: 200, recorded: outcome.recorded });
  if (outcome.reason === 'unknown-run') return send(res, 404, { error: `run ${runId} not found`, status: 404 });
  options.log('info', `refused a stale checkpoint for run ${runId} (${outcome.status}, lease not held by that call)`);
  return send(res, 409, { error: `run ${runId} is not held by this call (status ${outcome.status})`, status: 409 });
}

async function handle(options: EngineHttpOptions, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://engine.local');
  const eventRoute = /^\/e\/([^/]+)\/?$/.exec(url.pathname);
  if (req.method === 'POST' && eventRoute) return handleSendEvents(options, decodeURIComponent(eventRoute[1]!), req, res);
  const checkpointRoute = /^\/v1\/checkpoint\/([^/]+)\/async\/?$/.exec(url.pathname);
  if (req.method === 'POST' && checkpointRoute)
    return handleCheckpoint(options, decodeURIComponent(checkpointRoute[1]!), req, res);
  if (req.method === 'POST' && url.pathname === '/fn/register') {
    const functions = await handleOutOfBandRegister({
      db: options.db,
      signingKey: options.signingKey,
      authorization: req.headers.authorization ?? null,
      body: parseJsonBody(await readBody(req)),
    });
    options.functions.invalidate();
    options.log('info', `registered ${functions.length} function(s) out of band`);
    return send(res, 200, { status: 200, modified: true });
  }
  if (req.method === 'GET' && url.pathname === '/health') {
    await options.db.execute(sql`select 1`);
    return send(res, 200, { status: 'ok' });
  }
  send(res, 404, { error: 'not found', status: 404 });
}

/** The engine's HTTP face: event API, step checkpoints, out-of-band registration, health check. */
export async function startEngineHttpServer(options: EngineHttpOptions): Promise<EngineHttpServer> {
  const server = http.createServer((req, res) => {
    handle(options, req, res).catch((err: unknown) => {
      if (err instanceof SyncError) return send(res, err.status, { status: err.status, error: err.message });
      options.log('error', `engine http ${req.method} ${req.url} failed: ${(err as Error).stack ?? String(err)}`);
      if (!res.headersSent) send(res, 500, { error: 'internal error', status: 500 });
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host === '0.0.0.0' ? '127.0.0.1' : options.host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
