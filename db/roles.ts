import postgres from 'postgres';

/**
 * The role the app connects as: it reads and writes rows only. Migration 0014_app_role creates it
 * (NOLOGIN) and grants it its privileges; the owner of the tables (the migration role) keeps DDL,
 * trigger control and the journal's UPDATE/DELETE. An operator's own login role gets the same rights
 * with `GRANT paykit_app TO <login role>`.
 */
export const APP_ROLE = 'paykit_app';

function adminConnection(ownerUrl: string): postgres.Sql {
  return postgres(ownerUrl, { max: 1, onnotice: () => undefined, connection: { application_name: 'paykit-migrate' } });
}

/**
 * Lets the app role log in with `password` (set again on every start, so the data dir's file is the
 * truth) and returns the app's URL: the owner's URL with the app role's credentials. Run as the
 * owner, after the migrations made the role.
 */
export async function enableAppRoleLogin(ownerUrl: string, password: string): Promise<string> {
  if (!/^[A-Za-z0-9_-]{24,}$/.test(password)) throw new Error('the app role password must be 24+ URL-safe characters');
  const sql = adminConnection(ownerUrl);
  try {
    // ALTER ROLE takes no bind parameters; the password is URL-safe characters only (checked above).
    await sql.unsafe(`alter role ${APP_ROLE} with login password '${password}'`);
  } finally {
    await sql.end({ timeout: 5 });
  }
  const url = new URL(ownerUrl);
  url.username = APP_ROLE;
  url.password = password;
  return url.toString();
}

/** Whether the URL's role is a superuser (or may bypass row security, which is as strong for us). */
export async function connectsAsSuperuser(url: string): Promise<boolean> {
  const sql = adminConnection(url);
  try {
    const [row] = await sql<{ powerful: boolean }[]>`
      select rolsuper or rolbypassrls as powerful from pg_roles where rolname = current_user`;
    return row?.powerful ?? false;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/**
 * Why the URL's role has more than row rights, or null: a superuser, or the owner of the ledger's
 * tables (an owner may ALTER TABLE ... DISABLE TRIGGER); membership in the owning role counts too.
 */
export async function excessRightsOf(url: string): Promise<string | null> {
  const sql = adminConnection(url);
  try {
    const [row] = await sql<{ superuser: boolean; owner: boolean }[]>`
      select (select rolsuper or rolbypassrls from pg_roles where rolname = current_user) as superuser,
             coalesce((select pg_has_role(current_user, c.relowner, 'USAGE') from pg_class c
                        where c.oid = to_regclass('public.journal_entries')), false) as owner`;
    if (row?.superuser) return 'a superuser';
    if (row?.owner) return 'the owner of the ledger tables';
    return null;
  } finally {
    await sql.end({ timeout: 5 });
  }
}
