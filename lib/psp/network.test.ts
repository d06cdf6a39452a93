import { describe, expect, it } from 'vitest';
import { networkErrorCode, requestNeverLeft } from './network';

describe('network errors: did the request leave?', () => {
  it('finds the system code under fetch causes and Stripe SDK details', () => {
    expect(networkErrorCode(new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } }))).toBe('ECONNREFUSED');
    expect(networkErrorCode({ code: 'StripeConnectionError', detail: { code: 'ENOTFOUND' } })).toBe('ENOTFOUND');
    expect(networkErrorCode(new Error('x', { cause: new Error('y', { cause: { code: 'UND_ERR_CONNECT_TIMEOUT' } }) }))).toBe('UND_ERR_CONNECT_TIMEOUT');
    expect(networkErrorCode(new Error('no code'))).toBeUndefined();
  });

  it('only a connection that never opened counts as not sent', () => {
    for (const code of ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']) expect(requestNeverLeft(code)).toBe(true);
    for (const code of ['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'UND_ERR_SOCKET', undefined]) expect(requestNeverLeft(code)).toBe(false);
  });
});
