import { z } from 'zod';
import { AppError } from '@/lib/errors';
import { coerceFormInput, decodeQuery } from './form';

/**
 * Who reads the message of a refused input: a developer calling the API (Stripe's wording, naming
 * the param: "Invalid amount: ...") or a person at one of our forms (the schema's own sentence,
 * written for them). The code and the param are the same either way.
 */
export type IssueAudience = 'api' | 'form';

/**
 * Parses input with a zod schema, turning the first issue into a typed 400 AppError. Every string
 * in the input (object keys included) is checked first, so no schema can let through text that
 * Postgres refuses (NUL) or that is not valid Unicode (an unpaired surrogate), now or later.
 */
export function parseInput<S extends z.ZodType>(
  schema: S,
  input: unknown,
  audience: IssueAudience = 'api',
  encoding: 'json' | 'form' = 'json',
): z.output<S> {
  assertStorableText(input);
  // Form input (a urlencoded body, a query string) holds only strings: coerced to the schema's
  // numbers, booleans and arrays here, once, so every schema validates it as it validates JSON.
  const result = schema.safeParse(encoding === 'form' ? coerceFormInput(schema, input) : input);
  if (result.success) return result.data;
  throw zodErrorToAppError(result.error, audience);
}

/**
 * A GET request's query string, decoded with Stripe's bracket notation (`expand[]=latest_charge`,
 * `created[gte]=1700000000`) and validated like a form body.
 */
export function parseQuery<S extends z.ZodType>(schema: S, query: URLSearchParams): z.output<S> {
  return parseInput(schema, decodeQuery(query), 'api', 'form');
}

/** parseInput for the dashboard's, the sign-up's and the store's forms. */
export function parseFormInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  return parseInput(schema, input, 'form');
}

/**
 * The one translation of a zod failure into an AppError: its first issue, as parameter_unknown,
 * parameter_missing or parameter_invalid, with `param` the dotted path of the field (absent for
 * the input as a whole).
 */
export function zodErrorToAppError(error: z.ZodError, audience: IssueAudience = 'api'): AppError {
  const issue = error.issues[0];
  if (!issue) return new AppError('parameter_invalid', 'Invalid request.');
  const path = issue.path.map(String);
  const forForm = audience === 'form';
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    const param = [...path, key].join('.');
    return new AppError('parameter_unknown', `Received unknown parameter: ${param}`, { param });
  }
  const param = path.join('.') || undefined;
  const options = param ? { param } : {};
  if (issue.code === 'invalid_type' && /received undefined/i.test(issue.message)) {
    return new AppError('parameter_missing', forForm || !param ? issue.message : `Missing required parameter: ${param}.`, options);
  }
  return new AppError('parameter_invalid', forForm || !param ? issue.message : `Invalid ${param}: ${issue.message}`, options);
}

/** Merchant-supplied key/value pairs, Stripe's limits. */
export const metadataSchema = z
  .record(z.string().min(1).max(40), z.string().max(500))
  .refine((m) => Object.keys(m).length <= 50, 'metadata can have at most 50 keys');

/** How deeply objects and arrays may nest in a request (ours nest 3 levels at most). */
export const MAX_INPUT_DEPTH = 20;

// NUL: Postgres text and jsonb cannot hold it (the driver's error would be a 500). A surrogate
// half without its partner is not a Unicode character: it cannot be encoded as UTF-8 and breaks
// whatever reads the value later (Postgres, webhooks, the dashboard).
const NUL = /\u0000/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a string cannot be stored as text, or null when it can. */
export function textProblem(value: string): string | null {
  if (NUL.test(value)) return 'must not contain NUL characters (\\u0000)';
  const surrogate = LONE_SURROGATE.exec(value);
  if (surrogate) return `must be valid Unicode (it contains the unpaired surrogate \\u${surrogate[0].charCodeAt(0).toString(16)})`;
  return null;
}

/** A key as it can be shown in a param name: NULs and lone surrogates escaped as \\uXXXX. */
function printableKey(key: string): string {
  return textProblem(key) ? JSON.stringify(key).slice(1, -1) : key;
}

/**
 * Refuses input holding a string (key or value, at any depth) that cannot be stored as text, or
 * nested deeper than MAX_INPUT_DEPTH, with a 400 naming the param the way parseInput does
 * (`metadata.order`, `line_items.0.name`).
 */
export function assertStorableText(input: unknown): void {
  const visit = (value: unknown, path: string[]): void => {
    if (typeof value === 'string') {
      const problem = textProblem(value);
      if (problem) throw invalidText(path, problem);
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    if (path.length >= MAX_INPUT_DEPTH) {
      throw new AppError('parameter_invalid', `Invalid ${path.join('.')}: nested more than ${MAX_INPUT_DEPTH} levels deep.`, { param: path.join('.') });
    }
    if (Array.isArray(value)) {
      value.forEach((item, i) => visit(item, [...path, String(i)]));
      return;
    }
    for (const [key, item] of Object.entries(value)) {
      const problem = textProblem(key);
      if (problem) throw invalidText([...path, printableKey(key)], `the parameter name ${problem}`);
      visit(item, [...path, key]);
    }
  };
  visit(input, []);
}

function invalidText(path: string[], problem: string): AppError {
  const param = path.join('.') || undefined;
  return new AppError('parameter_invalid', param ? `Invalid ${param}: ${problem}.` : `Invalid request: the text ${problem}.`, { param });
}

/**
 * Path parameters (ids from the URL) get the same check as body fields: `/payment_intents/%00`
 * is a 400 naming `id`, not a query Postgres refuses.
 */
export function checkPathParams<P>(params: P): P {
  if (params && typeof params === 'object') {
    for (const [name, value] of Object.entries(params)) {
      const problem = typeof value === 'string' ? textProblem(value) : null;
      if (problem) throw new AppError('parameter_invalid', `Invalid ${name}: ${problem}.`, { param: name });
    }
  }
  return params;
}

/** Text from outside (a receiver's answer, an error message) made storable: NULs and lone surrogates become U+FFFD. */
export function toStorableText(value: string): string {
  return value.replace(/\u0000/g, '\uFFFD').replace(new RegExp(LONE_SURROGATE.source, 'g'), '\uFFFD');
}
