import { and, eq, isNull } from 'drizzle-orm';
import { z } from 'zod';
import { getDb, type Tx } from '@/db/client';
import { webhookEndpoints, type WebhookEndpoint } from '@/db/schema';
import { env } from '@/lib/env';
import { AppError } from '@/lib/errors';
import { EVENT_TYPES } from '@/lib/events/outbox';
import { newId, randomToken } from '@/lib/ids';
import { byCreation, keysetPage, listObject, type PageRequest } from '@/lib/pagination';
import { nonPublicUrlProblem } from './url-guard';

const MAX_ENDPOINTS_PER_MERCHANT = 16;

export const createWebhookEndpointBody = z
  .object({
    url: z
      .string()
      .max(2000)
      .url()
      .refine((u) => /^https?:\/\//i.test(u), 'must be an http(s) URL'),
    enabled_events: z
      .array(z.enum(['*', ...EVENT_TYPES]))
      .min(1)
      .max(EVENT_TYPES.length + 1),
    description: z.string().max(500).optional(),
  })
  .strict();

export function serializeEndpoint(e: WebhookEndpoint, options: { withSecret?: boolean } = {}) {
  return {
    id: e.id,
    object: 'webhook_endpoint' as const,
    url: e.url,
    description: e.description,
    enabled_events: e.enabledEvents,
    status: e.status,
    disabled_reason: e.disabledReason,
    created: Math.floor(e.createdAt.getTime() / 1000),
    ...(options.withSecret ? { secret: e.secret } : {}),
  };
}

/**
 * Refuses a URL whose host is, or resolves to, a non-public address (SSRF), unless the install
 * allows internal targets. Delivery checks again at connect time; this gives the merchant the
 * error up front.
 */
async function assertPublicWebhookUrl(url: string): Promise<void> {
  if (env().WEBHOOK_ALLOW_PRIVATE_URLS) return;
  const problem = await nonPublicUrlProblem(url);
  if (problem) throw new AppError('parameter_invalid', `Invalid url: webhook URLs must point to a public address, and ${problem}.`, { param: 'url' });
}

/** Creates an endpoint; the signing secret is in this response only. */
export async function createWebhookEndpoint(tx: Tx, merchantId: string, input: z.output<typeof createWebhookEndpointBody>) {
  const live = await tx
    .select({ id: webhookEndpoints.id })
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.merchantId, merchantId), isNull(webhookEndpoints.deletedAt)));
  if (live.length >= MAX_ENDPOINTS_PER_MERCHANT) {
    throw new AppError('parameter_invalid', `A merchant can have at most ${MAX_ENDPOINTS_PER_MERCHANT} webhook endpoints.`);
  }
  await assertPublicWebhookUrl(input.url);
  const [endpoint] = await tx
    .insert(webhookEndpoints)
    .values({
      id: newId('webhookEndpoint'),
      merchantId,
      url: input.url,
      description: input.description ?? null,
      enabledEvents: input.enabled_events.includes('*') ? ['*'] : [...new Set(input.enabled_events)],
      secret: `whsec_${randomToken(32)}`,
    })
    .returning();
  if (!endpoint) throw new Error('endpoint insert returned nothing');
  return serializeEndpoint(endpoint, { withSecret: true });
}

export async function getWebhookEndpoint(merchantId: string, id: string): Promise<WebhookEndpoint> {
  const [e] = await getDb()
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.merchantId, merchantId), isNull(webhookEndpoints.deletedAt)));
  if (!e) throw new AppError('resource_missing', `No such webhook_endpoint: '${id}'`, { param: 'id' });
  return e;
}

export async function listWebhookEndpoints(merchantId: string, query: PageRequest) {
  const page = await keysetPage<WebhookEndpoint>({
    ...byCreation(webhookEndpoints),
    request: query,
    scope: and(eq(webhookEndpoints.merchantId, merchantId), isNull(webhookEndpoints.deletedAt)),
    unknownCursor: { error: 'webhook_endpoint' },
  });
  return listObject('/api/v1/webhook_endpoints', page, (e) => serializeEndpoint(e));
}

/** Deletes an endpoint: no further deliveries; its delivery history is kept. */
export async function deleteWebhookEndpoint(merchantId: string, id: string) {
  const endpoint = await getWebhookEndpoint(merchantId, id);
  await getDb().update(webhookEndpoints).set({ deletedAt: new Date() }).where(eq(webhookEndpoints.id, endpoint.id));
  return { id: endpoint.id, object: 'webhook_endpoint' as const, deleted: true };
}

export function subscribes(endpoint: Pick<WebhookEndpoint, 'enabledEvents'>, eventType: string): boolean {
  return endpoint.enabledEvents.includes('*') || endpoint.enabledEvents.includes(eventType);
}
