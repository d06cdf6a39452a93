import { env, EnvError } from './index';

/** Validates the environment at server boot; prints every bad variable and exits on failure. */
export function validateEnvironmentOrExit(): void {
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
