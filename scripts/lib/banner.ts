import { redactDatabaseUrl } from './database';

export interface BannerInfo {
  appUrl: string;
  dev: boolean;
  email: string;
  password: string;
  secretKey: string;
  dataDir: string;
  database: { kind: 'embedded' | 'external'; url: string };
}

/** What a merchant needs after `npm start`: where to go and how to log in. */
export function formatBanner(info: BannerInfo): string {
  const db = `${info.database.kind === 'embedded' ? 'embedded Postgres' : 'external Postgres'} ${redactDatabaseUrl(info.database.url)}`;
  const rows: [string, string][] = [
    ['App', `${info.appUrl}${info.dev ? '  (development mode)' : ''}`],
    ['Storefront', `${info.appUrl}/store`],
    ['Dashboard', `${info.appUrl}/dashboard`],
    ['  email', info.email],
    ['  password', info.password],
    ['Test secret key', info.secretKey],
    ['Data dir', info.dataDir],
    ['Database', db],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  const lines = rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`);
  const rule = '='.repeat(72);
  return ['', rule, '  paykit is running', rule, ...lines, rule, '  Press Ctrl-C to stop.', ''].join('\n');
}
