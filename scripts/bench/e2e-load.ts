/**
 * The e2e benchmark's load client, run as its own process (so its CPU is not the app's): drives
 * `POST /api/v1/payment_intents` (+ `/confirm`) against a running app with `concurrency` loops for
 * `durationMs`, optionally paced to `ratePerS` operations a second. Every confirm uses a fresh
 * card (a random Luhn-valid Visa number tokenized at the sandbox network for the merchant), so
 * the per-card risk limit and the card's advisory lock do not serialize the load. Prints one JSON
 * line with the results on stdout.
 */
import { randomInt, randomUUID } from 'node:crypto';

export interface LoadParams {
  appUrl: string;
  secretKey: string;
  merchantId: string;
  publishableKey: string;
  /** floor: GET an unknown API route (a 404 in Stripe's error shape, no database): the baseline. */
  scenario: 'floor' | 'create' | 'create+confirm';
  concurrency: number;
  durationMs: number;
  /** Open loop: start at most this many operations a second (0 = as fast as the loops go). */
  ratePerS: number;
  /** An Idempotency-Key on every create and confirm, as the official Stripe SDK sends (a new one per request). */
  idempotencyKeys: boolean;
}

export interface LoadOutput {
  operations: number;
  errors: number;
  firstError: string | null;
  elapsedMs: number;
  /** create, or create + confirm, per operation (the card's tokenization is not included) */
  latenciesUs: number[];
  /** confirmed payments: id and when the confirm answered succeeded (epoch ms) */
  confirmed: { id: string; at: number }[];
  cpuUs: number;
}

function luhnCheckDigit(partial: string): number {
  let sum = 0;
  for (let i = 0; i < partial.length; i++) {
    let d = Number(partial[partial.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

/** A Visa number no test card uses (those start 4000/4242), so the sandbox issuer approves it. */
export function freshCardNumber(): string {
  let partial = '45';
  while (partial.length < 15) partial += String(randomInt(10));
  return partial + String(luhnCheckDigit(partial));
}

async function call(url: string, init: RequestInit): Promise<Record<string, unknown>> {
  const res = await fetch(url, init);
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${init.method} ${new URL(url).pathname}: HTTP ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
  return body;
}

/** The API's catch-all answers it (app/api/v1/[...path]): Next's request pipeline and our error shaping, no database. */
export const FLOOR_PATH = '/api/v1/bench_floor_no_such_route';

export async function runLoadClient(p: LoadParams): Promise<LoadOutput> {
  // identity: a merchant's server calls the API through the official SDK, which asks for no
  // compression (so Next compresses nothing); fetch would ask for gzip, and the app would pay
  // for compressing every answer of the bench (the card tokenization below asks as a browser does)
  const sdkHeaders = { authorization: `Bearer ${p.secretKey}`, 'accept-encoding': 'identity' };
  const api = (path: string, body: unknown) =>
    call(`${p.appUrl}${path}`, {
      method: 'POST',
      headers: {
        ...sdkHeaders,
        'content-type': 'application/json',
        ...(p.idempotencyKeys ? { 'idempotency-key': `bench-${randomUUID()}` } : {}),
      },
      body: JSON.stringify(body),
    });
  const floorRequest = async () => {
    const res = await fetch(`${p.appUrl}${FLOOR_PATH}`, { headers: sdkHeaders });
    const body = (await res.json().catch(() => ({}))) as { error?: { type?: string } };
    if (res.status !== 404 || body.error?.type !== 'invalid_request_error') throw new Error(`GET ${FLOOR_PATH}: HTTP ${res.status}, expected the 404 of an unknown route`);
  };
  const tokenize = () =>
    call(`${p.appUrl}/api/sandbox/card/v1/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${p.publishableKey}`, 'sandbox-account': p.merchantId, 'content-type': 'application/json' },
      body: JSON.stringify({ number: freshCardNumber(), exp_month: 12, exp_year: new Date().getFullYear() + 3, cvc: '123' }),
    });

  const latenciesUs: number[] = [];
  const confirmed: { id: string; at: number }[] = [];
  let errors = 0;
  let firstError: string | null = null;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const deadline = started + p.durationMs;
  let startedOps = 0;
  const nextSlot = async () => {
    if (p.ratePerS <= 0) return;
    const due = started + (startedOps++ * 1000) / p.ratePerS;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  };
  await Promise.all(
    Array.from({ length: p.concurrency }, async () => {
      while (performance.now() < deadline) {
        await nextSlot();
        if (performance.now() >= deadline) break;
        try {
          const token = p.scenario === 'create+confirm' ? String((await tokenize()).id) : null;
          const t0 = performance.now();
          if (p.scenario === 'floor') {
            await floorRequest();
          } else {
            const pi = await api('/api/v1/payment_intents', { amount: 1000 + randomInt(9000), currency: 'usd' });
            if (token) {
              const done = await api(`/api/v1/payment_intents/${String(pi.id)}/confirm`, { payment_method: token });
              if (done.status !== 'succeeded') throw new Error(`confirm ended ${String(done.status)}`);
              confirmed.push({ id: String(pi.id), at: Date.now() });
            }
          }
          latenciesUs.push((performance.now() - t0) * 1000);
        } catch (err) {
          errors++;
          firstError ??= (err as Error).message;
        }
      }
    }),
  );
  const cpu = process.cpuUsage(cpuBefore);
  return {
    operations: latenciesUs.length,
    errors,
    firstError,
    elapsedMs: performance.now() - started,
    latenciesUs,
    confirmed,
    cpuUs: cpu.user + cpu.system,
  };
}

// run as a child process: parameters in argv[2] as JSON, the output as one JSON line
if (process.argv[1] && /e2e-load\.ts$/.test(process.argv[1])) {
  runLoadClient(JSON.parse(process.argv[2] ?? '{}') as LoadParams)
    .then((out) => process.stdout.write(`${JSON.stringify(out)}\n`))
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
}
