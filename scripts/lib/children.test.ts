import { existsSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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

/** Waits until the child says (by creating `file`) that its handlers are installed: a fixed wait is too short on a busy machine. */
async function readyFile(file: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`child never became ready (${file})`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

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
    const ready = path.join(os.tmpdir(), `paykit-stubborn-${process.pid}-${Date.now()}`);
    const child = spawnChild(
      nodeChild('stubborn', `process.on('SIGTERM', () => {}); require('node:fs').writeFileSync(${JSON.stringify(ready)}, ''); setInterval(() => {}, 1000)`),
    );
    await readyFile(ready);
    rmSync(ready, { force: true });
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
