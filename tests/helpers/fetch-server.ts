import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { appendPeerAddress } from '../../lib/http/client-ip';

export type FetchHandler = (request: Request) => Response | Promise<Response>;

export interface FetchServer {
  /** Origin of the server, e.g. http://127.0.0.1:41234 (no trailing slash). */
  url: string;
  /** Stops listening and drops open connections (also ones a handler never answered). */
  close(): Promise<void>;
}

function toRequest(req: http.IncomingMessage, origin: string): Request {
  // as the app's own server (scripts/serve.ts) does: the socket peer goes on X-Forwarded-For
  appendPeerAddress(req.headers, req.socket.remoteAddress ?? '');
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (Array.isArray(value)) value.forEach((v) => headers.append(name, v));
    else if (value !== undefined) headers.set(name, value);
  }
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  return new Request(new URL(req.url ?? '/', origin), {
    method: req.method ?? 'GET',
    headers,
    ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: 'half' } : {}),
  } as RequestInit);
}

async function writeResponse(response: Response, res: http.ServerResponse): Promise<void> {
  res.statusCode = response.status;
  response.headers.forEach((value, name) => res.appendHeader(name, value));
  if (response.body) {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) res.write(chunk);
  }
  res.end();
}

/** Serves a fetch-style handler (Request -> Response) on a random local port, for tests. */
export async function startFetchServer(handler: FetchHandler): Promise<FetchServer> {
  let origin = '';
  const server = http.createServer((req, res) => {
    Promise.resolve()
      .then(() => handler(toRequest(req, origin)))
      .then((response) => writeResponse(response, res))
      .catch((err: unknown) => {
        console.error('[fetch-server] handler failed:', err);
        if (!res.headersSent) res.statusCode = 500;
        res.end();
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: origin,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
