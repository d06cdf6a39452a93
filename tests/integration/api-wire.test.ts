import { describe, expect, it } from 'vitest';
// @ts-expect-error -- next.config.mjs is plain JavaScript (JSDoc-typed), outside the TypeScript program
import nextConfig from '../../next.config.mjs';
import { rewritePath } from '../helpers/test-app';

const METHODS = ['GET', 'POST', 'DELETE', 'PUT', 'PATCH'] as const;
const routeModules = (import.meta as unknown as { glob<T>(p: string[]): Record<string, () => Promise<T>> }).glob<Record<string, unknown>>([
  '/app/api/v1/**/route.ts',
]);

describe('the public API routes', () => {
  it('answer every method: a route file exports the ones it does not serve as methodNotAllowed (Next.js would send an empty 405)', async () => {
    const files = Object.keys(routeModules);
    expect(files.length).toBeGreaterThan(10);
    const missing: string[] = [];
    for (const [file, load] of Object.entries(routeModules)) {
      const mod = await load();
      for (const method of METHODS) if (typeof mod[method] !== 'function') missing.push(`${file} ${method}`);
    }
    expect(missing).toEqual([]);
  });

  it('are served at /v1 by the same rewrite in next.config.mjs and in the test app', async () => {
    const rewrites = (await (nextConfig as { rewrites: () => Promise<{ beforeFiles: { source: string; destination: string }[] }> }).rewrites())
      .beforeFiles;
    expect(rewrites).toContainEqual({ source: '/v1/:path*', destination: '/api/v1/:path*' });
    expect(rewritePath('/v1/payment_intents/pi_1/confirm')).toBe('/api/v1/payment_intents/pi_1/confirm');
    expect(rewritePath('/v1x/other')).toBe('/v1x/other');
  });
});
