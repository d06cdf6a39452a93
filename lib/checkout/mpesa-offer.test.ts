import { describe, expect, it } from 'vitest';
import { mpesaOffer } from './mpesa';

describe('mpesaOffer: whether the pay page offers M-Pesa', () => {
  it('offers it for whole shillings in KES', () => {
    expect(mpesaOffer(150_000, 'kes')).toEqual({ offered: true });
    expect(mpesaOffer(100, 'kes')).toEqual({ offered: true });
  });

  it('does not offer it for a KES total with cents, and says why with the amount', () => {
    const offer = mpesaOffer(150_050, 'kes');
    expect(offer.offered).toBe(false);
    if (offer.offered) return;
    expect(offer.reason).toMatch(/whole shillings only/);
    expect(offer.reason).toContain('1,500.50');
  });

  it('does not offer it outside KES', () => {
    expect(mpesaOffer(1_000, 'usd')).toMatchObject({ offered: false, reason: expect.stringMatching(/only .* KES/) });
  });
});
