import { z } from 'zod';
import { AppError } from '@/lib/errors';

/** Parses input with a zod schema, turning the first issue into a typed 400 AppError. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw zodIssueToAppError(result.error.issues[0]);
}

function zodIssueToAppError(issue: z.core.$ZodIssue | undefined): AppError {
  if (!issue) return new AppError('parameter_invalid', 'Invalid request.');
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    const param = [...path, key].join('.');
    return new AppError('parameter_unknown', `Received unknown parameter: ${param}`, { param });
  }
  const param = path.join('.') || undefined;
  if (issue.code === 'invalid_type' && /received undefined/i.test(issue.message)) {
    return new AppError('parameter_missing', `Missing required parameter: ${param}.`, { param });
  }
  return new AppError('parameter_invalid', param ? `Invalid ${param}: ${issue.message}` : issue.message, { param });
}

/** Merchant-supplied key/value pairs, Stripe's limits. */
export const metadataSchema = z
  .record(z.string().min(1).max(40), z.string().max(500))
  .refine((m) => Object.keys(m).length <= 50, 'metadata can have at most 50 keys');

export const listQuerySchema = {
  limit: z.coerce.number().int().min(1).max(100).default(10),
  starting_after: z.string().min(1).max(100).optional(),
};
