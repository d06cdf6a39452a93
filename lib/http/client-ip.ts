import { isIP } from 'node:net';

/**
 * The customer's IP address. Behind a proxy or load balancer (TRUST_PROXY) it is the first
 * address of X-Forwarded-For; otherwise X-Real-IP, which Next's own server sets.
 */
export function clientIp(headers: Headers, trustProxy: boolean): string | null {
  if (trustProxy) {
    const first = headers.get('x-forwarded-for')?.split(',')[0]?.trim();
    if (first && isIP(stripPort(first))) return stripPort(first);
  }
  const real = headers.get('x-real-ip')?.trim();
  if (real && isIP(real)) return real;
  return null;
}

function stripPort(address: string): string {
  // "203.0.113.7:52100" -> "203.0.113.7"; IPv6 addresses are left alone
  const v4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(address);
  return v4WithPort?.[1] ?? address;
}
