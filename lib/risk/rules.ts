/**
 * The risk rules as a pure function: given the facts about an attempt and the merchant's
 * settings, decide allow / review / block and say why. Kept free of I/O so it is easy to test.
 */

export type RiskDecision = 'allow' | 'review' | 'block';

export interface RiskSettings {
  /** Failed and blocked attempts (retries) per customer IP per day; successful payments do not count. */
  maxAttemptsPerIpPerDay: number;
  maxAttemptsPerCardPerDay: number;
  maxAttemptsPerEmailPerDay: number;
  /** Largest amount (minor units) per currency; a currency without one has no ceiling. */
  amountCeilings: Record<string, number>;
  reviewThresholdPercent: number;
}

export const DEFAULT_RISK_SETTINGS: RiskSettings = {
  // The seed's number: five retries per IP address per day. Only attempts that did not succeed
  // count, so a shop whose customers share one office or carrier IP is not capped at five sales.
  maxAttemptsPerIpPerDay: 5,
  maxAttemptsPerCardPerDay: 20,
  maxAttemptsPerEmailPerDay: 20,
  amountCeilings: { usd: 1_000_000, eur: 1_000_000, gbp: 1_000_000, kes: 15_000_000, jpy: 1_500_000 },
  reviewThresholdPercent: 80,
};

export interface RiskFacts {
  amount: number;
  currency: string;
  pspRiskLevel: 'normal' | 'elevated' | 'highest' | null;
  /**
   * Attempts from the IP in the last 24 hours (not counting this one) that have not succeeded:
   * failed, blocked, canceled, or still in flight; null when unknown.
   */
  attemptsFromIp: number | null;
  /** Every attempt from the IP in the last 24 hours, successful ones too (the ceiling). */
  totalAttemptsFromIp?: number | null;
  attemptsWithCard: number | null;
  attemptsWithEmail: number | null;
  blocklisted: { ip: boolean; cardFingerprint: boolean; email: boolean };
  /** Mobile money only: attempts with this phone number in the last 24 hours (not counting this one). */
  attemptsWithPhone?: number | null;
  /** Mobile money only: a live or successful attempt of the same amount to the same phone in the last 2 minutes. */
  sameAmountToPhoneRecently?: boolean;
}

/** Platform-wide limits (lib/env), the same for every merchant. */
export interface PlatformRiskLimits {
  /** Ceiling on all attempts, successful ones too, per customer IP per day (RISK_MAX_TOTAL_ATTEMPTS_PER_IP_PER_DAY). */
  maxTotalAttemptsPerIpPerDay: number;
}

export const DEFAULT_PLATFORM_RISK_LIMITS: PlatformRiskLimits = { maxTotalAttemptsPerIpPerDay: 100 };

/** Mobile-money rules (M-Pesa): the same limits for every merchant. */
export const MOBILE_MONEY_RISK_LIMITS = {
  maxAttemptsPerPhonePerDay: 5,
  /** M-Pesa itself refuses (ResultCode 17) the same amount to the same phone within 2 minutes. */
  sameAmountWindowMs: 2 * 60_000,
} as const;

export interface RiskAssessment {
  decision: RiskDecision;
  /** Machine-readable reason codes, most serious first. */
  reasons: string[];
}

export const RISK_REASON_MESSAGES: Record<string, string> = {
  blocklisted_card: 'This card is on the merchant’s blocklist.',
  blocklisted_email: 'This email address is on the merchant’s blocklist.',
  blocklisted_ip: 'This IP address is on the merchant’s blocklist.',
  highest_risk_card: 'The card network rates this card as highest risk.',
  too_many_attempts_ip: 'Too many payment attempts from this IP address today.',
  too_many_total_attempts_ip: 'Too many payments from this IP address today.',
  too_many_attempts_card: 'Too many payment attempts with this card today.',
  too_many_attempts_email: 'Too many payment attempts with this email address today.',
  amount_over_ceiling: 'The amount is above the limit allowed for this merchant.',
  elevated_risk_card: 'The card network rates this card as elevated risk.',
  high_amount: 'The amount is close to the merchant’s limit.',
  too_many_attempts_phone: 'Too many payment attempts with this phone number today.',
  duplicate_amount_to_phone: 'The same amount was just requested from this phone number; wait 2 minutes before trying again.',
};

export function assessRisk(facts: RiskFacts, settings: RiskSettings, platform: PlatformRiskLimits = DEFAULT_PLATFORM_RISK_LIMITS): RiskAssessment {
  const block: string[] = [];
  const review: string[] = [];
  if (facts.blocklisted.cardFingerprint) block.push('blocklisted_card');
  if (facts.blocklisted.email) block.push('blocklisted_email');
  if (facts.blocklisted.ip) block.push('blocklisted_ip');
  if (facts.pspRiskLevel === 'highest') block.push('highest_risk_card');
  if (facts.pspRiskLevel === 'elevated') review.push('elevated_risk_card');
  if (facts.attemptsFromIp !== null && facts.attemptsFromIp >= settings.maxAttemptsPerIpPerDay) block.push('too_many_attempts_ip');
  if (facts.totalAttemptsFromIp != null && facts.totalAttemptsFromIp >= platform.maxTotalAttemptsPerIpPerDay) block.push('too_many_total_attempts_ip');
  if (facts.attemptsWithCard !== null && facts.attemptsWithCard >= settings.maxAttemptsPerCardPerDay) block.push('too_many_attempts_card');
  if (facts.attemptsWithEmail !== null && facts.attemptsWithEmail >= settings.maxAttemptsPerEmailPerDay) block.push('too_many_attempts_email');
  if (facts.attemptsWithPhone != null && facts.attemptsWithPhone >= MOBILE_MONEY_RISK_LIMITS.maxAttemptsPerPhonePerDay) block.push('too_many_attempts_phone');
  if (facts.sameAmountToPhoneRecently) block.push('duplicate_amount_to_phone');
  const ceiling = settings.amountCeilings[facts.currency];
  if (ceiling !== undefined) {
    if (facts.amount > ceiling) block.push('amount_over_ceiling');
    else if (facts.amount * 100 >= ceiling * settings.reviewThresholdPercent) review.push('high_amount');
  }
  if (block.length > 0) return { decision: 'block', reasons: [...block, ...review] };
  if (review.length > 0) return { decision: 'review', reasons: review };
  return { decision: 'allow', reasons: [] };
}

/** The customer-facing sentence for a blocked attempt. */
export function blockMessage(reasons: readonly string[]): string {
  const first = reasons[0];
  const detail = (first && RISK_REASON_MESSAGES[first]) ?? 'It looks risky.';
  return `This payment was blocked by risk checks: ${detail}`;
}
