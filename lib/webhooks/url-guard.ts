import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Webhook URLs are chosen by merchants, and our servers POST to them and record the answer: a URL
 * pointing inside our network (loopback, private ranges, the cloud metadata service) would let a
 * merchant probe and read internal services (SSRF). Only public addresses are allowed, unless the
 * install opts out with WEBHOOK_ALLOW_PRIVATE_URLS (local development, the demo).
 *
 * This module is the check at creation time. The delivery checks again at connect time, after its
 * own DNS resolution (see outbound.ts), because a name can resolve differently later.
 */

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Resolves a host name to all its addresses (dns.lookup by default; tests pass their own). */
export type LookupAll = (hostname: string) => Promise<ResolvedAddress[]>;

const defaultLookup: LookupAll = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

const LOOKUP_TIMEOUT_MS = 3_000;

/**
 * A public address is one ipaddr.js classifies as plain global unicast. Everything else is refused:
 * loopback, private (10/8, 172.16/12, 192.168/16, fc00::/7), link-local (169.254/16 with the
 * metadata service, fe80::/10), carrier-grade NAT (100.64/10), unspecified (0.0.0.0, ::),
 * multicast, broadcast, reserved and documentation ranges, and every IPv6 form that embeds an IPv4
 * address (IPv4-mapped ::ffff:a.b.c.d, NAT64, 6to4, Teredo), which may reach an internal IPv4 host.
 * It is the same rule as request-filtering-agent's, which guards the connection at delivery.
 */
export function isPublicAddress(address: string): boolean {
  const bare = address.replace(/^\[(.*)\]$/, '$1');
  if (isIP(bare) === 0) return false;
  return ipaddr.parse(bare).range() === 'unicast';
}

/** RFC 6761: localhost and every name under it are loopback, whatever a resolver says. */
function isLocalhostName(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

/**
 * Why a URL's host is not a public address, judged without DNS (an IP literal in any form the URL
 * parser accepts, or a localhost name), or null when only DNS can tell.
 */
export function literalHostProblem(url: URL): string | null {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (isIP(host) !== 0) return isPublicAddress(host) ? null : `${host} is not a public address`;
  if (isLocalhostName(host)) return `${host} is not a public address (it is this machine)`;
  return null;
}

/**
 * Why a webhook URL must be refused (its host is or resolves to a non-public address), or null.
 * A name that does not resolve (yet) is accepted: the delivery resolves it again and checks then.
 */
export async function nonPublicUrlProblem(rawUrl: string, lookup: LookupAll = defaultLookup): Promise<string | null> {
  const url = new URL(rawUrl);
  const literal = literalHostProblem(url);
  if (literal) return literal;
  const host = url.hostname;
  if (isIP(host.replace(/^\[(.*)\]$/, '$1')) !== 0) return null;
  const addresses = await withTimeout(lookup(host), LOOKUP_TIMEOUT_MS).catch(() => [] as ResolvedAddress[]);
  const internal = addresses.find((a) => !isPublicAddress(a.address));
  return internal ? `${host} resolves to ${internal.address}, which is not a public address` : null;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`DNS lookup timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
