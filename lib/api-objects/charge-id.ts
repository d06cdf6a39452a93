/**
 * Stripe's Charge (`ch_`) is a view over our payment attempt, not a second record: the charge id
 * is the attempt id with Stripe's prefix (pa_X <-> ch_X).
 */
export function chargeIdOf(attemptId: string): string {
  return `ch_${attemptId.replace(/^pa_/, '')}`;
}

/** The attempt a charge id names, or null for text that is not a charge id. */
export function attemptIdOf(chargeId: string): string | null {
  return /^ch_[0-9A-Za-z]{8,64}$/.test(chargeId) ? `pa_${chargeId.slice(3)}` : null;
}
