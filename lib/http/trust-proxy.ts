import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Which hops in front of the app are trusted to report the client's address (TRUST_PROXY), in
 * the spirit of Express's `trust proxy`:
 * - off (unset, `false`, `0`): nobody; the client is the socket address.
 * - a hop count (`1`, `2`): the nearest N hops (the socket peer first) are proxies.
 * - a list of addresses / CIDRs / names (`10.0.0.0/8, loopback`): hops in those ranges are proxies.
 * `true` (trust every hop, i.e. believe the left-most X-Forwarded-For) is refused: any client could
 * then choose its own address.
 */
export type TrustProxy =
  | { kind: 'off' }
  | { kind: 'hops'; hops: number }
  | { kind: 'ranges'; ranges: ReadonlyArray<readonly [ipaddr.IPv4 | ipaddr.IPv6, number]> };

export const TRUST_NOBODY: TrustProxy = { kind: 'off' };

const NAMED_RANGES: Record<string, string[]> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

const MAX_HOPS = 32;

export class TrustProxyError extends Error {}

/** Parses TRUST_PROXY; throws TrustProxyError with a sentence saying what is wrong. */
export function parseTrustProxy(raw: string | undefined): TrustProxy {
  const value = raw?.trim().toLowerCase() ?? '';
  if (value === '' || value === 'false' || value === 'no' || value === 'off' || value === '0') return TRUST_NOBODY;
  if (value === 'true' || value === 'yes' || value === 'on') {
    throw new TrustProxyError(
      `"${raw}" would believe any X-Forwarded-For a client sends. Name the proxies instead: their number (e.g. 1) or their addresses / CIDRs (e.g. 10.0.0.0/8, loopback).`,
    );
  }
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops > MAX_HOPS) throw new TrustProxyError(`a hop count must be between 0 and ${MAX_HOPS}, got ${value}.`);
    return { kind: 'hops', hops };
  }
  const ranges: Array<readonly [ipaddr.IPv4 | ipaddr.IPv6, number]> = [];
  for (const item of value.split(',').map((s) => s.trim())) {
    if (item === '') throw new TrustProxyError('the list has an empty entry.');
    const named = NAMED_RANGES[item];
    if (named) {
      ranges.push(...named.map(parseRange));
      continue;
    }
    const range = tryParseRange(item);
    if (!range) {
      throw new TrustProxyError(
        `"${item}" is not an IP address, a CIDR range or one of ${Object.keys(NAMED_RANGES).join(', ')} (or use a hop count such as 1).`,
      );
    }
    ranges.push(range);
  }
  return { kind: 'ranges', ranges };
}

function parseRange(cidr: string): readonly [ipaddr.IPv4 | ipaddr.IPv6, number] {
  const range = tryParseRange(cidr);
  if (!range) throw new Error(`built-in range ${cidr} does not parse`);
  return range;
}

function tryParseRange(item: string): readonly [ipaddr.IPv4 | ipaddr.IPv6, number] | null {
  const slash = item.indexOf('/');
  const address = slash === -1 ? item : item.slice(0, slash);
  const parsed = parseAddress(address);
  if (!parsed) return null;
  const max = parsed.kind() === 'ipv4' ? 32 : 128;
  let bits = max;
  if (slash !== -1) {
    const prefix = item.slice(slash + 1);
    if (!/^\d{1,3}$/.test(prefix)) return null;
    bits = Number(prefix);
  }
  // an IPv4-mapped range (::ffff:10.0.0.0/104) is the IPv4 range it maps
  if (address.includes(':') && parsed.kind() === 'ipv4') bits -= 96;
  if (bits < 0 || bits > max) return null;
  return [parsed, bits] as const;
}

/**
 * One address as we store and compare it: strictly an IPv4 dotted quad or an IPv6 address, with
 * an IPv4-mapped IPv6 address (::ffff:1.2.3.4, as Node reports IPv4 peers on a dual-stack socket)
 * turned into its IPv4 form. Null for anything else.
 */
export function parseAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  if (isIP(text) === 0) return null;
  const parsed = ipaddr.parse(text);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) return (parsed as ipaddr.IPv6).toIPv4Address();
  return parsed;
}

/** Whether the hop at `index` (0 = the socket peer, 1 = the hop it reports, ...) is a trusted proxy. */
export function isTrustedHop(trust: TrustProxy, address: ipaddr.IPv4 | ipaddr.IPv6, index: number): boolean {
  switch (trust.kind) {
    case 'off':
      return false;
    case 'hops':
      return index < trust.hops;
    case 'ranges':
      return trust.ranges.some(([base, bits]) => base.kind() === address.kind() && address.match(base, bits));
  }
}
