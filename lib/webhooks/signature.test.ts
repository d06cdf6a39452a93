import { describe, expect, it } from 'vitest';
import { computeSignature, signatureHeader, signatureHeaders, verifyWebhookSignature, WebhookSignatureError } from './signature';

const secret = 'whsec_test_secret';
const body = JSON.stringify({ id: 'evt_1', type: 'payment_intent.succeeded' });

describe('webhook signatures', () => {
  it('signs t + "." + body with HMAC-SHA256 and verifies it', () => {
    const header = signatureHeader(secret, body, 1_700_000_000);
    expect(header).toBe(`t=1700000000,v1=${computeSignature(secret, 1_700_000_000, body)}`);
    expect(verifyWebhookSignature(body, header, secret, { nowSeconds: 1_700_000_100 })).toEqual(JSON.parse(body));
  });

  it('sends one value under both names, Stripe-Signature and Pay-Signature', () => {
    const headers = signatureHeaders(secret, body, 1_700_000_000);
    expect(headers).toEqual({ 'Stripe-Signature': signatureHeader(secret, body, 1_700_000_000), 'Pay-Signature': signatureHeader(secret, body, 1_700_000_000) });
  });

  it.each([
    ['a missing header', null],
    ['a malformed header', 'v1=abc'],
    ['a wrong secret', signatureHeader('whsec_other', body, 1_700_000_000)],
    ['a changed body', signatureHeader(secret, body.replace('succeeded', 'failed'), 1_700_000_000)],
    ['an old timestamp', signatureHeader(secret, body, 1_700_000_000 - 301)],
    ['a future timestamp', signatureHeader(secret, body, 1_700_000_000 + 301)],
    ['a truncated signature', signatureHeader(secret, body, 1_700_000_000).slice(0, -2)],
  ])('rejects %s', (_name, header) => {
    expect(() => verifyWebhookSignature(body, header, secret, { nowSeconds: 1_700_000_000 })).toThrow(WebhookSignatureError);
  });

  it('accepts any one of several v1 signatures (secret rotation)', () => {
    const good = computeSignature(secret, 1_700_000_000, body);
    expect(() => verifyWebhookSignature(body, `t=1700000000,v1=${'0'.repeat(64)},v1=${good}`, secret, { nowSeconds: 1_700_000_000 })).not.toThrow();
  });
});
