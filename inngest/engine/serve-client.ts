import { canonicalJson } from './canonical-json';
import { signRequestBody } from './signing';
import type { StepResult } from './store';

/** A step opcode as the SDK reports it in a 206 response (OutgoingOp in the SDK). */
export interface StepOp {
  id: string;
  op: string;
  name?: string;
  displayName?: string;
  opts?: Record<string, unknown>;
  data?: unknown;
  error?: unknown;
}

export type CallOutcome =
  | { kind: 'completed'; output: unknown }
  | { kind: 'ops'; ops: StepOp[]; retryAfter: Date | null }
  | { kind: 'error'; retriable: boolean; retryAfter: Date | null; error: Record<string, unknown> }
  /** The app did not answer (down, restarting): not the function's fault, so no attempt is spent. */
  | { kind: 'unreachable'; error: Record<string, unknown> };

export interface CallRequest {
  url: string;
  /** "step" to run the function body, or a hashed step id to run one planned step. */
  stepId: string;
  runId: string;
  event: Record<string, unknown>;
  /** A batch run's events (`event` is the first); a run of one event sends [event]. */
  events?: Record<string, unknown>[] | null;
  steps: { stepId: string; result: StepResult }[];
  attempt: number;
  maxAttempts: number;
  signingKey: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /**
   * Lets the SDK run several steps in this call and checkpoint each finished one to the engine
   * (POST /v1/checkpoint/:runId/async) instead of answering after every step. The SDK only does
   * so when ctx names the function and queue item: fn_id (our function id) and qi_id (the lease
   * token, so a checkpoint from a call whose lease was lost is refused).
   */
  checkpoint?: { functionId: string; leaseToken: string };
}

/** The execution request body of Inngest's serve protocol (parsed by parseFnData in the SDK). */
export function executionBody(req: CallRequest): Record<string, unknown> {
  const stack = req.steps.map((step) => step.stepId);
  return {
    event: req.event,
    events: req.events?.length ? req.events : [req.event],
    steps: Object.fromEntries(req.steps.map((step) => [step.stepId, step.result])),
    ctx: {
      run_id: req.runId,
      attempt: req.attempt,
      max_attempts: req.maxAttempts,
      // false lets the SDK run a newly found step in the same request (fewer round trips)
      disable_immediate_execution: false,
      // the full state is in the body; the SDK must not call back to an API we do not serve
      use_api: false,
      stack: { stack, current: Math.max(stack.length - 1, 0) },
      ...(req.checkpoint ? { fn_id: req.checkpoint.functionId, qi_id: req.checkpoint.leaseToken } : {}),
    },
  };
}

function stepUrl(url: string, stepId: string): string {
  const target = new URL(url);
  target.searchParams.set('stepId', stepId);
  return target.toString();
}

/** `Retry-After` as seconds or an HTTP/ISO date. */
function parseRetryAfter(value: string | null): Date | null {
  if (!value) return null;
  if (/^\d+$/.test(value)) return new Date(Date.now() + Number(value) * 1000);
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

function asErrorRecord(body: unknown, fallback: string): Record<string, unknown> {
  if (body && typeof body === 'object' && !Array.isArray(body)) return body as Record<string, unknown>;
  return { name: 'Error', message: typeof body === 'string' && body ? body.slice(0, 2000) : fallback };
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return text;
  }
}

/** Calls the app's serve endpoint with a signed request and classifies the answer. */
export async function callServeEndpoint(req: CallRequest): Promise<CallOutcome> {
  const body = canonicalJson(executionBody(req));
  let response: Response;
  try {
    response = await fetch(stepUrl(req.url, req.stepId), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-inngest-signature': signRequestBody(body, req.signingKey),
        'x-inngest-server-kind': 'cloud',
        // fetch asks for gzip unless told otherwise, and Next compresses whatever asks: on the hop
        // to the app's functions server (loopback or a private network) that is CPU at both ends
        // for a few kilobytes (a profile of the e2e bench: zlib ~5% of the engine, ~3% of the
        // functions server)
        'accept-encoding': 'identity',
      },
      body,
      signal: req.signal ? AbortSignal.any([req.signal, AbortSignal.timeout(req.timeoutMs)]) : AbortSignal.timeout(req.timeoutMs),
    });
  } catch (err) {
    const error = { name: 'EngineCallError', message: `serve endpoint ${req.url} did not answer: ${(err as Error).message}` };
    if ((err as Error).name === 'TimeoutError') return { kind: 'error', retriable: true, retryAfter: null, error };
    if (req.signal?.aborted) throw err;
    return { kind: 'unreachable', error };
  }
  const text = await response.text();
  const parsed = parseJson(text);
  const noRetry = response.headers.get('x-inngest-no-retry') === 'true';
  const retryAfter = parseRetryAfter(response.headers.get('retry-after'));
  if (response.status === 200) return { kind: 'completed', output: parsed };
  if (response.status === 206) {
    const ops = Array.isArray(parsed) ? parsed : [parsed];
    return { kind: 'ops', ops: ops as StepOp[], retryAfter };
  }
  return {
    kind: 'error',
    retriable: !noRetry,
    retryAfter,
    error: asErrorRecord(parsed, `serve endpoint answered HTTP ${response.status}`),
  };
}
