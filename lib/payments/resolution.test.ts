import { afterEach, describe, expect, it } from 'vitest';
import { resetEnvCache } from '@/lib/env';
import { resolutionPolicy } from './resolution';

afterEach(() => {
  delete process.env.DARAJA_STK_PROMPT_LIFETIME_MS;
  delete process.env.PAYMENT_CALLBACK_TIMEOUT_MS;
  resetEnvCache();
});

describe('resolution of a processing payment', () => {
  it('waits for the callback at least as long as an STK prompt can still be answered (plus 30 s) before asking the PSP', () => {
    expect(resolutionPolicy('processing').callbackTimeoutMs).toBe(120_000);
    process.env.DARAJA_STK_PROMPT_LIFETIME_MS = '180000';
    resetEnvCache();
    expect(resolutionPolicy('processing').callbackTimeoutMs).toBe(210_000);
    // an operator's explicit wait still wins
    process.env.PAYMENT_CALLBACK_TIMEOUT_MS = '5000';
    resetEnvCache();
    expect(resolutionPolicy('processing').callbackTimeoutMs).toBe(5_000);
  });
});
