import { describe, expect, it } from 'vitest';
import { isPublicAddress, nonPublicUrlProblem, type LookupAll } from './url-guard';

/** A resolver with a fixed answer per name; unknown names fail as ENOTFOUND does. */
const fakeDns =
  (answers: Record<string, string[]>): LookupAll =>
  async (hostname) => {
    const addresses = answers[hostname];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

describe('isPublicAddress', () => {
  it.each([
    '127.0.0.1', '127.255.255.254', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.0.1', '169.254.169.254', '100.64.0.1',
    '100.127.255.255', '0.0.0.0', '224.0.0.251', '239.255.255.250', '255.255.255.255', '192.0.2.10', '198.18.0.1', '::1', '::',
    'fc00::1', 'fd00:ec2::254', 'fe80::1', 'ff02::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', '::ffff:169.254.169.254', '64:ff9b::a00:1',
    '2002:7f00:1::1', '2001:db8::1', 'not-an-ip', '',
  ])('%s is not public', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '11.0.0.1', '2606:4700:4700::1111', '[2a00:1450:4001::200e]'])('%s is public', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });
});

describe('nonPublicUrlProblem', () => {
  const dns = fakeDns({
    'hooks.merchant.example': ['93.184.216.34'],
    'internal.merchant.example': ['10.0.0.7'],
    'dual.merchant.example': ['93.184.216.34', '::1'],
    'metadata.merchant.example': ['169.254.169.254'],
    localhost: ['93.184.216.34'], // even a resolver that lies about localhost does not make it public
  });

  it('refuses IP literals in any spelling the URL parser accepts', async () => {
    for (const url of ['http://2130706433/', 'http://0x7f.0.0.1/', 'http://0177.0.0.01/', 'http://127.1/', 'http://[::ffff:7f00:1]/', 'http://[0:0:0:0:0:ffff:127.0.0.1]/']) {
      expect(await nonPublicUrlProblem(url, dns), url).toMatch(/not a public address/);
    }
  });

  it('refuses localhost names without asking DNS', async () => {
    expect(await nonPublicUrlProblem('http://localhost:3000/hooks', dns)).toMatch(/localhost is not a public address/);
    expect(await nonPublicUrlProblem('http://shop.localhost./hooks', dns)).toMatch(/not a public address/);
  });

  it('refuses a name when any of its addresses is internal, and names the address', async () => {
    expect(await nonPublicUrlProblem('https://internal.merchant.example/hooks', dns)).toBe('internal.merchant.example resolves to 10.0.0.7, which is not a public address');
    expect(await nonPublicUrlProblem('https://dual.merchant.example/hooks', dns)).toMatch(/resolves to ::1/);
    expect(await nonPublicUrlProblem('https://metadata.merchant.example/', dns)).toMatch(/169\.254\.169\.254/);
  });

  it('accepts public names and addresses, and names that do not resolve (delivery checks again)', async () => {
    expect(await nonPublicUrlProblem('https://hooks.merchant.example/hooks', dns)).toBeNull();
    expect(await nonPublicUrlProblem('https://8.8.8.8/hooks', dns)).toBeNull();
    expect(await nonPublicUrlProblem('https://nowhere.merchant.example/hooks', dns)).toBeNull();
  });
});
