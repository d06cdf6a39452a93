'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';

/**
 * The console's sections. A new /admin page adds one entry here; its page.tsx starts with
 * `await requireOperator()` (app/admin/guard.ts).
 */
export const ADMIN_NAV = [
  { href: '/admin', label: 'Overview', testId: 'admin-nav-overview' },
  { href: '/admin/merchants', label: 'Merchants', testId: 'admin-nav-merchants' },
  { href: '/admin/dead-letters', label: 'Dead letters', testId: 'admin-nav-dead-letters' },
  { href: '/admin/psp-health', label: 'PSP health', testId: 'admin-nav-psp-health' },
  { href: '/admin/audit', label: 'Audit', testId: 'admin-nav-audit' },
  { href: '/admin/reconciliation', label: 'Reconciliation', testId: 'admin-nav-reconciliation' },
] as const;

export function AdminNavLinks() {
  const pathname = usePathname();
  return (
    <>
      {ADMIN_NAV.map((l) => {
        const current = l.href === '/admin' ? pathname === '/admin' : pathname === l.href || pathname.startsWith(`${l.href}/`);
        return (
          <Link key={l.href} href={l.href} aria-current={current ? 'page' : undefined} data-testid={l.testId}>
            {l.label}
          </Link>
        );
      })}
    </>
  );
}
