import { expect } from 'vitest';
import type { PaymentAttempt } from '@/db/schema';
import { resetEnvCache } from '@/lib/env';
import { abandonAttempt } from '@/lib/payments/resolution';
import { resetCardPsp } from '@/lib/psp';
import { attemptOf } from './factories';
import { startFetchServer, type FetchServer } from './fetch-server';
import type { apiClient, TestApp } from './test-app';

type Api = ReturnType<typeof apiClient>;

/**
 * A real lost response: a proxy in front of the sandbox card network forwards every request (the
 * network charges the card) but holds the answer to a new payment past our PSP timeout, so our
 * confirm never hears back. The deadline then passes and we fail the attempt, exactly as
 * resolve-pending-payment does: the customer is charged, we show the payment failed.
 * Needs PSP_TIMEOUT_MS well under HOLD_MS (the files using it set 400).
 */
const HOLD_MS = 1_500;

export interface LossyNetwork {
  close(): Promise<void>;
  /** A payment intent confirmed through the lossy network and then failed by us; its PSP charged it. */
  chargeAndLoseAnswer(api: Api, paymentIntentId: string): Promise<PaymentAttempt>;
}

export async function startLossyNetwork(app: TestApp): Promise<LossyNetwork> {
  const proxy: FetchServer = await startFetchServer(async (req) => {
    const url = new URL(req.url);
    const body = req.method === 'GET' ? undefined : await req.text();
    const forwarded = await fetch(`${app.url}${url.pathname}${url.search}`, { method: req.method, headers: req.headers, body });
    if (req.method === 'POST' && url.pathname.endsWith('/v1/payments')) await new Promise((r) => setTimeout(r, HOLD_MS));
    return new Response(await forwarded.text(), { status: forwarded.status, headers: { 'content-type': 'application/json' } });
  });
  const routeCardsTo = (url: string) => {
    process.env.SANDBOX_CARD_URL = url;
    resetEnvCache();
    resetCardPsp();
  };
  return {
    close: async () => {
      routeCardsTo(app.url);
      await proxy.close();
    },
    async chargeAndLoseAnswer(api, paymentIntentId) {
      routeCardsTo(proxy.url);
      try {
        const confirm = await api.post(`/api/v1/payment_intents/${paymentIntentId}/confirm`, { payment_method: 'pm_card_visa' });
        expect(confirm.status, JSON.stringify(confirm.body)).toBe(502);
      } finally {
        routeCardsTo(app.url);
      }
      const attempt = await attemptOf(paymentIntentId);
      expect(attempt.pspReference).toBeNull();
      await abandonAttempt(attempt.id, 'processing');
      const failed = await attemptOf(paymentIntentId);
      expect(failed.status).toBe('failed');
      return failed;
    },
  };
}
