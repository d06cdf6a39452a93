import { AppError } from '@/lib/errors';
import { decodeForm } from './form';

/** Largest request body the API accepts. */
export const MAX_BODY_BYTES = 256 * 1024;

/** Past this, an oversized upload is cut off (the connection drops) instead of read to its end. */
const MAX_DRAIN_BYTES = 16 * 1024 * 1024;

const tooLarge = (maxBytes: number) => new AppError('parameter_invalid', `Request body is too large (at most ${maxBytes / 1024} KiB).`);

/**
 * Reads the body, keeping at most MAX_BODY_BYTES in memory. An oversized body is read to its end
 * and discarded (up to MAX_DRAIN_BYTES) before the 400, so the client gets the answer and the
 * keep-alive connection stays usable; an unread body left on the socket would stall the next
 * request on it.
 */
async function readBytes(request: Request, maxBytes = MAX_BODY_BYTES): Promise<Uint8Array> {
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_DRAIN_BYTES) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(maxBytes);
    }
    if (size <= maxBytes) chunks.push(value);
  }
  if (size > maxBytes) throw tooLarge(maxBytes);
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/**
 * The request's body as text, as sent (a signature is checked over it), at most `maxBytes`.
 * Decoded like Request.text(): bytes that are not UTF-8 become U+FFFD.
 */
export async function readTextBody(request: Request, maxBytes = MAX_BODY_BYTES): Promise<string> {
  return new TextDecoder('utf-8').decode(await readBytes(request, maxBytes));
}

/** How an API request's body was encoded: form bodies and query strings carry only strings, so parseInput coerces them. */
export type InputEncoding = 'json' | 'form';

export interface ApiBody {
  input: unknown;
  encoding: InputEncoding;
}

/**
 * The request's JSON body ({} when empty). Typed 400s for a body that is too large, not UTF-8,
 * not JSON, or sent with another content type. Strings with NULs or lone surrogates (which JSON
 * escapes like "\u0000" and "\ud800" produce) are refused later, by parseInput.
 */
export async function readJsonBody(request: Request): Promise<unknown> {
  const body = await readBody(request, false);
  return body.input;
}

/**
 * The body of a public API request: JSON, or `application/x-www-form-urlencoded` with Stripe's
 * bracket notation (what the official Stripe SDKs send), decoded by decodeForm. Same size limit
 * and the same typed 400s either way.
 */
export async function readApiBody(request: Request): Promise<ApiBody> {
  return readBody(request, true);
}

async function readBody(request: Request, formAllowed: boolean): Promise<ApiBody> {
  const bytes = await readBytes(request);
  let text: string;
  try {
    // fatal: invalid UTF-8 is an error instead of silently becoming U+FFFD
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new AppError('body_invalid_json', 'The request body is not valid UTF-8.');
  }
  const type = (request.headers.get('content-type') ?? '').toLowerCase();
  if (formAllowed && type.includes('application/x-www-form-urlencoded')) return { input: decodeForm(text), encoding: 'form' };
  if (text.trim() === '') return { input: {}, encoding: 'json' };
  if (type && !type.includes('application/json')) {
    throw new AppError(
      'body_invalid_json',
      formAllowed
        ? 'Send the request body as JSON (Content-Type: application/json) or form-encoded (Content-Type: application/x-www-form-urlencoded).'
        : 'Send the request body as JSON with Content-Type: application/json.',
    );
  }
  try {
    return { input: JSON.parse(text) as unknown, encoding: 'json' };
  } catch {
    throw new AppError('body_invalid_json', 'The request body is not valid JSON.');
  }
}
