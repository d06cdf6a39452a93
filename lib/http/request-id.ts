import { randomUUID } from 'node:crypto';

/** The id of one request, sent back in the `request-id` header of every answer: `req_` and 32 hex digits. */
export function newRequestId(): string {
  return `req_${randomUUID().replaceAll('-', '')}`;
}
