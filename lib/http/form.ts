import qs from 'qs';
import type { z } from 'zod';
import { AppError } from '@/lib/errors';
import { MAX_INPUT_DEPTH } from './validation';

/** Most parameters one form-encoded body or query string may hold (Stripe's largest requests use a few hundred). */
export const MAX_FORM_PARAMETERS = 1000;

/**
 * Decodes Stripe's bracket notation (`metadata[order]=42`, `expand[]=latest_charge`,
 * `line_items[0][price_data][unit_amount]=1400`) from a form body or a query string.
 *
 * Every index becomes an object key (arrayLimit 0): `a[]=x&a[]=y` and `a[0]=x&a[1]=y` both give
 * `{a: {0: 'x', 1: 'y'}}`, and `metadata[5]=x` keeps its key "5" instead of becoming a compacted
 * array. Whether such an object is an array is the schema's call (coerceFormInput), not the
 * decoder's. `__proto__`-style keys are dropped; nesting deeper than MAX_INPUT_DEPTH and more than
 * MAX_FORM_PARAMETERS parameters are a 400.
 */
export function decodeForm(text: string): Record<string, unknown> {
  // Counted here rather than by qs's throwOnLimitExceeded, which would also refuse every index
  // past arrayLimit (all of them, with arrayLimit 0).
  if (text.split('&').filter(Boolean).length > MAX_FORM_PARAMETERS) {
    throw new AppError('parameter_invalid', `The request has more than ${MAX_FORM_PARAMETERS} parameters.`);
  }
  try {
    return qs.parse(text, {
      arrayLimit: 0,
      depth: MAX_INPUT_DEPTH,
      strictDepth: true,
      parameterLimit: MAX_FORM_PARAMETERS,
      allowPrototypes: false,
      allowDots: false,
      charset: 'utf-8',
    }) as Record<string, unknown>;
  } catch (err) {
    // strictDepth's RangeError: `a[b][c]...` nested past MAX_INPUT_DEPTH
    throw new AppError('parameter_invalid', `The request is nested more than ${MAX_INPUT_DEPTH} levels deep.`, { cause: err });
  }
}

/**
 * A GET request's query string decoded as decodeForm decodes a body (`expand[]=...`,
 * `created[gte]=...`). URLSearchParams re-encodes what it parsed, so qs sees the same pairs.
 */
export function decodeQuery(query: URLSearchParams): Record<string, unknown> {
  return decodeForm(query.toString());
}

// What coerceFormInput reads of a zod (v4) schema: its definition's kind and the parts it wraps.
interface SchemaDef {
  type: string;
  innerType?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: readonly z.ZodType[];
  in?: z.ZodType;
  out?: z.ZodType;
  left?: z.ZodType;
  right?: z.ZodType;
  values?: readonly unknown[];
  getter?: () => z.ZodType;
}

const defOf = (schema: z.ZodType): SchemaDef => (schema as unknown as { _zod: { def: SchemaDef } })._zod.def;

const DECIMAL = /^-?(?:0|[1-9]\d*)(?:\.\d+)?$/;
const INTEGER = /^-?(?:0|[1-9]\d*)$/;
const INDEX = /^(?:0|[1-9]\d*)$/;

/**
 * Form input carries only strings and string-keyed objects. This turns it into what the schema
 * expects, in one place for every form-encoded endpoint, so the SAME zod schema that validates
 * JSON validates it with the same errors: "42" where a number is expected becomes 42, "true" and
 * "false" become booleans, an object with keys 0..n-1 becomes an array, and "" becomes null where
 * the schema allows null but not a string (Stripe's way to unset a field). A value that does not
 * fit is left as it is, so the schema refuses it with its usual message ("expected number").
 */
export function coerceFormInput(schema: z.ZodType, value: unknown): unknown {
  const def = defOf(schema);
  switch (def.type) {
    case 'optional':
    case 'default':
    case 'prefault':
    case 'nonoptional':
    case 'readonly':
    case 'catch':
      return def.innerType ? coerceFormInput(def.innerType, value) : value;
    case 'nullable':
      if (value === '' && def.innerType && !acceptsString(def.innerType)) return null;
      return def.innerType ? coerceFormInput(def.innerType, value) : value;
    case 'lazy':
      return def.getter ? coerceFormInput(def.getter(), value) : value;
    case 'pipe':
      // z.preprocess and .transform() sit in a pipe; coerce for the side that reads the input.
      if (def.in && defOf(def.in).type !== 'transform') return coerceFormInput(def.in, value);
      return def.out ? coerceFormInput(def.out, value) : value;
    case 'intersection':
      return def.left && def.right ? coerceFormInput(def.right, coerceFormInput(def.left, value)) : value;
    case 'number':
      return typeof value === 'string' && DECIMAL.test(value) ? Number(value) : value;
    case 'bigint':
      return typeof value === 'string' && INTEGER.test(value) ? BigInt(value) : value;
    case 'boolean':
      return value === 'true' ? true : value === 'false' ? false : value;
    case 'literal':
      return coerceToLiteral(def.values ?? [], value);
    case 'array':
      return coerceArray(def.element, value);
    case 'object':
      return coerceObject(def.shape ?? {}, value);
    case 'record':
      return coerceRecord(def.valueType, value);
    case 'union':
      return coerceUnion(def.options ?? [], value);
    default:
      return value;
  }
}

function coerceToLiteral(values: readonly unknown[], value: unknown): unknown {
  if (typeof value !== 'string') return value;
  return values.find((v) => (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') && String(v) === value) ?? value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function coerceArray(element: z.ZodType | undefined, value: unknown): unknown {
  let items: unknown[] | undefined;
  if (Array.isArray(value)) items = value;
  else if (isPlainObject(value)) {
    const keys = Object.keys(value);
    // keys 0..n-1 exactly (in any order): `a[]=x&a[]=y`, `a[0][b]=y`. Gaps are left to the schema to refuse.
    if (keys.every((k) => INDEX.test(k)) && keys.every((_, i) => Object.hasOwn(value, String(i)))) {
      items = keys.map((_, i) => value[String(i)]);
    }
  }
  if (!items) return value;
  return element ? items.map((item) => coerceFormInput(element, item)) : items;
}

function coerceObject(shape: Record<string, z.ZodType>, value: unknown): unknown {
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const field = Object.hasOwn(shape, key) ? shape[key] : undefined;
    out[key] = field ? coerceFormInput(field, item) : item;
  }
  return out;
}

function coerceRecord(valueType: z.ZodType | undefined, value: unknown): unknown {
  if (!isPlainObject(value) || !valueType) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, coerceFormInput(valueType, v)]));
}

/** The first member of the union that accepts the coerced value decides; otherwise the value stays as sent. */
function coerceUnion(options: readonly z.ZodType[], value: unknown): unknown {
  for (const option of options) {
    const coerced = coerceFormInput(option, value);
    if (option.safeParse(coerced).success) return coerced;
  }
  return value;
}

function acceptsString(schema: z.ZodType): boolean {
  return schema.safeParse('').success || defOf(schema).type === 'string';
}
