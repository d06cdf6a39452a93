/**
 * Polls `probe` until it returns true (a probe that throws counts as "not yet", e.g. a server still
 * starting), or fails after `timeoutMs`. For processes the test does not drive itself; a harness
 * engine has its own waitFor that drains the engine between probes.
 */
export async function waitUntil(probe: () => boolean | Promise<boolean>, timeoutMs = 30_000, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await Promise.resolve()
    .then(probe)
    .catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
