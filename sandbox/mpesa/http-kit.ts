import { z } from 'zod';
import { checkAccessToken } from './auth';

/** Daraja's HTTP conventions shared by every sandbox endpoint: its error body, JSON bodies, bearer tokens. */

export class DarajaHttpError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
  }
}

export const badRequest = (what: string) => new DarajaHttpError(400, '400.002.02', `Bad Request - Invalid ${what}`);

export function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' },
  });
}

export async function readBody(request: Request): Promise<Record<string, unknown>> {
  const text = await request.text();
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new DarajaHttpError(400, '400.002.02', 'Bad Request - Invalid JSON');
}

/** Parses with zod; the first failing field names the error, as Daraja's "Invalid <Field>" does. */
export function parse<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const field = result.error.issues[0]?.path.join('.') || 'request';
  throw badRequest(field);
}

export function requireToken(request: Request): void {
  if (!checkAccessToken(request.headers.get('authorization')))
    throw new DarajaHttpError(401, '404.001.03', 'Invalid Access Token');
}
