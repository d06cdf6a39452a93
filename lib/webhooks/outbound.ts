import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { RequestFilteringHttpAgent, RequestFilteringHttpsAgent } from 'request-filtering-agent';
import { literalHostProblem } from './url-guard';

/**
 * POSTs to a merchant's URL with node:http(s) and request-filtering-agent, which checks the address
 * the socket actually connects to, after DNS resolution: a name that resolved to a public address
 * when the endpoint was created and to 127.0.0.1 now (DNS rebinding) gets no connection. Redirects
 * are never followed (node:http does not follow them; the 3xx is returned as is).
 * (Global fetch cannot take an http.Agent, hence node:http here.)
 */

export interface OutboundResponse {
  statusCode: number;
  location: string | null;
  /** The start of the response body, decoded as UTF-8. */
  bodyExcerpt: string;
}

export interface OutboundRequest {
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  /** WEBHOOK_ALLOW_PRIVATE_URLS: internal addresses are allowed (development only). */
  allowPrivate: boolean;
  /** Replaces DNS resolution (tests); the agent still checks what it returns. */
  lookup?: LookupFunction;
}

/** The target is not a public address: no connection was made. */
export class NonPublicTargetError extends Error {
  constructor(detail: string) {
    super(`Refused to connect: ${detail}. Webhook URLs must resolve to public addresses.`);
    this.name = 'NonPublicTargetError';
  }
}

const EXCERPT_BYTES = 4096;

const agents = {
  guarded: { http: new RequestFilteringHttpAgent(), https: new RequestFilteringHttpsAgent() },
  open: { http: new http.Agent(), https: new https.Agent() },
};

// request-filtering-agent reports a refused address as
// "DNS lookup <ip>(family:<f>, host:<name>) is not allowed. Because, It is private IP address."
const AGENT_REFUSAL = /^DNS lookup (.+?)\(family:[^,]*, host:([^)]*)\) is not allowed/;

function describeError(err: unknown): Error {
  if (!(err instanceof Error)) return new Error(String(err));
  const refusal = AGENT_REFUSAL.exec(err.message);
  if (!refusal) return err;
  const [, address, host] = refusal;
  return new NonPublicTargetError(host && host !== 'undefined' ? `${host} resolves to ${address}, which is not a public address` : `${address} is not a public address`);
}

export function postToMerchantUrl(rawUrl: string, request: OutboundRequest): Promise<OutboundResponse> {
  const url = new URL(rawUrl);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return Promise.reject(new Error(`Unsupported URL scheme ${url.protocol}`));
  if (!request.allowPrivate) {
    const problem = literalHostProblem(url);
    if (problem) return Promise.reject(new NonPublicTargetError(problem));
  }
  const isHttps = url.protocol === 'https:';
  const agent = (request.allowPrivate ? agents.open : agents.guarded)[isHttps ? 'https' : 'http'];
  const send = isHttps ? https.request : http.request;

  return new Promise<OutboundResponse>((resolve, reject) => {
    const req = send(url, {
      method: 'POST',
      agent,
      headers: { ...request.headers, 'content-length': String(Buffer.byteLength(request.body)) },
      ...(request.lookup ? { lookup: request.lookup } : {}),
    });
    // One deadline for connecting, sending and reading, so a slow receiver cannot hold a worker.
    const deadline = setTimeout(() => req.destroy(new Error(`timed out after ${request.timeoutMs} ms`)), request.timeoutMs);
    const fail = (err: unknown) => {
      clearTimeout(deadline);
      reject(describeError(err));
    };
    req.on('error', fail);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let received = 0;
      const finish = () => {
        clearTimeout(deadline);
        resolve({
          statusCode: res.statusCode ?? 0,
          location: typeof res.headers.location === 'string' ? res.headers.location : null,
          bodyExcerpt: Buffer.concat(chunks).toString('utf8'),
        });
      };
      res.on('data', (chunk: Buffer) => {
        if (received >= EXCERPT_BYTES) return;
        chunks.push(chunk.subarray(0, EXCERPT_BYTES - received));
        received += chunk.length;
        // Enough for the excerpt: stop reading a large (or endless) answer.
        if (received >= EXCERPT_BYTES) {
          finish();
          res.destroy();
        }
      });
      res.on('end', finish);
      res.on('error', fail);
    });
    req.end(request.body);
  });
}
