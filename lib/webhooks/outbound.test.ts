import http from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { NonPublicTargetError, postToMerchantUrl } from './outbound';

const servers: http.Server[] = [];
afterEach(async () => {
  while (servers.length) {
    const s = servers.pop()!;
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

/** A local server that counts requests and answers with the handler's response. */
async function localServer(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void = (_, res) => res.end('ok')) {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(req.url ?? '');
    handler(req, res);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, hits };
}

/** DNS that answers 127.0.0.1 for every name: a rebinding attacker's resolver. */
const resolvesToLoopback: LookupFunction = (_hostname, options, callback) => {
  const cb = callback as unknown as (err: Error | null, address: unknown, family?: number) => void;
  if ((options as { all?: boolean }).all) cb(null, [{ address: '127.0.0.1', family: 4 }]);
  else cb(null, '127.0.0.1', 4);
};

const post = (url: string, over: Partial<Parameters<typeof postToMerchantUrl>[1]> = {}) =>
  postToMerchantUrl(url, { headers: { 'content-type': 'application/json' }, body: '{"id":"evt_1"}', timeoutMs: 2_000, allowPrivate: false, ...over });

describe('postToMerchantUrl', () => {
  it('makes no connection when a public-looking name resolves to an internal address at connect time', async () => {
    const internal = await localServer();
    const attempt = post(`http://hooks.merchant.example:${internal.port}/hooks`, { lookup: resolvesToLoopback });
    await expect(attempt).rejects.toBeInstanceOf(NonPublicTargetError);
    await expect(attempt).rejects.toThrow('hooks.merchant.example resolves to 127.0.0.1, which is not a public address');
    expect(internal.hits).toEqual([]);
  });

  it('makes no connection to an internal IP literal', async () => {
    const internal = await localServer();
    await expect(post(`http://127.0.0.1:${internal.port}/hooks`)).rejects.toThrow(/127\.0\.0\.1 is not a public address/);
    await expect(post(`http://[::ffff:127.0.0.1]:${internal.port}/hooks`)).rejects.toThrow(/not a public address/);
    expect(internal.hits).toEqual([]);
  });

  it('returns a redirect without following it', async () => {
    const target = await localServer();
    const redirector = await localServer((_, res) => {
      res.writeHead(307, { location: `http://127.0.0.1:${target.port}/secret` });
      res.end();
    });
    const res = await post(`http://127.0.0.1:${redirector.port}/hooks`, { allowPrivate: true });
    expect(res).toMatchObject({ statusCode: 307, location: `http://127.0.0.1:${target.port}/secret` });
    expect(target.hits).toEqual([]);
  });

  it('delivers to internal addresses only when allowed, and reads a bounded excerpt of a large answer', async () => {
    const receiver = await localServer((_, res) => res.end('x'.repeat(1_000_000)));
    const res = await post(`http://localhost:${receiver.port}/hooks`, { allowPrivate: true });
    expect(res.statusCode).toBe(200);
    expect(res.bodyExcerpt.length).toBeLessThanOrEqual(4096);
    expect(receiver.hits).toEqual(['/hooks']);
  });

  it('gives up on a receiver that never answers, within the timeout', async () => {
    const silent = await localServer(() => undefined);
    const started = Date.now();
    await expect(post(`http://127.0.0.1:${silent.port}/hooks`, { allowPrivate: true, timeoutMs: 300 })).rejects.toThrow(/timed out after 300 ms/);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
