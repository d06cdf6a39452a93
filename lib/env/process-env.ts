/**
 * `process.env` in Node is the C environment itself: every read is a getenv under a lock, and
 * every enumeration copies the whole environment first (libuv's uv_os_environ) and then reads each
 * variable again. The Inngest SDK enumerates it on every request it serves and every event it
 * sends (its getProcessEnv copies the variables it knows of, several times per call). Measured on
 * this machine: 52 us per listing with 35 variables and 90-140 us with the 67 that `npm run` leaves
 * (30 us through this snapshot); ~35 listings per payment in the app (none in the engine process);
 * in a profile of the app under load, the SDK's listing function fell from 5.1% to 1.9% of samples.
 *
 * `snapshotProcessEnv()` puts a plain-object copy of the environment in `process.env`'s place,
 * behind a Proxy that keeps Node's rules for writes (values become strings; `undefined` becomes
 * "undefined" as Node does) and passes every write and delete on to the real environment, so
 * native code (TZ, OpenSSL) and `process.env` keep agreeing about what this process sets. Reads and
 * enumerations then cost what a plain object costs. Child processes are unaffected: child_process
 * takes `process.env` as an object and copies it.
 *
 * Given up: a variable that native code changes in the C environment after the snapshot is not
 * seen (nothing in Node or our dependencies does that). Call it once, first thing in a
 * long-running server process (scripts/serve.ts, scripts/engine.ts); it is idempotent.
 */

const SNAPSHOT = Symbol.for('paykit.processEnvSnapshot');

type EnvRecord = Record<string, string | undefined>;

export function isProcessEnvSnapshot(value: unknown = process.env): boolean {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[SNAPSHOT] === true;
}

export function snapshotProcessEnv(): void {
  if (isProcessEnvSnapshot()) return;
  const real: EnvRecord = process.env;
  const copy: EnvRecord = { ...real };
  // the mark is not enumerable: no listing or spread of the environment shows or copies it
  Object.defineProperty(copy, SNAPSHOT, { value: true, enumerable: false });
  // no get trap: reads and listings go straight to the plain object
  const proxy = new Proxy(copy, {
    set(target, key, value) {
      if (typeof key === 'symbol') return Reflect.set(target, key, value);
      // Node's own process.env stores String(value) and refuses symbols as values (TypeError)
      const text = String(value as unknown);
      real[key] = text;
      target[key] = text;
      return true;
    },
    defineProperty(target, key, descriptor) {
      if (typeof key === 'symbol' || !('value' in descriptor)) return Reflect.defineProperty(target, key, descriptor);
      const text = String(descriptor.value as unknown);
      real[key] = text;
      return Reflect.defineProperty(target, key, { value: text, writable: true, enumerable: true, configurable: true });
    },
    deleteProperty(target, key) {
      if (typeof key === 'string') delete real[key];
      return Reflect.deleteProperty(target, key);
    },
  });
  process.env = proxy as NodeJS.ProcessEnv;
}
