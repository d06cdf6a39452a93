import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { readTextIfExists, writePrivateFile } from './data-files';

/** What a running `npm start` publishes so the admin CLI can reach its database. */
export const runtimeInfoSchema = z.object({
  databaseUrl: z.string().min(1),
  /** The owner's URL, for `npm run db:migrate` while paykit runs (the app's role may not migrate). */
  migrationDatabaseUrl: z.string().min(1).optional(),
  pid: z.number().int().positive(),
  port: z.number().int().positive(),
});
export type RuntimeInfo = z.infer<typeof runtimeInfoSchema>;

export function runtimeFilePath(dataDir: string): string {
  return path.join(dataDir, 'runtime.json');
}

export async function writeRuntimeFile(dataDir: string, info: RuntimeInfo): Promise<void> {
  // 0600: the database URL carries a password.
  await writePrivateFile(runtimeFilePath(dataDir), `${JSON.stringify(info, null, 2)}\n`);
}

/** The runtime file, or undefined when it is missing or unreadable. */
export async function readRuntimeFile(dataDir: string): Promise<RuntimeInfo | undefined> {
  const text = await readTextIfExists(runtimeFilePath(dataDir));
  if (text === undefined) return undefined;
  try {
    const parsed = runtimeInfoSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export async function removeRuntimeFile(dataDir: string): Promise<void> {
  await fs.rm(runtimeFilePath(dataDir), { force: true });
}

/** True when a process with this pid exists (signal 0 checks without sending anything). */
export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The runtime info of a paykit that is still running on this data dir, if any. */
export async function findLiveRuntime(dataDir: string): Promise<RuntimeInfo | undefined> {
  const info = await readRuntimeFile(dataDir);
  return info && isPidAlive(info.pid) ? info : undefined;
}
