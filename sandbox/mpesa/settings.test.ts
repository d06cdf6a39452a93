import { afterEach, describe, expect, it } from 'vitest';
import { sandboxSettings } from './settings';

const NAMES = ['MPESA_SANDBOX_RESULT_DELAY_MS', 'MPESA_SANDBOX_TOKEN_TTL_S'] as const;
afterEach(() => {
  for (const name of NAMES) delete process.env[name];
});

describe('the offline Daraja settings', () => {
  it('have Daraja-like defaults and follow the environment at once (no cache)', () => {
    expect(sandboxSettings()).toMatchObject({ MPESA_SANDBOX_RESULT_DELAY_MS: 300, MPESA_SANDBOX_TOKEN_TTL_S: 3599 });
    process.env.MPESA_SANDBOX_RESULT_DELAY_MS = '0';
    expect(sandboxSettings().MPESA_SANDBOX_RESULT_DELAY_MS).toBe(0);
  });

  it('refuse a bad value naming the variable, instead of falling back', () => {
    process.env.MPESA_SANDBOX_TOKEN_TTL_S = 'soon';
    expect(() => sandboxSettings()).toThrow(/MPESA_SANDBOX_TOKEN_TTL_S/);
  });
});
