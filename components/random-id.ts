/**
 * Random ids made in the browser. crypto.randomUUID exists only in secure contexts (https or
 * localhost); getRandomValues works everywhere, so a self-hosted instance on plain http works too.
 */
function randomBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  crypto.getRandomValues(bytes);
  return bytes;
}

/** An RFC 4122 version-4 UUID. */
export function randomUuid(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = randomBytes(16);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A url-safe random id such as a cart id: `prefix_` + 24 base62 characters. */
export function randomId(prefix: string): string {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  let out = '';
  while (out.length < 24) {
    for (const byte of randomBytes(32)) {
      // 248 = 62 * 4: rejection sampling keeps every character equally likely
      if (byte < 248 && out.length < 24) out += alphabet[byte % 62];
    }
  }
  return `${prefix}_${out}`;
}
