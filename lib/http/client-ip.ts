import { isTrustedHop, parseAddress, type TrustProxy } from './trust-proxy';

/**
 * The client's IP address.
 *
 * A Next.js route handler never sees the socket, so the app's HTTP server (scripts/serve.ts, and
 * the test server) appends the socket peer's address to X-Forwarded-For before Next handles the
 * request, as a proxy would (appendPeerAddress). The right-most entry is therefore always the
 * peer, and everything left of it is what the peer claims. (`next start` alone only sets
 * X-Forwarded-For when the client sent none, so a client could choose its address; X-Real-IP is
 * never set by Next at all and is ignored here.)
 *
 * Walking from the right, each trusted hop (TRUST_PROXY) is skipped; the first untrusted one is
 * the client. With TRUST_PROXY off that is the peer itself. If a trusted hop reports something
 * that is not an address (or nothing), the client is that nearest trusted hop: the rules then
 * apply to the proxy's address rather than to no address. Null only when there is no address at
 * all (a request that did not come through our server).
 */
export function clientIp(headers: Headers, trust: TrustProxy): string | null {
  const hops = forwardedChain(headers);
  const peer = hops[0] === undefined ? null : parseAddress(stripPort(hops[0]));
  if (!peer) return null;
  let current = peer;
  for (let index = 0; isTrustedHop(trust, current, index); index += 1) {
    const next = hops[index + 1];
    const parsed = next === undefined ? null : parseAddress(stripPort(next));
    if (!parsed) break;
    current = parsed;
  }
  return current.toString();
}

/** X-Forwarded-For entries, nearest first (the peer, then the hop it reports, ...). */
function forwardedChain(headers: Headers): string[] {
  const raw = headers.get('x-forwarded-for');
  if (!raw) return [];
  return raw
    .split(',')
    .map((s) => s.trim())
    .reverse();
}

/** "203.0.113.7:52100" -> "203.0.113.7"; "[2001:db8::1]:443" -> "2001:db8::1"; others unchanged. */
function stripPort(entry: string): string {
  const v4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(entry);
  if (v4WithPort) return v4WithPort[1]!;
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(entry);
  return bracketed?.[1] ?? entry;
}

/**
 * What our HTTP server does to every request before handing it to Next: append the socket peer's
 * address to X-Forwarded-For (keeping what the peer sent, for a trusted proxy's sake) and drop
 * X-Real-IP, which nothing in front of us is known to set. Returns the new X-Forwarded-For.
 */
export function appendPeerAddress(headers: Record<string, string | string[] | undefined>, remoteAddress: string): string {
  const sent = headers['x-forwarded-for'];
  const previous = (Array.isArray(sent) ? sent.join(', ') : (sent ?? '')).trim();
  const value = previous ? `${previous}, ${remoteAddress}` : remoteAddress;
  headers['x-forwarded-for'] = value;
  delete headers['x-real-ip'];
  return value;
}

/**
 * The client IP where a rule depends on it (the pay page's risk and rate limits): a request with
 * no address at all did not come through our server, and is refused (500, logged) rather than
 * let through without the rules.
 */
export function requireClientIp(headers: Headers, trust: TrustProxy): string {
  const ip = clientIp(headers, trust);
  if (ip === null) throw new Error('no client address on the request: serve the app with scripts/serve.ts (npm start)');
  return ip;
}
