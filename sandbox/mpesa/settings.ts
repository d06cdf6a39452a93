import { z } from 'zod';
import { parseEnvWith } from '@/lib/env';

const ms = z.coerce.number().int().min(0).max(3_600_000);

/**
 * The offline Daraja's own knobs (timings of the simulated phone and of Results). Read on every
 * use, not cached: tests switch them between cases, as an operator of the sandbox would. A bad
 * value fails naming the variable instead of silently falling back.
 */
const sandboxSettingsSchema = z.object({
  /** How long the STK prompt waits on the phone before Daraja gives up (1037); unset: DARAJA_STK_PROMPT_LIFETIME_MS, what paykit expects. */
  MPESA_SANDBOX_PROMPT_TIMEOUT_MS: ms.min(1).optional(),
  /** How long a test number takes to answer the prompt. */
  MPESA_SANDBOX_AUTO_ANSWER_MS: ms.min(1).default(1_500),
  /** How long C2B waits for the merchant's ValidationURL before following the registered ResponseType. */
  MPESA_SANDBOX_VALIDATION_TIMEOUT_MS: ms.min(1).default(8_000),
  /** Lifetime of an OAuth access token (Daraja: 3599 s). */
  MPESA_SANDBOX_TOKEN_TTL_S: z.coerce.number().int().min(1).max(86_400).default(3599),
  /** How long the out-of-order fault holds a Result back. */
  MPESA_SANDBOX_REORDER_HOLD_MS: ms.min(1).default(2_000),
  /** How long an org API request takes before its Result is sent. */
  MPESA_SANDBOX_RESULT_DELAY_MS: ms.default(300),
});

export type SandboxSettings = z.output<typeof sandboxSettingsSchema>;

export function sandboxSettings(): SandboxSettings {
  return parseEnvWith(sandboxSettingsSchema, process.env);
}
