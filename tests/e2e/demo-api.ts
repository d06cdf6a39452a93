import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { expect, type APIRequestContext } from '@playwright/test';
import { E2E_DATA_DIR } from './e2e-paths';

/** The demo merchant's REST API, with the secret key npm start wrote into the e2e data dir. */
export class DemoApi {
  constructor(private readonly request: APIRequestContext) {}

  /** The demo merchant's `Authorization` header. */
  async authHeaders(): Promise<Record<string, string>> {
    const demo = JSON.parse(await fs.readFile(path.join(E2E_DATA_DIR, 'demo-merchant.json'), 'utf8')) as { secret_key: string };
    return { authorization: `Bearer ${demo.secret_key}` };
  }

  private async headers(): Promise<Record<string, string>> {
    return { ...(await this.authHeaders()), 'idempotency-key': randomUUID() };
  }

  async post<T = Record<string, unknown>>(url: string, data: Record<string, unknown> = {}): Promise<T> {
    const res = await this.request.post(url, { headers: await this.headers(), data });
    expect(res.status(), `${url}: ${await res.text()}`).toBe(200);
    return (await res.json()) as T;
  }

  async get<T = Record<string, unknown>>(url: string): Promise<T> {
    const res = await this.request.get(url, { headers: await this.headers() });
    expect(res.status(), `${url}: ${await res.text()}`).toBe(200);
    return (await res.json()) as T;
  }

  /** A checkout session; returns its id and payment intent. */
  async session(baseURL: string, body: Record<string, unknown>): Promise<{ id: string; paymentIntent: string }> {
    const s = await this.post<{ id: string; payment_intent: string }>('/api/v1/checkout/sessions', {
      success_url: `${baseURL}/pay/{CHECKOUT_SESSION_ID}`,
      cancel_url: `${baseURL}/store`,
      ...body,
    });
    return { id: s.id, paymentIntent: s.payment_intent };
  }
}
