/**
 * An environment as a plain map. NodeJS.ProcessEnv is not used for values we build ourselves
 * because Next's types make its NODE_ENV required.
 */
export type EnvVars = Record<string, string | undefined>;
