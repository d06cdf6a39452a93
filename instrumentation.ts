/**
 * Runs once when the Next server starts: validate the environment so a bad or missing variable
 * stops the server at boot with a message that names it, instead of failing on first use.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  const { env, EnvError } = await import('./lib/env');
  try {
    env();
  } catch (err) {
    if (err instanceof EnvError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  if (!process.env.DATABASE_URL) {
    console.error('Invalid environment:\n  - DATABASE_URL: required by the server (npm start sets it for the embedded Postgres)');
    process.exit(1);
  }
}
