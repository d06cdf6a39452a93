import { buildOpenApiDocument, type OpenApiDocument } from './document';

let cached: string | null = null;

/** The document as JSON text, built once per process (the registry does not change at run time). */
export function openApiJson(): string {
  cached ??= JSON.stringify(buildOpenApiDocument() satisfies OpenApiDocument);
  return cached;
}

export function openApiResponse(): Response {
  return new Response(openApiJson(), {
    status: 200,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'public, max-age=300', 'access-control-allow-origin': '*' },
  });
}
