/**
 * Canonical JSON (RFC 8785 style: object keys sorted, no whitespace), byte-identical to the
 * `canonicalize` package the SDK uses: the SDK parses our request body and verifies the
 * signature over its canonical form, so we send and sign exactly that form.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object' || typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) {
    return `[${value.map((item: unknown) => canonicalJson(item === undefined || typeof item === 'symbol' ? null : item)).join(',')}]`;
  }
  const record = value as Record<string, unknown>;
  const members = Object.keys(record)
    .sort()
    .filter((key) => record[key] !== undefined && typeof record[key] !== 'symbol' && typeof record[key] !== 'function')
    .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`);
  return `{${members.join(',')}}`;
}
