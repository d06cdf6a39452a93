import type { OpenApiDocument } from './document';

/**
 * The API reference page's model, read from the OpenAPI document (not from the registry), so
 * the page shows exactly what /v1/openapi.json says: operations grouped by tag, each with its
 * parameters and the fields of its body and answer, nested objects flattened to `a.b` names
 * (Stripe's own docs show `metadata`, `card.brand` the same way).
 */

export interface ReferenceField {
  name: string;
  type: string;
  required: boolean;
  description: string | null;
}

export interface ReferenceOperation {
  id: string;
  method: string;
  path: string;
  summary: string;
  description: string | null;
  public: boolean;
  params: (ReferenceField & { in: string })[];
  body: ReferenceField[];
  response: ReferenceField[];
}

export interface ReferenceGroup {
  tag: string;
  operations: ReferenceOperation[];
}

type Schema = {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  description?: string;
  additionalProperties?: Schema | boolean;
};

type Doc = { components?: { schemas?: Record<string, Schema> } };

function resolve(doc: Doc, schema: Schema | undefined): Schema {
  let s = schema ?? {};
  for (let i = 0; s.$ref && i < 10; i++) s = doc.components?.schemas?.[s.$ref.split('/').pop() ?? ''] ?? {};
  return s;
}

function typeName(doc: Doc, raw: Schema | undefined): string {
  const s = resolve(doc, raw);
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(' | ');
  const variants = s.anyOf ?? s.oneOf;
  if (variants) return [...new Set(variants.map((v) => typeName(doc, v)))].join(' | ');
  if (s.type === 'array') return `array of ${typeName(doc, s.items)}`;
  if (Array.isArray(s.type)) return s.type.join(' | ');
  if (s.type === 'object' && !s.properties && s.additionalProperties && typeof s.additionalProperties === 'object') {
    return `map of ${typeName(doc, s.additionalProperties)}`;
  }
  return s.type ?? 'any';
}

/** The object fields of a schema, nested objects one level deep as `parent.child`. */
function fieldsOf(doc: Doc, raw: Schema | undefined, prefix = '', depth = 0): ReferenceField[] {
  const s = resolve(doc, raw);
  const objectVariant = (s.anyOf ?? s.oneOf ?? []).map((v) => resolve(doc, v)).find((v) => v.properties);
  const target = s.properties ? s : (objectVariant ?? s);
  if (!target.properties) return [];
  const required = new Set(target.required ?? []);
  return Object.entries(target.properties).flatMap(([name, child]) => {
    const c = resolve(doc, child);
    const field: ReferenceField = { name: prefix + name, type: typeName(doc, child), required: required.has(name), description: c.description ?? null };
    const nested = depth < 1 && c.type === 'object' && c.properties ? fieldsOf(doc, c, `${prefix}${name}.`, depth + 1) : [];
    return [field, ...nested];
  });
}

type Operation = {
  operationId?: string;
  summary?: string;
  description?: string;
  tags?: string[];
  security?: unknown[];
  parameters?: { name: string; in: string; required?: boolean; description?: string; schema?: Schema }[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  responses?: Record<string, { content?: Record<string, { schema?: Schema }> }>;
};

export function referenceFromDocument(document: OpenApiDocument): ReferenceGroup[] {
  const doc = document as unknown as Doc & { paths?: Record<string, Record<string, Operation>> };
  const groups = new Map<string, ReferenceOperation[]>();
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const [method, o] of Object.entries(item)) {
      const tag = o.tags?.[0] ?? 'Other';
      const operation: ReferenceOperation = {
        id: o.operationId ?? `${method}-${path}`,
        method: method.toUpperCase(),
        path,
        summary: o.summary ?? '',
        description: o.description ?? null,
        public: Array.isArray(o.security) && o.security.length === 0,
        params: (o.parameters ?? []).map((p) => ({
          name: p.name,
          in: p.in,
          type: typeName(doc, p.schema),
          required: p.required ?? false,
          description: p.description ?? resolve(doc, p.schema).description ?? null,
        })),
        body: fieldsOf(doc, o.requestBody?.content?.['application/x-www-form-urlencoded']?.schema),
        response: fieldsOf(doc, o.responses?.['200']?.content?.['application/json']?.schema),
      };
      groups.set(tag, [...(groups.get(tag) ?? []), operation]);
    }
  }
  return [...groups].map(([tag, operations]) => ({ tag, operations }));
}
