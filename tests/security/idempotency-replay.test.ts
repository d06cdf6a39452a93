import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/db/client';
import { idempotencyKeys } from '@/db/schema';
import { AppError } from '@/lib/errors';
import { requestHash, withIdempotency, withIdempotentCall } from '@/lib/idempotency';
import { createTestMerchant, startTestApp, type TestApp } from '../helpers/test-app';

// Attack / careless integrator: a replayed idempotent request must be byte-for-byte the first
// answer (a client may sign or hash it), and a request whose handling throws must never leave
// its key stuck "in progress" (every retry would get 409 until the lock ran out).

let app: TestApp;
let merchant: Awaited<ReturnType<typeof createTestMerchant>>;

beforeAll(async () => {
  app = await startTestApp();
  merchant = await createTestMerchant('Replay Shop');
});
afterAll(() => app.close());

async function rawPost(path: string, body: string, key: string) {
  const res = await fetch(`${app.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${merchant.secretKey}`, 'content-type': 'application/json', 'idempotency-key': key },
    body,
  });
  return {
    status: res.status,
    text: await res.text(),
    contentType: res.headers.get('content-type'),
    replayed: res.headers.get('idempotent-replayed'),
  };
}

async function keyRow(key: string) {
  const [row] = await getDb()
    .select()
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.merchantId, merchant.merchant.id), eq(idempotencyKeys.key, key)));
  return row;
}

const scope = (key: string, body: unknown = { x: 1 }) => ({
  merchantId: merchant.merchant.id,
  key,
  endpoint: 'POST /test/replay',
  body,
});

describe('idempotent replays are byte-identical', () => {
  it('replays a created intent with the same bytes, status and content type, even for keys jsonb would reorder', async () => {
    // jsonb sorts object keys by length, then bytewise ("id" before "amount"; "a", "b", "aa"), and
    // re-spaces the text: a replay read back from jsonb would not be the bytes first sent.
    const body = JSON.stringify({
      amount: 4321,
      currency: 'usd',
      description: 'Ünïcode ✓ "quoted"',
      metadata: { b: '1', a: '2', aa: '3' },
    });
    const first = await rawPost('/api/v1/payment_intents', body, 'replay-bytes-1');
    const second = await rawPost('/api/v1/payment_intents', body, 'replay-bytes-1');
    expect(first.status).toBe(200);
    expect(first.replayed).toBeNull();
    expect(second.replayed).toBe('true');
    expect(second.status).toBe(first.status);
    expect(second.contentType).toBe(first.contentType);
    expect(second.text).toBe(first.text);
  });

  it('replays a stored error outcome (a decline) with the same bytes', async () => {
    const pi = JSON.parse(
      (await rawPost('/api/v1/payment_intents', '{"amount":800,"currency":"usd"}', 'replay-decline-pi')).text,
    );
    const path = `/api/v1/payment_intents/${pi.id}/confirm`;
    const first = await rawPost(path, '{"payment_method":"pm_card_chargeDeclined"}', 'replay-decline');
    const second = await rawPost(path, '{"payment_method":"pm_card_chargeDeclined"}', 'replay-decline');
    expect(first.status).toBe(402);
    expect(second.status).toBe(402);
    expect(second.replayed).toBe('true');
    expect(second.text).toBe(first.text);
  });

  it('stores and replays bodies that jsonb cannot hold (NUL, lone surrogates) instead of failing', async () => {
    const body = { text: 'nul:\u0000 lone:\ud800 end', order: { z: 1, y: 2 } };
    const first = await withIdempotentCall(scope('replay-nul'), async () => ({ status: 200, body }));
    const second = await withIdempotentCall(scope('replay-nul'), async () => ({ status: 200, body: { other: true } }));
    expect(second.replayed).toBe(true);
    expect(second.bodyJson).toBe(first.bodyJson);
    expect(second.body).toEqual(JSON.parse(first.bodyJson));
    expect((await keyRow('replay-nul'))?.state).toBe('completed');
  });
});

describe('a request whose handling throws never leaves its key in progress', () => {
  it('an unknown error releases the key (not stored as a 500), and a retry with the same key runs again', async () => {
    let runs = 0;
    const failing = withIdempotentCall(scope('throws-call'), async () => {
      runs += 1;
      throw new Error('connection terminated unexpectedly');
    });
    await expect(failing).rejects.toThrow('connection terminated unexpectedly');
    expect(await keyRow('throws-call')).toBeUndefined();
    const retry = await withIdempotentCall(scope('throws-call'), async () => {
      runs += 1;
      return { status: 200, body: { ran: runs } };
    });
    expect(retry).toMatchObject({ status: 200, body: { ran: 2 }, replayed: false });
    expect((await keyRow('throws-call'))?.state).toBe('completed');
  });

  it('the same for an atomic handler', async () => {
    await expect(
      withIdempotency(scope('throws-atomic'), async () => {
        throw new TypeError("Cannot read properties of undefined (reading 'id')");
      }),
    ).rejects.toThrow(TypeError);
    expect(await keyRow('throws-atomic')).toBeUndefined();
    expect(await withIdempotency(scope('throws-atomic'), async () => ({ status: 201, body: { ok: true } }))).toMatchObject({
      status: 201,
      replayed: false,
    });
  });

  it('a business error whose message jsonb cannot hold is stored and replayed, not left in progress', async () => {
    const declined = () =>
      withIdempotentCall(scope('throws-nul'), async () => {
        throw new AppError('payment_method_invalid', "No such payment method: 'tok_\u0000x'", { param: 'payment_method' });
      });
    await expect(declined()).rejects.toMatchObject({ code: 'payment_method_invalid' });
    const row = await keyRow('throws-nul');
    expect(row?.state).toBe('completed');
    expect(row?.responseStatus).toBe(400);
    const replay = await withIdempotentCall(scope('throws-nul'), async () => ({ status: 200, body: { second: 'run' } }));
    expect(replay.replayed).toBe(true);
    expect(replay.status).toBe(400);
    expect(replay.bodyJson).toBe(
      JSON.stringify({
        error: {
          type: 'invalid_request_error',
          code: 'payment_method_invalid',
          message: "No such payment method: 'tok_\u0000x'",
          param: 'payment_method',
        },
      }),
    );
  });

  it('a key left in progress by a crashed process is refused (409) while locked, then taken over after its lock timeout', async () => {
    const orphan = (lockedUntil: Date) =>
      getDb()
        .insert(idempotencyKeys)
        .values({
          merchantId: merchant.merchant.id,
          key: 'crashed',
          endpoint: 'POST /test/replay',
          requestHash: requestHash('POST /test/replay', { x: 1 }),
          state: 'in_progress',
          lockedUntil,
          expiresAt: new Date(Date.now() + 3_600_000),
        });
    await orphan(new Date(Date.now() + 60_000));
    let runs = 0;
    const run = () =>
      withIdempotentCall(scope('crashed'), async () => {
        runs += 1;
        return { status: 200, body: { recovered: runs } };
      });
    await expect(run()).rejects.toMatchObject({ code: 'idempotency_key_in_use', status: 409 });
    expect(runs).toBe(0);
    await getDb()
      .update(idempotencyKeys)
      .set({ lockedUntil: new Date(Date.now() - 1_000) })
      .where(and(eq(idempotencyKeys.merchantId, merchant.merchant.id), eq(idempotencyKeys.key, 'crashed')));
    expect(await run()).toMatchObject({ status: 200, body: { recovered: 1 }, replayed: false });
    expect(await run()).toMatchObject({ status: 200, body: { recovered: 1 }, replayed: true });
    expect(runs).toBe(1);
  });

  it('the default lock timeout is 60 seconds', async () => {
    let gate!: () => void;
    const held = withIdempotentCall(
      scope('lock-60'),
      () => new Promise((resolve) => (gate = () => resolve({ status: 200, body: {} }))),
    );
    await new Promise((r) => setTimeout(r, 50));
    const row = await keyRow('lock-60');
    expect(row?.state).toBe('in_progress');
    const lockMs = row!.lockedUntil.getTime() - row!.createdAt.getTime();
    expect(lockMs).toBeGreaterThan(55_000);
    expect(lockMs).toBeLessThanOrEqual(61_000);
    gate();
    await held;
  });
});
