import { and, eq, isNull } from 'drizzle-orm';
import { z } from 'zod';
import { getDb, type Tx } from '@/db/client';
import { webhookEndpoints, type WebhookEndpoint } from '@/db/schema';
import { env } from '@/lib/env';
import { AppError } from '@/lib/errors';
import { EVENT_TYPES } from '@/lib/events/outbox';
import { STRIPE_API_VERSION } from '@/lib/http/stripe-version';
import { mergeMetadata } from '@/lib/customers';
import { metadataSchema } from '@/lib/http/validation';
import { newId, randomToken } from '@/lib/ids';
import { byCreation, keysetPage, listObject, type PageRequest } from '@/lib/pagination';
import { nonPublicUrlProblem } from './url-guard';

const MAX_ENDPOINTS_PER_MERCHANT = 16;

const endpointUrl = z
  .string()
  .max(2000)
  .url()
  .refine((u) => /^https?:\/\//i.test(u), 'must be an http(s) URL');
const enabledEvents = z
  .array(z.enum(['*', ...EVENT_TYPES]))
  .min(1)
  .max(EVENT_TYPES.length + 1);

export const createWebhookEndpointBody = z
  .object({
    url: endpointUrl,
    enabled_events: enabledEvents,
    description: z.string().max(500).optional(),
    metadata: metadataSchema.optional(),
    /** Stripe lets a Connect platform pin a version; we follow one version (STRIPE_API_VERSION). */
    api_version: z.literal(STRIPE_API_VERSION).optional(),
  })
  .strict();

/** POST /v1/webhook_endpoints/:id: Stripe's update (a `disabled` flag instead of a status). */
export const updateWebhookEndpointBody = z
  .object({
    url: endpointUrl.optional(),
    enabled_events: enabledEvents.optional(),
    description: z.union([z.string().max(500), z.literal('')]).optional(),
    metadata: z.record(z.string().min(1).max(40), z.string().max(500)).optional(),
    disabled: z.boolean().optional(),
  })
  .strict();

export function serializeEndpoint(e: WebhookEndpoint, options: { withSecret?: boolean } = {}) {
  return {
    id: e.id,
    object: 'webhook_endpoint' as const,
    api_version: STRIPE_API_VERSION,
    application: null,
    created: Math.floor(e.createdAt.getTime() / 1000),
    description: e.description,
    enabled_events: e.enabledEvents,
    livemode: false,
    metadata: e.metadata,
    status: e.status,
    url: e.url,
    /** Why we disabled it (repeated failures), beside Stripe's fields. */
    disabled_reason: e.disabledReason,
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
      enabledEvents: normalizeEvents(input.enabled_events),
      metadata: input.metadata ?? {},
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
  return listObject('/v1/webhook_endpoints', page, (e) => serializeEndpoint(e));
}

const normalizeEvents = (events: string[]) => (events.includes('*') ? ['*'] : [...new Set(events)]);

/**
 * Updates an endpoint (url, events, description, metadata, disabled). Enabling a disabled
 * endpoint clears its failure count and reason, so it gets the full retry budget again; the
 * signing secret never changes here and is never returned.
 */
export async function updateWebhookEndpoint(tx: Tx, merchantId: string, id: string, input: z.output<typeof updateWebhookEndpointBody>) {
  const [endpoint] = await tx
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.merchantId, merchantId), isNull(webhookEndpoints.deletedAt)))
    .for('update');
  if (!endpoint) throw new AppError('resource_missing', `No such webhook_endpoint: '${id}'`, { param: 'id' });
  if (input.url !== undefined) await assertPublicWebhookUrl(input.url);
  const reenable = input.disabled === false && endpoint.status === 'disabled';
  const [updated] = await tx
    .update(webhookEndpoints)
    .set({
      ...(input.url !== undefined ? { url: input.url } : {}),
      ...(input.enabled_events !== undefined ? { enabledEvents: normalizeEvents(input.enabled_events) } : {}),
      ...(input.description !== undefined ? { description: input.description === '' ? null : input.description } : {}),
      ...(input.metadata !== undefined ? { metadata: mergeMetadata(endpoint.metadata, input.metadata) } : {}),
      ...(input.disabled === true ? { status: 'disabled' as const, disabledReason: 'Disabled by the merchant.' } : {}),
      ...(reenable ? { status: 'enabled' as const, disabledReason: null, consecutiveFailures: 0 } : {}),
    })
    .where(eq(webhookEndpoints.id, endpoint.id))
    .returning();
  if (!updated) throw new Error(`webhook endpoint ${id} vanished under its row lock`);
  return serializeEndpoint(updated);
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
