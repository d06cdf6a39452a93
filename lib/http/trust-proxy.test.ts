import { describe, expect, it } from 'vitest';
import { appendPeerAddress, clientIp } from './client-ip';
import { parseTrustProxy, TrustProxyError } from './trust-proxy';

/** Headers as our server hands them to Next: what the peer sent, then the peer's socket address. */
function arriving(peer: string, sentForwardedFor?: string): Headers {
  const raw: Record<string, string | undefined> = { 'x-forwarded-for': sentForwardedFor, 'x-real-ip': '6.6.6.6' };
  appendPeerAddress(raw, peer);
  const headers = new Headers();
  for (const [k, v] of Object.entries(raw)) if (v !== undefined) headers.set(k, v);
  return headers;
}

const ip = (trust: string | undefined, peer: string, sent?: string) => clientIp(arriving(peer, sent), parseTrustProxy(trust));

describe('parseTrustProxy', () => {
  it.each([undefined, '', 'false', 'FALSE', 'no', '0', ' 0 '])('%j is off', (value) => {
    expect(parseTrustProxy(value)).toEqual({ kind: 'off' });
  });

  it('reads a hop count', () => {
    expect(parseTrustProxy('1')).toEqual({ kind: 'hops', hops: 1 });
    expect(parseTrustProxy('3')).toEqual({ kind: 'hops', hops: 3 });
  });

  it.each(['true', 'yes', 'TRUE'])('refuses %j (trusting every hop lets any client choose its address)', (value) => {
    expect(() => parseTrustProxy(value)).toThrow(/would believe any X-Forwarded-For/);
  });

  it.each(['maybe', '10.0.0.0/33', '300.1.1.1', '10.0.0.1,', 'loopback, bogus', '::1/129', '1.2.3.4/x', '127.1', '-1', '1.5', '99'])(
    'refuses %j',
    (value) => {
      expect(() => parseTrustProxy(value)).toThrow(TrustProxyError);
    },
  );

  it('reads addresses, CIDRs (IPv4, IPv6, IPv4-mapped) and the named ranges', () => {
    const parsed = parseTrustProxy('10.0.0.0/8, 2001:db8::/32, 192.0.2.1, ::ffff:198.51.100.0/120, loopback, linklocal, uniquelocal');
    expect(parsed.kind).toBe('ranges');
    if (parsed.kind !== 'ranges') return;
    // loopback 2, linklocal 2, uniquelocal 4, plus the four listed
    expect(parsed.ranges).toHaveLength(12);
    // the mapped range is kept as the IPv4 range it maps
    expect(parsed.ranges[3]![0].kind()).toBe('ipv4');
    expect(parsed.ranges[3]![1]).toBe(24);
  });
});

describe('clientIp', () => {
  it('with TRUST_PROXY off is the socket peer, whatever the client sends', () => {
    expect(ip(undefined, '203.0.113.9')).toBe('203.0.113.9');
    expect(ip(undefined, '203.0.113.9', '1.1.1.1')).toBe('203.0.113.9');
    expect(ip('false', '203.0.113.9', '1.1.1.1, 2.2.2.2')).toBe('203.0.113.9');
    expect(ip(undefined, '203.0.113.9', 'garbage')).toBe('203.0.113.9');
  });

  it('ignores X-Real-IP', () => {
    expect(ip('1', '10.0.0.2')).toBe('10.0.0.2');
  });

  it('with a hop count skips that many hops from the right and takes the next', () => {
    expect(ip('1', '10.0.0.2', '198.51.100.7')).toBe('198.51.100.7');
    // the client prepended a fake address: the right-most untrusted hop still wins
    expect(ip('1', '10.0.0.2', '6.6.6.6, 198.51.100.7')).toBe('198.51.100.7');
    expect(ip('2', '10.0.0.2', '6.6.6.6, 198.51.100.7, 10.0.0.9')).toBe('198.51.100.7');
  });

  it('with ranges skips trusted hops from the right and stops at the first untrusted one', () => {
    expect(ip('10.0.0.0/8', '10.0.0.2', '6.6.6.6, 198.51.100.7, 10.1.2.3')).toBe('198.51.100.7');
    expect(ip('loopback', '127.0.0.1', '198.51.100.7')).toBe('198.51.100.7');
    // an untrusted peer is the client even if it sends a header
    expect(ip('10.0.0.0/8', '203.0.113.5', '198.51.100.7')).toBe('203.0.113.5');
  });

  it('compares IPv4-mapped peers as IPv4 and returns the IPv4 form', () => {
    expect(ip(undefined, '::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(ip('loopback', '::ffff:127.0.0.1', '198.51.100.7')).toBe('198.51.100.7');
    expect(ip('10.0.0.0/8', '::ffff:10.0.0.2', '::ffff:198.51.100.7')).toBe('198.51.100.7');
  });

  it('handles IPv6 peers and ranges', () => {
    expect(ip('2001:db8::/32', '2001:db8::1', '2001:db9::42')).toBe('2001:db9::42');
    expect(ip('loopback', '::1', '[2001:db9::42]:443')).toBe('2001:db9::42');
    expect(ip('2001:db8::/32', '2001:dead::1', '1.2.3.4')).toBe('2001:dead::1');
  });

  it('strips ports from forwarded entries', () => {
    expect(ip('1', '10.0.0.2', '198.51.100.7:52100')).toBe('198.51.100.7');
  });

  it('falls back to the nearest trusted hop when the forwarded value is not an address (never null)', () => {
    expect(ip('1', '10.0.0.2', 'not-an-ip')).toBe('10.0.0.2');
    expect(ip('1', '10.0.0.2', '')).toBe('10.0.0.2');
    expect(ip('2', '10.0.0.2', '198.51.100.7, <script>')).toBe('10.0.0.2');
    expect(ip('loopback', '127.0.0.1', '1.2.3.4.5')).toBe('127.0.0.1');
    // every hop trusted and the chain ends: the furthest address reported
    expect(ip('uniquelocal', '10.0.0.2', '10.0.0.3')).toBe('10.0.0.3');
  });

  it('is null only when no server stamped a peer', () => {
    expect(clientIp(new Headers(), parseTrustProxy('1'))).toBeNull();
    expect(clientIp(new Headers({ 'x-forwarded-for': 'nonsense' }), parseTrustProxy(undefined))).toBeNull();
  });
});
