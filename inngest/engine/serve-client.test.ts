import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { startFetchServer, type FetchServer } from '@/tests/helpers/fetch-server';
import { callServeEndpoint, type CallRequest } from './serve-client';

let server: FetchServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const request = (url: string): CallRequest => ({
  url: `${url}/api/inngest?fnId=app-fn`,
  stepId: 'step',
  runId: 'run_1',
  event: { name: 'go', data: { n: 1 } },
  steps: [],
  attempt: 0,
  maxAttempts: 4,
  signingKey: 'signkey-test-00112233445566778899aabbccddeeff',
  timeoutMs: 5_000,
});

describe('the engine calling a serve endpoint', () => {
  it('asks for an uncompressed answer (fetch would ask for gzip, and Next would compress it)', async () => {
    const seen: (string | null)[] = [];
    server = await startFetchServer(async (req) => {
      seen.push(req.headers.get('accept-encoding'));
      return Response.json({ done: true });
    });
    const outcome = await callServeEndpoint(request(server.url));
    expect(outcome).toEqual({ kind: 'completed', output: { done: true } });
    expect(seen).toEqual(['identity']);
  });

  it('still reads an answer a server compressed anyway', async () => {
    server = await startFetchServer(
      async () =>
        new Response(gzipSync(JSON.stringify({ done: 'zipped' })), {
          headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        }),
    );
    expect(await callServeEndpoint(request(server.url))).toEqual({ kind: 'completed', output: { done: 'zipped' } });
  });
});
