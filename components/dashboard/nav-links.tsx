'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';

const LINKS = [
  { href: '/dashboard', label: 'Overview' },
  { href: '/dashboard/payments', label: 'Payments' },
  { href: '/dashboard/customers', label: 'Customers' },
  { href: '/dashboard/disputes', label: 'Disputes' },
  { href: '/dashboard/balances', label: 'Balances' },
  { href: '/dashboard/webhooks', label: 'Webhooks' },
  { href: '/dashboard/risk', label: 'Risk' },
  { href: '/dashboard/developers', label: 'Developers' },
  { href: '/dashboard/settings', label: 'Settings' },
  { href: '/dashboard/audit', label: 'Audit' },
] as const;

/** The dashboard's sections; the current one is marked for screen readers and visually. */
export function NavLinks() {
  const pathname = usePathname();
  return (
    <>
      {LINKS.map((l) => {
        const current =
          l.href === '/dashboard' ? pathname === '/dashboard' : pathname === l.href || pathname.startsWith(`${l.href}/`);
        return (
          <Link
            key={l.href}
            href={l.href}
            aria-current={current ? 'page' : undefined}
            data-testid={`nav-${l.label.toLowerCase()}`}
          >
            {l.label}
          </Link>
        );
      })}
    </>
  );
}
