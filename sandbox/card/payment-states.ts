import type { SandboxPaymentStatus } from '@/db/schema';

/** Every status change a sandbox payment may make. Terminal states have no way out. */
const ALLOWED_TRANSITIONS: Readonly<Record<SandboxPaymentStatus, readonly SandboxPaymentStatus[]>> = {
  requires_action: ['authorized', 'captured', 'declined', 'canceled'],
  authorized: ['captured', 'canceled'],
  captured: [],
  declined: [],
  canceled: [],
};

export function canTransition(from: SandboxPaymentStatus, to: SandboxPaymentStatus): boolean {
  return ALLOWED_TRANSITIONS[from].includes(to);
}
