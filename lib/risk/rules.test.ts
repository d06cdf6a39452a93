import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assessRisk, blockMessage, DEFAULT_RISK_SETTINGS, type RiskFacts } from './rules';

const clean: RiskFacts = {
  amount: 1000,
  currency: 'usd',
  pspRiskLevel: 'normal',
  attemptsFromIp: 0,
  attemptsWithCard: 0,
  attemptsWithEmail: 0,
  blocklisted: { ip: false, cardFingerprint: false, email: false },
};

describe('assessRisk', () => {
  it('allows an ordinary attempt with no reasons', () => {
    expect(assessRisk(clean, DEFAULT_RISK_SETTINGS)).toEqual({ decision: 'allow', reasons: [] });
  });

  it('allows five attempts per IP per day and blocks the sixth (the seed’s rule)', () => {
    expect(assessRisk({ ...clean, attemptsFromIp: 4 }, DEFAULT_RISK_SETTINGS).decision).toBe('allow');
    expect(assessRisk({ ...clean, attemptsFromIp: 5 }, DEFAULT_RISK_SETTINGS)).toEqual({ decision: 'block', reasons: ['too_many_attempts_ip'] });
  });

  it('keeps a separate, higher ceiling on all attempts per IP (successful ones too)', () => {
    const platform = { maxTotalAttemptsPerIpPerDay: 100 };
    expect(assessRisk({ ...clean, attemptsFromIp: 0, totalAttemptsFromIp: 99 }, DEFAULT_RISK_SETTINGS, platform).decision).toBe('allow');
    expect(assessRisk({ ...clean, attemptsFromIp: 0, totalAttemptsFromIp: 100 }, DEFAULT_RISK_SETTINGS, platform)).toEqual({
      decision: 'block',
      reasons: ['too_many_total_attempts_ip'],
    });
    expect(assessRisk({ ...clean, attemptsFromIp: 5, totalAttemptsFromIp: 100 }, DEFAULT_RISK_SETTINGS, platform).reasons).toEqual([
      'too_many_attempts_ip',
      'too_many_total_attempts_ip',
    ]);
  });

  it('skips a velocity rule when the value is unknown', () => {
    expect(assessRisk({ ...clean, attemptsFromIp: null }, DEFAULT_RISK_SETTINGS).decision).toBe('allow');
  });

  it.each([
    [{ blocklisted: { ip: true, cardFingerprint: false, email: false } }, 'blocklisted_ip'],
    [{ blocklisted: { ip: false, cardFingerprint: true, email: false } }, 'blocklisted_card'],
    [{ blocklisted: { ip: false, cardFingerprint: false, email: true } }, 'blocklisted_email'],
    [{ pspRiskLevel: 'highest' as const }, 'highest_risk_card'],
    [{ attemptsWithCard: 20 }, 'too_many_attempts_card'],
    [{ attemptsWithEmail: 20 }, 'too_many_attempts_email'],
    [{ amount: 1_000_001 }, 'amount_over_ceiling'],
  ])('blocks %j with %s', (patch, reason) => {
    const result = assessRisk({ ...clean, ...patch }, DEFAULT_RISK_SETTINGS);
    expect(result.decision).toBe('block');
    expect(result.reasons[0]).toBe(reason);
  });

  it('flags elevated-risk cards and near-ceiling amounts for review without blocking', () => {
    expect(assessRisk({ ...clean, pspRiskLevel: 'elevated' }, DEFAULT_RISK_SETTINGS)).toEqual({ decision: 'review', reasons: ['elevated_risk_card'] });
    expect(assessRisk({ ...clean, amount: 800_000 }, DEFAULT_RISK_SETTINGS)).toEqual({ decision: 'review', reasons: ['high_amount'] });
  });

  it('has no ceiling for a currency without one', () => {
    expect(assessRisk({ ...clean, currency: 'xxx', amount: 10 ** 12 }, DEFAULT_RISK_SETTINGS).decision).toBe('allow');
  });

  it('is monotonic: more attempts never turn a block into an allow (property)', () => {
    fc.assert(
      fc.property(fc.nat(50), fc.nat(50), (a, extra) => {
        const before = assessRisk({ ...clean, attemptsFromIp: a }, DEFAULT_RISK_SETTINGS).decision;
        const after = assessRisk({ ...clean, attemptsFromIp: a + extra }, DEFAULT_RISK_SETTINGS).decision;
        return before !== 'block' || after === 'block';
      }),
    );
  });

  it('explains a block in words', () => {
    expect(blockMessage(['too_many_attempts_ip'])).toBe('This payment was blocked by risk checks: Too many payment attempts from this IP address today.');
  });
});
