import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { Inngest } from 'inngest';
import { isProcessEnvSnapshot, snapshotProcessEnv } from './process-env';

const real = process.env;

afterEach(() => {
  process.env = real;
  for (const key of Object.keys(real)) if (key.startsWith('PAYKIT_SNAPSHOT_TEST_')) delete real[key];
});

/** The same operations on an environment object, as Node's own process.env answers them. */
function exercise(env: Record<string, unknown>): unknown {
  env.PAYKIT_SNAPSHOT_TEST_NUMBER = 42;
  env.PAYKIT_SNAPSHOT_TEST_UNDEFINED = undefined;
  env.PAYKIT_SNAPSHOT_TEST_GONE = 'x';
  delete env.PAYKIT_SNAPSHOT_TEST_GONE;
  Object.assign(env, { PAYKIT_SNAPSHOT_TEST_ASSIGNED: true });
  Object.defineProperty(env, 'PAYKIT_SNAPSHOT_TEST_DEFINED', { value: 7, enumerable: true, configurable: true, writable: true });
  const ours = Object.entries(env).filter(([k]) => k.startsWith('PAYKIT_SNAPSHOT_TEST_'));
  return {
    entries: ours.sort(([a], [b]) => a.localeCompare(b)),
    types: ours.map(([, v]) => typeof v),
    gone: 'PAYKIT_SNAPSHOT_TEST_GONE' in env,
    missing: env.PAYKIT_SNAPSHOT_TEST_NEVER_SET,
  };
}

describe('snapshotProcessEnv', () => {
  it('answers reads and listings with what the real environment holds, and marks itself only invisibly', () => {
    real.PAYKIT_SNAPSHOT_TEST_BEFORE = 'before';
    const before = Object.entries(real);
    snapshotProcessEnv();
    expect(process.env).not.toBe(real);
    expect(isProcessEnvSnapshot()).toBe(true);
    expect(isProcessEnvSnapshot(real)).toBe(false);
    expect(Object.entries(process.env)).toEqual(before);
    expect(process.env.PAYKIT_SNAPSHOT_TEST_BEFORE).toBe('before');
    expect(Object.getOwnPropertySymbols({ ...process.env })).toEqual([]);
    expect(JSON.parse(JSON.stringify(process.env))).toEqual(Object.fromEntries(before));
  });

  it('treats writes, deletes and defines as Node does, and passes them on to the real environment', () => {
    // Node's own process.env, in a fresh process, is the reference
    const node = spawnSync(process.execPath, ['-e', `const f = ${exercise.toString()}; process.stdout.write(JSON.stringify(f(process.env)))`], {
      encoding: 'utf8',
    });
    expect(node.status, node.stderr).toBe(0);
    const expected = JSON.parse(node.stdout) as { entries: [string, string][] };
    expect(expected.entries.length).toBe(4); // the reference did what the exercise says

    snapshotProcessEnv();
    expect(JSON.parse(JSON.stringify(exercise(process.env)))).toEqual(expected);
    // the real environment (native code, TZ, OpenSSL) got the same writes and the delete
    for (const [key, value] of expected.entries) expect(real[key]).toBe(value);
    expect('PAYKIT_SNAPSHOT_TEST_GONE' in real).toBe(false);
  });

  it('is what child processes and the Inngest SDK see, writes after the snapshot included', () => {
    snapshotProcessEnv();
    process.env.PAYKIT_SNAPSHOT_TEST_CHILD = 'to the child';
    process.env.INNGEST_ENV = 'paykit-snapshot-test';
    process.env.INNGEST_EVENT_KEY = 'paykit-snapshot-test-key';
    try {
      const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(process.env.PAYKIT_SNAPSHOT_TEST_CHILD ?? "unset")'], {
        encoding: 'utf8',
      });
      expect(child.stdout).toBe('to the child');
      // the SDK reads the environment through its own listing of it
      const client = new Inngest({ id: 'paykit-snapshot-test' });
      expect(client.env).toBe('paykit-snapshot-test');
      expect(client.eventKey).toBe('paykit-snapshot-test-key');
    } finally {
      delete process.env.INNGEST_ENV;
      delete process.env.INNGEST_EVENT_KEY;
    }
    expect(real.INNGEST_ENV).toBeUndefined();
  });

  it('is idempotent: a second call keeps the first snapshot', () => {
    snapshotProcessEnv();
    const first = process.env;
    snapshotProcessEnv();
    expect(process.env).toBe(first);
  });
});
