import { spawn, type ChildProcess } from 'node:child_process';
import type { EnvVars } from './env-vars';

/** A process `npm start` runs and supervises. */
export interface ChildSpec {
  /** Short label for messages, e.g. "next". */
  name: string;
  command: string;
  args: string[];
  env: EnvVars;
  cwd: string;
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunningChild {
  spec: ChildSpec;
  process: ChildProcess;
  exited: Promise<ChildExit>;
}

/**
 * Spawns a child in our process group (not detached), so that when a supervisor kills the whole
 * group (Playwright's webServer, a container runtime) no child survives us. A terminal Ctrl-C
 * therefore reaches children directly too; start.ts allows for that.
 */
export function spawnChild(spec: ChildSpec): RunningChild {
  const child = spawn(spec.command, spec.args, {
    cwd: spec.cwd,
    env: spec.env as NodeJS.ProcessEnv,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<ChildExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (err) => {
      console.error(`[paykit] could not start ${spec.name}: ${err.message}`);
      resolve({ code: 127, signal: null });
    });
  });
  return { spec, process: child, exited };
}

function sendSignal(child: ChildProcess, name: NodeJS.Signals): void {
  try {
    child.kill(name);
  } catch {
    // already gone
  }
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** SIGTERM, then SIGKILL when the child has not exited after `graceMs`. */
export async function stopChild(child: RunningChild, graceMs = 5_000): Promise<ChildExit> {
  if (hasExited(child.process)) return child.exited;
  sendSignal(child.process, 'SIGTERM');
  const timer = setTimeout(() => {
    console.error(`[paykit] ${child.spec.name} did not stop within ${graceMs} ms; killing it.`);
    sendSignal(child.process, 'SIGKILL');
  }, graceMs);
  const result = await child.exited;
  clearTimeout(timer);
  return result;
}

export async function stopChildren(children: readonly RunningChild[], graceMs = 5_000): Promise<void> {
  await Promise.all(children.map((c) => stopChild(c, graceMs)));
}

/** The shell-style exit code for a child's exit (128 + signal number when killed). */
export function exitCodeOf(exit: ChildExit): number {
  if (exit.code !== null) return exit.code;
  if (exit.signal === 'SIGTERM') return 143;
  if (exit.signal === 'SIGINT') return 130;
  if (exit.signal === 'SIGKILL') return 137;
  return 1;
}

/** Runs a command to completion (e.g. `next build`) and resolves with its exit code. */
export async function runToCompletion(spec: ChildSpec): Promise<number> {
  const child = spawnChild(spec);
  // While it runs, a Ctrl-C must also stop it; the caller's signal handler uses this.
  activeOneShots.add(child);
  try {
    return exitCodeOf(await child.exited);
  } finally {
    activeOneShots.delete(child);
  }
}

const activeOneShots = new Set<RunningChild>();

/** One-shot commands still running (a build), so shutdown can stop them too. */
export function runningOneShots(): RunningChild[] {
  return [...activeOneShots];
}
