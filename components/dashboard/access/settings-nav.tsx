import Link from 'next/link';
import styles from './access.module.css';

const LINKS = [
  ['/dashboard/settings', 'Profile and routing'],
  ['/dashboard/settings/team', 'Team'],
] as const;

export function SettingsNav({ current }: { current: (typeof LINKS)[number][0] }) {
  return (
    <nav aria-label="Settings" className={styles.subnav}>
      {LINKS.map(([href, label]) => (
        <Link key={href} href={href} aria-current={href === current ? 'page' : undefined}>
          {label}
        </Link>
      ))}
    </nav>
  );
}
