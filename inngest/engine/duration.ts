const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/**
 * Milliseconds of an Inngest time string ("1s", "2h30m", "1.5m", "300ms"), as the SDK's
 * timeStr produces for step.sleep / waitForEvent timeouts. Throws on anything else.
 */
export function parseDurationMs(input: string): number {
  const parts = input.trim().match(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g);
  if (!parts || parts.join('') !== input.trim()) throw new Error(`Unsupported duration "${input}"`);
  return parts.reduce((total, part) => {
    const [, amount, unit] = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/.exec(part)!;
    return total + Number(amount) * UNIT_MS[unit!]!;
  }, 0);
}

/**
 * When a Sleep op ends: the SDK names the op with a time string (step.sleep) or an ISO date
 * (step.sleepUntil).
 */
export function sleepEndsAt(name: string, from: Date): Date {
  if (/^\d{4}-\d{2}-\d{2}T/.test(name)) {
    const until = new Date(name);
    if (Number.isNaN(until.getTime())) throw new Error(`Invalid sleepUntil date "${name}"`);
    return until;
  }
  return new Date(from.getTime() + parseDurationMs(name));
}
