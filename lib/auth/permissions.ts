import type { SessionUser } from './users';

/**
 * What each dashboard role may do. owner: everything; developer: API keys and webhooks;
 * viewer: read only. Every page, server action and dashboard route checks one of these on the
 * server.
 */
export const PERMISSIONS = {
  'dashboard:read': ['owner', 'developer', 'viewer'],
  'payments:write': ['owner'],
  'keys:write': ['owner', 'developer'],
  'webhooks:write': ['owner', 'developer'],
  'risk:write': ['owner'],
  'team:write': ['owner'],
  'settings:write': ['owner'],
} as const satisfies Record<string, readonly SessionUser['role'][]>;

export type Permission = keyof typeof PERMISSIONS;

export function can(user: Pick<SessionUser, 'role'>, permission: Permission): boolean {
  return (PERMISSIONS[permission] as readonly string[]).includes(user.role);
}

/**
 * Server actions and dashboard route handlers refuse cross-site requests: the Origin header (or,
 * without one, Referer) must name this app's own origin.
 */
export function isSameOrigin(headers: Headers, appUrl: string): boolean {
  const allowed = new Set([new URL(appUrl).origin]);
  const host = headers.get('x-forwarded-host') ?? headers.get('host');
  if (host) {
    const proto = headers.get('x-forwarded-proto') ?? new URL(appUrl).protocol.replace(':', '');
    allowed.add(`${proto}://${host}`);
  }
  const origin = headers.get('origin') ?? (headers.get('referer') ? new URL(headers.get('referer')!).origin : null);
  return origin !== null && allowed.has(origin);
}
