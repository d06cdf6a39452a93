import Stripe from 'stripe';
import { createTestMerchant, startTestApp, type TestApp } from '../helpers/test-app';
import type { CreatedMerchant } from '@/lib/merchants';

export interface StripeApp {
  app: TestApp;
  merchant: CreatedMerchant;
  /** The official SDK with the merchant's secret key, configured only with our host, port and protocol. */
  stripe: Stripe;
  /** Another official client of the same app (another key, the merchant's publishable key, SDK options). */
  client(key: string, options?: Stripe.StripeConfig): Stripe;
  close(): Promise<void>;
}

/**
 * Starts the app (startTestApp: every app/** route on a local server) and a merchant, and returns
 * the official `stripe` SDK pointed at it exactly as a merchant would point theirs: host, port and
 * protocol only. Retries are off unless a test turns them on, so each call is one request.
 */
export async function startStripeApp(): Promise<StripeApp> {
  const app = await startTestApp();
  const merchant = await createTestMerchant();
  const url = new URL(app.url);
  const client = (key: string, options: Stripe.StripeConfig = {}) =>
    new Stripe(key, { host: url.hostname, port: Number(url.port), protocol: 'http', maxNetworkRetries: 0, ...options });
  return { app, merchant, stripe: client(merchant.secretKey), client, close: () => app.close() };
}
