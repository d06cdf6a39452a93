import { AppError } from '@/lib/errors';

/**
 * Stripe's metadata update: the given keys are set, a key given as '' is removed, the others
 * stay. The result keeps Stripe's limit of 50 keys.
 */
export function mergeMetadata(current: Record<string, string>, update: Record<string, string>): Record<string, string> {
  const merged = { ...current };
  for (const [key, value] of Object.entries(update)) {
    if (value === '') delete merged[key];
    else merged[key] = value;
  }
  if (Object.keys(merged).length > 50) throw new AppError('parameter_invalid', 'Invalid metadata: metadata can have at most 50 keys.', { param: 'metadata' });
  return merged;
}
