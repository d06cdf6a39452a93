import { describe, expect, it } from 'vitest';
import { evaluateExpression, keyValue, parseExpression, parseKeyPath } from './expression';
import { parseDurationMs, sleepEndsAt } from './duration';
import { canonicalJson } from './canonical-json';
import { hashedSigningKey, signRequestBody } from './signing';

describe('expressions the SDK generates', () => {
  it('evaluates waitForEvent match (event.x == async.x)', () => {
    const expr = parseExpression('event.data.paymentId == async.data.paymentId', ['event', 'async']);
    expect(evaluateExpression(expr, { event: { data: { paymentId: 'pi_1' } }, async: { data: { paymentId: 'pi_1' } } })).toBe(
      true,
    );
    expect(evaluateExpression(expr, { event: { data: { paymentId: 'pi_1' } }, async: { data: { paymentId: 'pi_2' } } })).toBe(
      false,
    );
    expect(evaluateExpression(expr, { event: { data: {} }, async: { data: {} } })).toBe(false); // missing never matches
  });

  it('evaluates the onFailure trigger expression', () => {
    const expr = parseExpression("event.data.function_id == 'paykit-send-webhook'", ['event']);
    expect(evaluateExpression(expr, { event: { data: { function_id: 'paykit-send-webhook' } } })).toBe(true);
    expect(evaluateExpression(expr, { event: { data: { function_id: 'paykit-other' } } })).toBe(false);
  });

  it('refuses anything richer, so registration can reject it loudly', () => {
    expect(() => parseExpression('event.data.amount > 100', ['event'])).toThrow(/unsupported/);
    expect(() => parseExpression('size(event.data.items) == 2', ['event'])).toThrow(/unsupported operand/);
    expect(() => parseKeyPath('event.data.a + event.data.b')).toThrow(/unsupported key expression/);
  });

  it('reads key paths for idempotency and concurrency', () => {
    expect(keyValue({ data: { merchantId: 'mer_1' } }, parseKeyPath('event.data.merchantId'))).toBe('mer_1');
    expect(keyValue({ data: {} }, parseKeyPath('event.data.merchantId'))).toBeNull();
  });
});

describe('durations', () => {
  it('parses the time strings the SDK sends', () => {
    expect(parseDurationMs('1s')).toBe(1000);
    expect(parseDurationMs('2h30m10s')).toBe(9_010_000);
    expect(parseDurationMs('1w')).toBe(604_800_000);
    expect(() => parseDurationMs('soon')).toThrow(/Unsupported duration/);
    expect(sleepEndsAt('2030-01-01T00:00:00.000Z', new Date()).toISOString()).toBe('2030-01-01T00:00:00.000Z');
  });
});

describe('signing', () => {
  it('canonical JSON sorts keys and drops undefined, like the SDK’s canonicalize', () => {
    expect(canonicalJson({ b: 1, a: [1, undefined, { d: undefined, c: 'x' }] })).toBe('{"a":[1,null,{"c":"x"}],"b":1}');
  });

  it('signs with HMAC-SHA256 over body + timestamp, keyed by the key without its prefix', () => {
    expect(signRequestBody('{}', 'signkey-test-abcd', 1_700_000_000_000)).toMatch(/^t=1700000000&s=[0-9a-f]{64}$/);
    expect(signRequestBody('{}', 'signkey-test-abcd', 1_700_000_000_000)).toBe(signRequestBody('{}', 'abcd', 1_700_000_000_000));
    expect(hashedSigningKey('signkey-prod-abcd')).toMatch(/^signkey-prod-[0-9a-f]{64}$/);
  });
});
