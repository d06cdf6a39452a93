import { describe, expect, it } from 'vitest';
import { acceptsPaymentMethod, CARD_PSP_CAPABILITIES, capabilityGap, describeRoute, describeUnreachable, mayFailOver, planCardRoute } from './routing';
import { PspError, type PspCapabilities } from './types';

const allEnabled = () => null;
const stripeOff = (psp: string) => (psp === 'stripe' ? 'STRIPE_SECRET_KEY is not set' : null);

describe('card routing', () => {
  it('follows the merchant order, default sandbox then stripe', () => {
    expect(planCardRoute({ preference: null, disabled: allEnabled, paymentMethod: 'pm_card_visa' }).order).toEqual(['sandbox_card', 'stripe']);
    expect(planCardRoute({ preference: ['stripe', 'sandbox_card'], disabled: allEnabled, paymentMethod: 'pm_card_visa' }).order).toEqual([
      'stripe',
      'sandbox_card',
    ]);
  });

  it('skips a disabled PSP and says why', () => {
    const plan = planCardRoute({ preference: ['stripe', 'sandbox_card'], disabled: stripeOff, paymentMethod: 'pm_card_visa' });
    expect(plan.order).toEqual(['sandbox_card']);
    expect(describeRoute(plan, 'sandbox_card', [])).toMatch(/stripe disabled \(STRIPE_SECRET_KEY is not set\)/);
  });

  it('routes a token only to the PSP that can charge it', () => {
    expect(acceptsPaymentMethod('stripe', 'tok_abc')).toBe(false);
    expect(acceptsPaymentMethod('sandbox_card', 'pm_1Abc')).toBe(false);
    expect(acceptsPaymentMethod('sandbox_card', 'pm_card_visa')).toBe(true);
    // a saved card (the sandbox's card on file) is charged only where it was saved
    expect(acceptsPaymentMethod('sandbox_card', 'card_abc')).toBe(true);
    expect(acceptsPaymentMethod('stripe', 'card_abc')).toBe(false);
    expect(planCardRoute({ preference: ['stripe', 'sandbox_card'], disabled: allEnabled, paymentMethod: 'tok_x' }).order).toEqual(['sandbox_card']);
    expect(planCardRoute({ preference: ['sandbox_card', 'stripe'], disabled: allEnabled, paymentMethod: 'pm_1Xyz' }).order).toEqual(['stripe']);
  });

  it('ignores unknown names and duplicates in a stored preference', () => {
    expect(planCardRoute({ preference: ['nope', 'stripe', 'stripe'], disabled: allEnabled, paymentMethod: 'pm_card_visa' }).order).toEqual(['stripe']);
  });

  it('fails over only when the request never left', () => {
    expect(mayFailOver(new PspError('unreachable', 'x (ECONNREFUSED)', false))).toBe(true);
    expect(mayFailOver(new PspError('unreachable', 'x (ECONNRESET)', true))).toBe(false);
    expect(mayFailOver(new PspError('timeout', 'x', true))).toBe(false);
    expect(mayFailOver(new PspError('rejected', 'x', true, 400))).toBe(false);
  });

  it('explains a failover', () => {
    const plan = planCardRoute({ preference: null, disabled: allEnabled, paymentMethod: 'pm_card_visa' });
    const why = describeUnreachable('sandbox_card', new PspError('unreachable', 'sandbox card network: retrieve token failed (ECONNREFUSED)', false));
    expect(describeRoute(plan, 'stripe', [why])).toBe('sandbox_card unreachable (connection refused); failed over to stripe');
    expect(describeUnreachable('stripe', new PspError('unreachable', 'stripe: circuit open after repeated failures', false))).toBe('stripe unreachable (circuit open)');
  });

  it('skips a PSP whose capabilities lack the currency, and says why', () => {
    const noJpy = (psp: string): PspCapabilities =>
      psp === 'stripe' ? { ...CARD_PSP_CAPABILITIES.stripe, currencies: ['usd', 'eur'] } : CARD_PSP_CAPABILITIES.sandbox_card;
    const plan = planCardRoute({ preference: ['stripe', 'sandbox_card'], disabled: allEnabled, paymentMethod: 'pm_card_visa', currency: 'JPY', capabilities: noJpy });
    expect(plan.order).toEqual(['sandbox_card']);
    expect(describeRoute(plan, 'sandbox_card', [])).toMatch(/stripe does not support JPY/);
    // The same PSP is kept for a currency it declares.
    expect(planCardRoute({ preference: ['stripe', 'sandbox_card'], disabled: allEnabled, paymentMethod: 'pm_card_visa', currency: 'eur', capabilities: noJpy }).order).toEqual([
      'stripe',
      'sandbox_card',
    ]);
  });

  it('skips a PSP that does not take cards at all', () => {
    const mpesaOnly: PspCapabilities = { methods: ['mpesa'], currencies: ['kes'], asynchronous: true, threeDSecure: false, refunds: false };
    expect(capabilityGap(mpesaOnly, 'kes')).toBe('does not take cards');
    const plan = planCardRoute({ preference: null, disabled: allEnabled, paymentMethod: 'pm_card_visa', capabilities: (psp) => (psp === 'sandbox_card' ? mpesaOnly : CARD_PSP_CAPABILITIES.stripe) });
    expect(plan.order).toEqual(['stripe']);
    expect(plan.skipped).toEqual(['sandbox_card does not take cards']);
  });

  it('uses the adapters\' declared capabilities by default', () => {
    expect(planCardRoute({ preference: null, disabled: allEnabled, paymentMethod: 'pm_card_visa', currency: 'kes' }).order).toEqual(['sandbox_card', 'stripe']);
    expect(planCardRoute({ preference: null, disabled: allEnabled, paymentMethod: 'pm_card_visa', currency: 'chf' }).skipped).toEqual([
      'sandbox_card does not support CHF',
      'stripe does not support CHF',
    ]);
  });
});
