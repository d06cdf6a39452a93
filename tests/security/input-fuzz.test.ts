import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { ERROR_CODES } from '@/lib/errors';
import { createTestMerchant, startTestApp, type TestApp } from '../helpers/test-app';

// Attack: bodies an attacker or a careless integrator sends — NUL bytes and unpaired surrogates
// in any string (Postgres text and jsonb refuse NUL: that was a 500), wrong types, huge numbers,
// deep nesting, unknown fields, broken JSON and broken UTF-8 — against the write endpoints, over
// HTTP to the real routes and Postgres. Every answer must be a typed 2xx/4xx within a deadline,
// and a refused request must change nothing.
//
// Requests are sent one at a time (concurrency 1), each merchant batch with its own key; a 429
// from the API rate limit is waited out (Retry-After) and the request sent again, so the limit
// neither fails nor skews the fuzz.

const RUNS_PER_ENDPOINT = 100;
const TARGETED_RUNS_PER_ENDPOINT = 30;
const REQUEST_TIMEOUT_MS = 5_000;
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);

const KNOWN_TYPES = new Set<string>(Object.values(ERROR_CODES).map((c) => c.type));
const KNOWN_CODES = new Set<string>(Object.keys(ERROR_CODES));
/** Refusals of the input itself: nothing at all may have changed after one of these. */
const VALIDATION_CODES = new Set(['parameter_invalid', 'parameter_missing', 'parameter_unknown', 'body_invalid_json', 'resource_missing']);
/** Refused before the handler runs, so not even the Idempotency-Key is stored. */
const PARSE_CODES = new Set(['parameter_invalid', 'parameter_missing', 'parameter_unknown', 'body_invalid_json']);

let app: TestApp;
const stats = { requests: 0, byStatus: new Map<number, number>() };

beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.close();
  console.info(`[input-fuzz] seed ${SEED}: ${stats.requests} requests, by status ${JSON.stringify(Object.fromEntries(stats.byStatus))}`);
});

interface Reply {
  status: number;
  body: any;
}

interface Send {
  path: string;
  /** An object is sent as JSON; a string or bytes as they are; none when undefined. */
  body?: unknown;
  contentType?: string;
  idempotencyKey?: string;
  method?: string;
}

async function call(secretKey: string, req: Send): Promise<Reply> {
  const raw = req.body === undefined ? undefined : typeof req.body === 'string' || req.body instanceof Uint8Array ? req.body : JSON.stringify(req.body);
  for (let tries = 0; ; tries++) {
    const res = await fetch(`${app.url}${req.path}`, {
      method: req.method ?? 'POST',
      headers: {
        authorization: `Bearer ${secretKey}`,
        'content-type': req.contentType ?? 'application/json',
        ...(req.idempotencyKey ? { 'idempotency-key': req.idempotencyKey } : {}),
      },
      body: raw as BodyInit,
      // a hang fails the run: the abort rejects the fetch
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await res.text();
    if (res.status === 429 && tries < 20) {
      await new Promise((r) => setTimeout(r, 1000 * Number(res.headers.get('retry-after') ?? 1)));
      continue;
    }
    stats.requests++;
    stats.byStatus.set(res.status, (stats.byStatus.get(res.status) ?? 0) + 1);
    if (process.env.FUZZ_DEBUG) console.info(req.path.slice(0, 40), res.status, text.slice(0, 160));
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* asserted below */
    }
    return { status: res.status, body };
  }
}

/** No 5xx, and every error is a typed Stripe-style error body. */
function expectTyped(reply: Reply, what: string): void {
  expect(reply.status, `${what} -> ${JSON.stringify(reply.body)}`).toBeLessThan(500);
  if (reply.status < 400) return;
  const error = (reply.body as { error?: { type?: unknown; code?: unknown; message?: unknown } } | null)?.error;
  expect(error, `${what}: untyped error body ${JSON.stringify(reply.body)}`).toBeDefined();
  expect(KNOWN_TYPES.has(String(error!.type)), `${what}: type ${String(error!.type)}`).toBe(true);
  expect(KNOWN_CODES.has(String(error!.code)), `${what}: code ${String(error!.code)}`).toBe(true);
  expect(typeof error!.message === 'string' && error!.message.length > 0, `${what}: message`).toBe(true);
}

/** Everything a request can have changed for a merchant. */
async function snapshot(merchantId: string): Promise<Record<string, unknown>> {
  const rows = await getDb().execute(sql`
    select
      (select count(*) from payment_intents where merchant_id = ${merchantId}) as intents,
      (select coalesce(md5(string_agg(id || status || amount_received, ',' order by id)), '') from payment_intents where merchant_id = ${merchantId}) as intent_states,
      (select count(*) from payment_attempts where merchant_id = ${merchantId}) as attempts,
      (select count(*) from checkout_sessions where merchant_id = ${merchantId}) as sessions,
      (select count(*) from refunds where merchant_id = ${merchantId}) as refunds,
      (select count(*) from webhook_endpoints where merchant_id = ${merchantId}) as endpoints,
      (select count(*) from outbox_events where merchant_id = ${merchantId}) as events,
      (select count(*) from idempotency_keys where merchant_id = ${merchantId}) as idempotency_keys`);
  return { ...rows[0] };
}

/**
 * What must be unchanged after a refusal: everything; but a refusal from inside the handler (an
 * unknown intent: 404) is an answer the Idempotency-Key keeps, as Stripe does.
 */
function unchangedPart(state: Record<string, unknown>, reply: Reply): Record<string, unknown> {
  if (PARSE_CODES.has(reply.body?.error?.code)) return state;
  const { idempotency_keys: _kept, ...rest } = state;
  return rest;
}

// ---- generators ----------------------------------------------------------------------------

/** Characters that break naive handling: NUL, surrogate halves, BOM, zero-width, RTL, emoji, escapes. */
const nastyChar = fc.oneof(
  fc.constantFrom('\u0000', '\ud800', '\udbff', '\udc00', '\udfff', '\ufeff', '\u200b', '\u202e', '\uffff', '😀', 'é', '\\u0000', '%00', "'", '"', '\n', '<'),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
  fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)),
);
/** Arbitrary Unicode text (full code point range) mixed with the nasty characters. */
const anyText = fc.array(fc.oneof(fc.string({ unit: 'binary', maxLength: 8 }), nastyChar), { maxLength: 12 }).map((parts) => parts.join(''));
/** Text that certainly holds a NUL or an unpaired surrogate somewhere. */
const poisonedText = fc
  .tuple(fc.string({ maxLength: 10 }), fc.constantFrom('\u0000', '\ud800', '\udfff', '\udbff', 'a\u0000b', '\ud83d'), fc.string({ maxLength: 10 }))
  .map(([a, poison, b]) => `${a}${poison}${b}`);
const hugeNumber = fc.constantFrom(1e308, -1e308, 2 ** 53 + 2, 2 ** 63, -(2 ** 63), 1e21, 99999999999, 0.1, -0, 5e-324, -1, 0);
const scalar = fc.oneof(anyText, hugeNumber, fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
/** Any JSON value, nested up to a few levels, with nasty keys and strings. */
const anyJson: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(anyText, tie('value'), { maxKeys: 4 }),
  ),
})).value;
/** Deeper than MAX_INPUT_DEPTH (20) or just nested: arrays or objects 1..200 levels deep. */
const deep = fc.tuple(fc.integer({ min: 1, max: 200 }), fc.boolean()).map(([n, asArray]) => {
  let v: unknown = 'x';
  for (let i = 0; i < n; i++) v = asArray ? [v] : { a: v };
  return v;
});

/** A field's value: usually plausible, often hostile. */
const fieldOf = (plausible: fc.Arbitrary<unknown>) =>
  fc.oneof({ weight: 14, arbitrary: plausible }, { weight: 2, arbitrary: anyText }, { weight: 1, arbitrary: anyJson }, { weight: 1, arbitrary: deep });

const email = fc.oneof({ weight: 4, arbitrary: fc.constantFrom('buyer@example.com', 'a.b+tag@shop.example.co', 'X@Y.example') }, { weight: 1, arbitrary: fc.emailAddress() });
const metadata = fc.oneof(
  { weight: 6, arbitrary: fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), fc.string({ maxLength: 20 }), { maxKeys: 4 }) },
  { weight: 2, arbitrary: fc.dictionary(fc.oneof(fc.constantFrom('order', 'sku'), anyText), fc.oneof(fc.string({ maxLength: 20 }), anyText), { maxKeys: 4 }) },
  { weight: 1, arbitrary: anyJson },
);

/**
 * A body object: the given fields (the required ones usually present, the others maybe), plus
 * maybe unknown fields.
 */
function bodyOf(fields: Record<string, fc.Arbitrary<unknown>>, required: string[] = []): fc.Arbitrary<Record<string, unknown>> {
  const usuallyRequired = fc.oneof({ weight: 9, arbitrary: fc.constant(required) }, { weight: 1, arbitrary: fc.subarray(required) });
  return fc
    .tuple(
      usuallyRequired.chain((requiredKeys) => fc.record(fields, { requiredKeys })),
      fc.oneof(
        { weight: 8, arbitrary: fc.constant(null) },
        { weight: 2, arbitrary: fc.dictionary(fc.oneof(fc.constantFrom('status', 'merchant', 'amount_received', '__proto__', 'constructor'), anyText), anyJson, { minKeys: 1, maxKeys: 2 }) },
      ),
    )
    .map(([known, unknown]) => (unknown ? { ...known, ...unknown } : known));
}

/** Bodies that are not JSON objects: broken JSON, broken UTF-8, other types, too big, deep. */
const rawBody: fc.Arbitrary<Pick<Send, 'body' | 'contentType'>> = fc.oneof(
  fc.constantFrom<Pick<Send, 'body' | 'contentType'>>(
    { body: '{' },
    { body: '{"amount": 1000,' },
    { body: "{'amount': 1000}" },
    { body: '{"description": "\\ud800"}' }, // a lone surrogate escape, as raw JSON text
    { body: '{"description": "\\u0000"}' },
    { body: '{"\\u0000": 1}' },
    { body: '{"metadata": {"k\\udfff": "v"}}' },
    { body: 'null' },
    { body: '[]' },
    { body: '"text"' },
    { body: '12' },
    { body: 'true' },
    { body: '{"amount": 1e400}' },
    { body: '{"amount": NaN}' },
    { body: '{"__proto__": {"admin": true}}' },
    { body: new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]) }, // {"a":"<invalid UTF-8>"}
    { body: new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc0, 0x80, 0x22, 0x7d]) }, // overlong NUL
    { body: new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d]) }, // UTF-8-encoded surrogate
    { body: 'amount=1000&currency=usd', contentType: 'application/x-www-form-urlencoded' },
    { body: '{"amount": 1000}', contentType: 'text/plain' },
    { body: `{"description": "${'x'.repeat(300 * 1024)}"}` }, // over the body limit
    { body: `${'['.repeat(60_000)}${']'.repeat(60_000)}` }, // very deep, under the size limit
    { body: `{"metadata": ${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}}` },
  ),
  fc.string({ unit: 'binary', maxLength: 60 }).map((body) => ({ body })),
);

/** An edit of a valid body: a field replaced by a hostile value, deleted, or an unknown one added. */
type Mutation = { op: 'replace'; pick: number; value: unknown } | { op: 'delete'; pick: number } | { op: 'unknown'; key: string; value: unknown };
const hostile = fc.oneof(anyText, poisonedText, anyJson, deep, hugeNumber);
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('replace' as const), pick: fc.nat(), value: hostile }),
  fc.record({ op: fc.constant('delete' as const), pick: fc.nat() }),
  fc.record({ op: fc.constant('unknown' as const), key: fc.oneof(fc.constantFrom('status', 'amount_received', 'merchant', 'livemode'), anyText), value: anyJson }),
);
/** None a third of the time (the valid body itself), else one to three. */
const mutations = fc.oneof(fc.constant<Mutation[]>([]), fc.array(mutation, { minLength: 1, maxLength: 3 }), fc.array(mutation, { minLength: 1, maxLength: 3 }));

/** Every path (of keys) in a JSON object, parents before children. */
function pathsOf(value: unknown, prefix: string[] = []): string[][] {
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([k, v]) => [[...prefix, k], ...pathsOf(v, [...prefix, k])]);
}

function applyMutations(body: Record<string, unknown>, edits: Mutation[]): Record<string, unknown> {
  for (const edit of edits) {
    if (edit.op === 'unknown') {
      body[edit.key] = edit.value;
      continue;
    }
    const paths = pathsOf(body);
    if (paths.length === 0) continue;
    const path = paths[edit.pick % paths.length]!;
    const parent = path.slice(0, -1).reduce<any>((o, k) => o[k], body);
    if (edit.op === 'delete') delete parent[path[path.length - 1]!];
    else parent[path[path.length - 1]!] = edit.value;
  }
  return body;
}

// ---- the runner ------------------------------------------------------------------------------

interface Target {
  name: string;
  /** Fresh state for a run (e.g. an intent to confirm); returns the path to POST to. */
  path: () => Promise<string>;
  bodies: fc.Arbitrary<Record<string, unknown>>;
  /** A valid body and the dotted params of its strings, for the targeted property. */
  valid: () => Promise<{ body: Record<string, unknown>; strings: string[] }>;
  /** The row a success creates (its count goes up by exactly one), for the create endpoints. */
  creates?: 'intents' | 'sessions' | 'refunds' | 'endpoints';
  /** Whether nothing may change after this refusal (all of them for pure creates). */
  mustChangeNothing: (reply: Reply) => boolean;
  /** Clean up after a success (keeps the endpoint count under its cap). */
  afterSuccess?: (reply: Reply) => Promise<void>;
}

async function fuzz(secretKey: string, merchantId: string, target: Target): Promise<void> {
  const check = async (req: Send, what: string) => {
    const before = await snapshot(merchantId);
    const reply = await call(secretKey, req);
    expectTyped(reply, what);
    if (reply.status >= 400 && target.mustChangeNothing(reply)) {
      expect(unchangedPart(await snapshot(merchantId), reply), `${what} -> ${reply.status} ${reply.body?.error?.code} changed state`).toEqual(unchangedPart(before, reply));
    }
    if (reply.status < 300 && target.creates) {
      const after = await snapshot(merchantId);
      expect(Number(after[target.creates]), `${what}: a success creates one ${target.creates} row`).toBe(Number(before[target.creates]) + 1);
    }
    if (reply.status < 300) await target.afterSuccess?.(reply);
    return reply;
  };

  type Source = { kind: 'random' | 'raw'; req: Pick<Send, 'body' | 'contentType'> } | { kind: 'mutated'; edits: Mutation[] };
  const source: fc.Arbitrary<Source> = fc.oneof(
    { weight: 3, arbitrary: target.bodies.map((body) => ({ kind: 'random' as const, req: { body } })) },
    { weight: 3, arbitrary: mutations.map((edits) => ({ kind: 'mutated' as const, edits })) },
    { weight: 1, arbitrary: rawBody.map((req) => ({ kind: 'raw' as const, req })) },
  );
  await fc.assert(
    fc.asyncProperty(source, fc.boolean(), async (src, withKey) => {
      const req = src.kind === 'mutated' ? { body: applyMutations((await target.valid()).body, src.edits) } : src.req;
      const path = await target.path();
      await check({ path, ...req, ...(withKey ? { idempotencyKey: randomUUID() } : {}) }, `${target.name} ${summarize(req.body)}`);
    }),
    { numRuns: RUNS_PER_ENDPOINT, seed: SEED, endOnFailure: true },
  );

  // Targeted: a valid body with one string poisoned is refused with 400 naming exactly that param.
  await fc.assert(
    fc.asyncProperty(fc.nat(), poisonedText, fc.boolean(), async (pick, poison, inKey) => {
      const { body, strings } = await target.valid();
      const param = strings[pick % strings.length]!;
      const poisoned = structuredClone(body);
      const expectedParam = poisonAt(poisoned, param.split('.'), poison, inKey);
      const path = await target.path();
      const reply = await check({ path, body: poisoned }, `${target.name} poisoned ${expectedParam}`);
      expect(reply.status, `${target.name} ${expectedParam}: ${JSON.stringify(reply.body)}`).toBe(400);
      expect(reply.body.error).toMatchObject({ type: 'invalid_request_error', code: 'parameter_invalid', param: expectedParam });
    }),
    { numRuns: TARGETED_RUNS_PER_ENDPOINT, seed: SEED, endOnFailure: true },
  );
}

/**
 * Puts the poison into the string at `path` (or, for metadata, into its key when inKey), and
 * returns the param name the API must report (dotted, keys with NUL/surrogates escaped).
 */
function poisonAt(body: Record<string, unknown>, path: string[], poison: string, inKey: boolean): string {
  const parent = path.slice(0, -1).reduce<any>((o, k) => o[k], body);
  const last = path[path.length - 1]!;
  if (inKey && path[0] === 'metadata' && path.length === 2) {
    const key = `${last}${poison}`;
    parent[key] = parent[last];
    delete parent[last];
    return [...path.slice(0, -1), JSON.stringify(key).slice(1, -1)].join('.');
  }
  parent[last] = `${String(parent[last])}${poison}`;
  return path.join('.');
}

/** A short printable form of a body, for failure messages. */
function summarize(value: unknown): string {
  const text = value instanceof Uint8Array ? `bytes ${Buffer.from(value).toString('hex').slice(0, 60)}` : typeof value === 'string' ? value : JSON.stringify(value);
  return JSON.stringify(text.slice(0, 200));
}

/** A succeeded card payment of the merchant (something to refund). */
async function paidIntent(secretKey: string, amount = 1_000_000): Promise<string> {
  const pi = await call(secretKey, { path: '/api/v1/payment_intents', body: { amount, currency: 'usd' } });
  const confirmed = await call(secretKey, { path: `/api/v1/payment_intents/${pi.body.id}/confirm`, body: { payment_method: 'pm_card_visa' } });
  expect(confirmed.body.status).toBe('succeeded');
  return pi.body.id as string;
}

const onlyValidationRefusals = (reply: Reply) => VALIDATION_CODES.has(reply.body?.error?.code);
const everyRefusal = () => true;

describe('fuzzed write requests', { timeout: 120_000 }, () => {
  it('create payment intent: no 5xx, no hang, typed errors, a refusal stores nothing', async () => {
    const m = await createTestMerchant();
    await fuzz(m.secretKey, m.merchant.id, {
      name: 'POST /payment_intents',
      path: async () => '/api/v1/payment_intents',
      bodies: bodyOf({
        amount: fieldOf(fc.oneof(fc.integer({ min: 1, max: 10_000_000 }), hugeNumber)),
        currency: fieldOf(fc.constantFrom('usd', 'EUR', 'jpy', 'kes', 'xxx', 'us')),
        capture_method: fieldOf(fc.constantFrom('automatic', 'manual')),
        description: fieldOf(fc.string({ maxLength: 50 })),
        receipt_email: fieldOf(email),
        metadata,
      }, ['amount', 'currency']),
      valid: async () => ({
        body: { amount: 2000, currency: 'usd', description: 'Order 42', receipt_email: 'buyer@example.com', metadata: { order: '42', sku: 'A-1' } },
        strings: ['currency', 'description', 'receipt_email', 'metadata.order', 'metadata.sku'],
      }),
      creates: 'intents',
      mustChangeNothing: everyRefusal,
    });
  });

  it('create checkout session: no 5xx, no hang, typed errors, a refusal stores nothing', async () => {
    const m = await createTestMerchant();
    const lineItem = fc.record({ name: fieldOf(fc.string({ minLength: 1, maxLength: 20 })), quantity: fieldOf(fc.integer({ min: 1, max: 1000 })), unit_amount: fieldOf(fc.integer({ min: 1, max: 100_000 })) });
    const httpUrl = fc.oneof(fc.webUrl(), fc.constantFrom('https://shop.example/ok', 'javascript:alert(1)', 'http://127.0.0.1/x'));
    await fuzz(m.secretKey, m.merchant.id, {
      name: 'POST /checkout/sessions',
      path: async () => '/api/v1/checkout/sessions',
      bodies: bodyOf({
        amount: fieldOf(fc.oneof(fc.integer({ min: 1, max: 10_000_000 }), hugeNumber)),
        line_items: fieldOf(fc.array(fieldOf(lineItem), { maxLength: 3 })),
        currency: fieldOf(fc.constantFrom('usd', 'eur', 'kes')),
        success_url: fieldOf(httpUrl),
        cancel_url: fieldOf(httpUrl),
        customer_email: fieldOf(email),
        capture_method: fieldOf(fc.constantFrom('automatic', 'manual')),
        metadata,
        expires_in: fieldOf(fc.integer({ min: 0, max: 100_000 })),
      }, ['line_items', 'currency', 'success_url', 'cancel_url']),
      valid: async () => ({
        body: {
          line_items: [
            { name: 'T-shirt', quantity: 2, unit_amount: 1500 },
            { name: 'Mug', quantity: 1, unit_amount: 900 },
          ],
          currency: 'usd',
          success_url: 'https://shop.example/ok',
          cancel_url: 'https://shop.example/cancel',
          customer_email: 'buyer@example.com',
          metadata: { order: '7' },
        },
        strings: ['line_items.0.name', 'line_items.1.name', 'currency', 'success_url', 'cancel_url', 'customer_email', 'metadata.order'],
      }),
      creates: 'sessions',
      mustChangeNothing: everyRefusal,
    });
  });

  it('create refund: no 5xx, no hang, typed errors, a refused input stores nothing', async () => {
    const m = await createTestMerchant();
    const paid = [await paidIntent(m.secretKey), await paidIntent(m.secretKey)];
    await fuzz(m.secretKey, m.merchant.id, {
      name: 'POST /refunds',
      path: async () => '/api/v1/refunds',
      bodies: bodyOf({
        payment_intent: fieldOf(fc.oneof(fc.constantFrom(...paid), fc.constant('pi_doesnotexist0000000000'))),
        amount: fieldOf(fc.oneof(fc.integer({ min: 1, max: 500 }), hugeNumber)),
        reason: fieldOf(fc.constantFrom('duplicate', 'fraudulent', 'requested_by_customer', 'bored')),
        metadata,
      }, ['payment_intent']),
      valid: async () => ({ body: { payment_intent: paid[0]!, amount: 10, reason: 'requested_by_customer', metadata: { order: '9' } }, strings: ['payment_intent', 'metadata.order'] }),
      creates: 'refunds',
      mustChangeNothing: onlyValidationRefusals,
    });
  });

  it('confirm payment intent (fuzzed body and path id): no 5xx, no hang, typed errors, a refused input changes nothing', async () => {
    const m = await createTestMerchant();
    let current = '';
    const fresh = async () => {
      current = (await call(m.secretKey, { path: '/api/v1/payment_intents', body: { amount: 5000, currency: 'usd' } })).body.id;
    };
    await fresh();
    // Ids in the path: the intent's own, or fuzzed text (percent-encoded; lone surrogates cannot
    // be percent-encoded as UTF-8, so NULs and other characters stand in for them here).
    const pathIds = fc.array(fc.oneof({ weight: 6, arbitrary: fc.constant(null) }, fc.string({ unit: 'grapheme', maxLength: 12 }).map((s) => `pi_${s}`), fc.constantFrom('pi_\u0000', '\u0000', 'pi_abc%', 'pi_' + 'x'.repeat(300))), { minLength: 1, maxLength: 1 });
    let nextId: string | null = null;
    await fuzz(m.secretKey, m.merchant.id, {
      name: 'POST /payment_intents/:id/confirm',
      path: async () => `/api/v1/payment_intents/${nextId === null ? current : encodeURIComponent(nextId)}/confirm`,
      bodies: fc.tuple(pathIds, bodyOf({
        payment_method: fieldOf(fc.constantFrom('pm_card_visa', 'pm_card_chargeDeclined', 'tok_nope', 'pm_mpesa', '')),
        receipt_email: fieldOf(email),
        return_url: fieldOf(fc.webUrl()),
        customer_ip: fieldOf(fc.oneof(fc.ipV4(), fc.ipV6(), fc.constantFrom('999.1.1.1', 'localhost'))),
      }, ['payment_method'])).map(([[id], body]) => {
        nextId = id ?? null;
        return body;
      }),
      valid: async () => {
        nextId = null;
        return { body: { payment_method: 'pm_card_visa', receipt_email: 'buyer@example.com', return_url: 'https://shop.example/back' }, strings: ['payment_method', 'receipt_email', 'return_url'] };
      },
      mustChangeNothing: onlyValidationRefusals,
      afterSuccess: fresh,
    });
  });

  it('create webhook endpoint: no 5xx, no hang, typed errors, a refusal stores nothing', async () => {
    const m = await createTestMerchant();
    await fuzz(m.secretKey, m.merchant.id, {
      name: 'POST /webhook_endpoints',
      path: async () => '/api/v1/webhook_endpoints',
      bodies: bodyOf({
        url: fieldOf(fc.oneof(fc.webUrl(), fc.constantFrom('https://hooks.merchant.example/x', 'http://169.254.169.254/', 'ftp://x.example'))),
        enabled_events: fieldOf(fc.array(fieldOf(fc.constantFrom('*', 'payment_intent.succeeded', 'refund.created', 'charge.made')), { maxLength: 3 })),
        description: fieldOf(fc.string({ maxLength: 40 })),
      }, ['url', 'enabled_events']),
      valid: async () => ({
        body: { url: 'https://hooks.merchant.example/paykit', enabled_events: ['payment_intent.succeeded', 'refund.created'], description: 'Shop hooks' },
        strings: ['url', 'enabled_events.0', 'enabled_events.1', 'description'],
      }),
      creates: 'endpoints',
      mustChangeNothing: everyRefusal,
      // keep under the 16-endpoints cap so valid bodies keep being accepted
      afterSuccess: async (reply) => {
        const del = await call(m.secretKey, { path: `/api/v1/webhook_endpoints/${reply.body.id}`, method: 'DELETE', body: '' });
        expect(del.status).toBe(200);
      },
    });
  });
});

describe('hostile text at the boundary: the exact typed answer', () => {
  let key = '';
  let merchantId = '';
  beforeAll(async () => {
    const m = await createTestMerchant();
    key = m.secretKey;
    merchantId = m.merchant.id;
  });

  it.each([
    ['a NUL in the description', { amount: 1000, currency: 'usd', description: 'a\u0000b' }, 'description'],
    ['a lone high surrogate in the description', { amount: 1000, currency: 'usd', description: 'x\ud800' }, 'description'],
    ['a lone low surrogate in a metadata value', { amount: 1000, currency: 'usd', metadata: { order: '\udc00' } }, 'metadata.order'],
    ['a NUL in a metadata key', { amount: 1000, currency: 'usd', metadata: { 'or\u0000der': '1' } }, 'metadata.or\\u0000der'],
    ['a NUL in the email', { amount: 1000, currency: 'usd', receipt_email: 'a\u0000@example.com' }, 'receipt_email'],
    ['a NUL in the currency', { amount: 1000, currency: 'us\u0000' }, 'currency'],
  ])('%s: 400 parameter_invalid naming the param, nothing stored', async (_, body, param) => {
    const before = await snapshot(merchantId);
    const reply = await call(key, { path: '/api/v1/payment_intents', body, idempotencyKey: randomUUID() });
    expect(reply.status).toBe(400);
    expect(reply.body.error).toMatchObject({ type: 'invalid_request_error', code: 'parameter_invalid', param });
    expect(await snapshot(merchantId)).toEqual(before);
  });

  it('a valid surrogate pair (emoji) is text like any other and is stored as sent', async () => {
    const reply = await call(key, { path: '/api/v1/payment_intents', body: { amount: 1000, currency: 'usd', description: 'café 😀', metadata: { 'clé 😀': 'ü' } } });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ description: 'café 😀', metadata: { 'clé 😀': 'ü' } });
  });

  it.each([
    ['invalid UTF-8', new Uint8Array([0x7b, 0x22, 0x64, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]), 'body_invalid_json'],
    ['an overlong UTF-8 NUL', new Uint8Array([0x7b, 0x22, 0x64, 0x22, 0x3a, 0x22, 0xc0, 0x80, 0x22, 0x7d]), 'body_invalid_json'],
    ['broken JSON', '{"amount": 1000', 'body_invalid_json'],
    ['a body over 256 KiB', JSON.stringify({ amount: 1000, currency: 'usd', description: 'x'.repeat(300 * 1024) }), 'parameter_invalid'],
    ['nesting 60,000 levels deep', `{"metadata": ${'['.repeat(60_000)}${']'.repeat(60_000)}}`, 'parameter_invalid'],
  ])('%s: a typed 400', async (_, body, code) => {
    const reply = await call(key, { path: '/api/v1/payment_intents', body });
    expect(reply.status).toBe(400);
    expect(reply.body.error).toMatchObject({ type: 'invalid_request_error', code });
  });

  it('a NUL in a path id or a list cursor is a 400 naming it, on reads and writes', async () => {
    const get = (path: string) => call(key, { path, method: 'GET' });
    for (const [reply, param] of [
      [await get('/api/v1/payment_intents/pi_%00'), 'id'],
      [await get('/api/v1/checkout/sessions/cs_%00x'), 'id'],
      [await get('/api/v1/refunds/re_%00'), 'id'],
      [await get('/api/v1/webhook_endpoints/we_%00'), 'id'],
      [await get('/api/v1/events/evt_%00'), 'id'],
      [await get('/api/v1/payment_intents?starting_after=pi_%00'), 'starting_after'],
      [await call(key, { path: '/api/v1/payment_intents/pi_%00/cancel', body: {} }), 'id'],
      [await call(key, { path: '/api/v1/payment_intents/pi_%00/capture', body: {} }), 'id'],
    ] as const) {
      expect(reply.status).toBe(400);
      expect(reply.body.error).toMatchObject({ code: 'parameter_invalid', param });
    }
  });
});

describe('the pay page API', () => {
  it('a NUL in the session id of the URL is a typed 4xx, never a 5xx', async () => {
    for (const [path, body] of [
      ['/api/pay/cs_%00/confirm', { token: 'tok_x', email: 'buyer@example.com' }],
      ['/api/pay/cs_%00/mpesa', { phone: '0712345678' }],
    ] as const) {
      const res = await fetch(`${app.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expectTyped({ status: res.status, body: await res.json() }, path);
      expect(res.status, path).toBeGreaterThanOrEqual(400);
    }
  });
});
