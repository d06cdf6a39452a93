import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '@/lib/api-docs/document';
import { referenceFromDocument } from '@/lib/api-docs/reference';
import { API_OPERATIONS } from '@/lib/api-docs/routes';

const API_DIR = path.resolve(__dirname, '../../app/api/v1');
// Handlers that answer every method the same way (405, the unknown-route 404): no operation to document.
const NOT_OPERATIONS = new Set(['methodNotAllowed', 'notFound']);

function routeFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name.startsWith('[...') ? [] : routeFiles(full);
    return entry.name === 'route.ts' ? [full] : [];
  });
}

/** Every (method, /v1 path) an app/api/v1 route file answers, read from its exports. */
function routesInTree(): string[] {
  return routeFiles(API_DIR).flatMap((file) => {
    const rel = path.relative(API_DIR, path.dirname(file)).split(path.sep).filter(Boolean);
    const apiPath = `/v1${rel.map((seg) => `/${seg.replace(/^\[(\w+)\]$/, '{$1}')}`).join('')}`;
    const source = readFileSync(file, 'utf8');
    return [...source.matchAll(/export const (GET|POST|DELETE|PUT|PATCH)\s*=\s*([A-Za-z_$][\w$]*)/g)]
      .filter((m) => !NOT_OPERATIONS.has(m[2]!))
      .map((m) => `${m[1]} ${apiPath}`);
  });
}

const registered = API_OPERATIONS.map((o) => `${o.method} ${o.path}`);

describe('the API registry (lib/api-docs/routes.ts)', () => {
  it('finds the route files it checks', () => {
    expect(routesInTree()).toEqual(expect.arrayContaining(['POST /v1/refunds', 'GET /v1/refunds/{id}', 'DELETE /v1/webhook_endpoints/{id}']));
  });

  it('documents every route that exists under app/api/v1', () => {
    const missing = routesInTree().filter((r) => !registered.includes(r));
    expect(missing, `routes without a line in lib/api-docs/routes.ts: ${missing.join(', ')}`).toEqual([]);
  });

  it('documents no route that does not exist, and each one once', () => {
    const inTree = new Set(routesInTree());
    expect(registered.filter((r) => !inTree.has(r))).toEqual([]);
    expect(new Set(registered).size).toBe(registered.length);
  });
});

describe('the OpenAPI document', () => {
  const doc = buildOpenApiDocument() as unknown as {
    openapi: string;
    paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: unknown }> }; parameters?: { name: string; in: string }[] }>>;
    components: { schemas: Record<string, unknown> };
  };

  it('is OpenAPI 3.1 with one operation per registered route', () => {
    expect(doc.openapi).toBe('3.1.0');
    const operations = Object.entries(doc.paths).flatMap(([p, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${p}`));
    expect(operations.sort()).toEqual([...registered].sort());
  });

  it('describes request bodies from the zod schemas the routes validate with, form-encoded and JSON', () => {
    const create = doc.paths['/v1/refunds']!.post!;
    const form = create.requestBody!.content['application/x-www-form-urlencoded']!.schema as { properties: Record<string, unknown>; additionalProperties: boolean };
    expect(Object.keys(form.properties)).toEqual(expect.arrayContaining(['payment_intent', 'charge', 'amount', 'reason', 'metadata']));
    expect(form.additionalProperties).toBe(false);
    expect(create.requestBody!.content['application/json']).toBeDefined();
    const params = doc.paths['/v1/events']!.get!.parameters!.map((p) => `${p.in}:${p.name}`);
    expect(params).toEqual(expect.arrayContaining(['query:limit', 'query:starting_after', 'query:type']));
    expect(doc.paths['/v1/refunds/{id}']!.get!.parameters!.map((p) => `${p.in}:${p.name}`)).toContain('path:id');
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['Refund', 'Event', 'Error']));
  });

  it('gives the reference page every operation with its fields', () => {
    const groups = referenceFromDocument(buildOpenApiDocument());
    expect(groups.flatMap((g) => g.operations)).toHaveLength(registered.length);
    const refund = groups.find((g) => g.tag === 'Refunds')!.operations.find((o) => o.method === 'POST' && o.path === '/v1/refunds')!;
    expect(refund.body.map((f) => f.name)).toEqual(expect.arrayContaining(['payment_intent', 'charge', 'metadata']));
    expect(refund.response.find((f) => f.name === 'status')).toMatchObject({ type: '"pending" | "succeeded" | "failed"', required: true });
  });
});

describe('GET /v1/openapi.json', () => {
  it('serves the document without a key, on both spellings of the API path', async () => {
    const { startTestApp } = await import('../helpers/test-app');
    const app = await startTestApp();
    try {
      for (const path of ['/v1/openapi.json', '/api/v1/openapi.json']) {
        const res = await fetch(`${app.url}${path}`);
        expect(res.status, path).toBe(200);
        expect(res.headers.get('content-type')).toMatch(/^application\/json/);
        expect(await res.json()).toEqual(JSON.parse(JSON.stringify(buildOpenApiDocument())));
      }
      expect((await fetch(`${app.url}/v1/openapi.json`, { method: 'POST' })).status).toBe(405);
    } finally {
      await app.close();
    }
  });
});
