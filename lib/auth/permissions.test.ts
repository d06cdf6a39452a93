import { describe, expect, it } from 'vitest';
import { can, isSameOrigin } from './permissions';

describe('dashboard permissions', () => {
  it('owner may do everything, developer keys and webhooks, viewer only read', () => {
    expect(can({ role: 'owner' }, 'payments:write')).toBe(true);
    expect(can({ role: 'developer' }, 'payments:write')).toBe(false);
    expect(can({ role: 'developer' }, 'keys:write')).toBe(true);
    expect(can({ role: 'developer' }, 'webhooks:write')).toBe(true);
    expect(can({ role: 'viewer' }, 'payments:write')).toBe(false);
    expect(can({ role: 'viewer' }, 'keys:write')).toBe(false);
    expect(can({ role: 'viewer' }, 'dashboard:read')).toBe(true);
  });

  it('accepts only this app’s own origin', () => {
    const h = (o: Record<string, string>) => new Headers(o);
    expect(isSameOrigin(h({ origin: 'http://localhost:3000' }), 'http://localhost:3000')).toBe(true);
    expect(isSameOrigin(h({ origin: 'http://127.0.0.1:3100', host: '127.0.0.1:3100' }), 'http://localhost:3100')).toBe(true);
    expect(isSameOrigin(h({ origin: 'https://evil.example' }), 'http://localhost:3000')).toBe(false);
    expect(isSameOrigin(h({ referer: 'http://localhost:3000/dashboard' }), 'http://localhost:3000')).toBe(true);
    expect(isSameOrigin(h({}), 'http://localhost:3000')).toBe(false);
  });
});
