import { describe, expect, it } from 'vitest';
import { exitCodeOf, runToCompletion, spawnChild, stopChild, type ChildSpec } from './children';

const nodeChild = (name: string, code: string): ChildSpec => ({
  name,
  command: process.execPath,
  args: ['-e', code],
  env: process.env,
  cwd: process.cwd(),
});

/** Gives node time to install its handlers, so the test signals a running script. */
const settle = () => new Promise((r) => setTimeout(r, 300));

describe('child processes', () => {
  it('runToCompletion returns the exit code', async () => {
    expect(await runToCompletion(nodeChild('ok', 'process.exit(0)'))).toBe(0);
    expect(await runToCompletion(nodeChild('fails', 'process.exit(3)'))).toBe(3);
  });

  it('stopChild ends a well-behaved child with SIGTERM', async () => {
    const child = spawnChild(nodeChild('sleeper', 'setInterval(() => {}, 1000)'));
    await settle();
    const exit = await stopChild(child, 5_000);
    expect(exit.signal).toBe('SIGTERM');
    expect(exitCodeOf(exit)).toBe(143);
  });

  it('stopChild escalates to SIGKILL when the child ignores SIGTERM', async () => {
    const child = spawnChild(nodeChild('stubborn', "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"));
    await settle();
    const started = Date.now();
    const exit = await stopChild(child, 500);
    expect(exit.signal).toBe('SIGKILL');
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
  });

  it('stopChild on an exited child returns its exit at once', async () => {
    const child = spawnChild(nodeChild('quick', 'process.exit(7)'));
    await child.exited;
    expect(exitCodeOf(await stopChild(child))).toBe(7);
  });

  it('reports a command that cannot be started as exit 127', async () => {
    const exit = await spawnChild({ ...nodeChild('missing', ''), command: '/nonexistent/binary' }).exited;
    expect(exitCodeOf(exit)).toBe(127);
  });
});
