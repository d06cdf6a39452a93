import { describe, expect, it } from 'vitest';
import { AppError } from '@/lib/errors';
import { accountReference, darajaPassword, darajaTimestamp, normalizeMsisdn, toWholeShillings } from './format';
import { interpretResultCode } from './result-codes';

describe('Daraja formats', () => {
  it('Timestamp is YYYYMMDDHHmmss in Nairobi time (UTC+3), across midnight and the new year', () => {
    expect(darajaTimestamp(new Date('2026-11-26T09:05:07Z'))).toBe('20261126120507');
    expect(darajaTimestamp(new Date('2026-11-26T21:30:05Z'))).toBe('20261127003005');
    expect(darajaTimestamp(new Date('2026-12-31T22:00:00Z'))).toBe('20270101010000');
    expect(darajaTimestamp(new Date())).toMatch(/^\d{14}$/);
  });

  it('Password is base64(shortcode + passkey + timestamp), matching Daraja’s documented example', () => {
    const passkey = 'bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919';
    expect(darajaPassword('174379', passkey, '20160216165627')).toBe(
      'MTc0Mzc5YmZiMjc5ZjlhYTliZGJjZjE1OGU5N2RkNzFhNDY3Y2QyZTBjODkzMDU5YjEwZjc4ZTZiNzJhZGExZWQyYzkxOTIwMTYwMjE2MTY1NjI3',
    );
  });

  it.each([
    ['0712345678', '254712345678'],
    ['0712 345 678', '254712345678'],
    ['0712-345-678', '254712345678'],
    ['+254712345678', '254712345678'],
    ['+254 712 345 678', '254712345678'],
    ['254712345678', '254712345678'],
    ['0110123456', '254110123456'],
    ['+254110123456', '254110123456'],
    ['254110123456', '254110123456'],
    [' (0722) 000-111 ', '254722000111'],
  ])('normalizes %j to %s', (input, expected) => {
    expect(normalizeMsisdn(input)).toBe(expected);
  });

  it.each([
    '',
    'abc',
    '0812345678',
    '071234567',
    '07123456789',
    '+0712345678',
    '+255712345678',
    '712345678',
    '254812345678',
    '2547123456789',
    '+254 0712345678',
  ])('refuses %j with a clear 400 naming the phone', (input) => {
    try {
      normalizeMsisdn(input);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe('parameter_invalid');
      expect((err as AppError).param).toBe('phone');
      expect((err as AppError).message).toMatch(/not a Kenyan mobile number/);
    }
  });

  it('takes whole shillings only: cents are refused, not rounded', () => {
    expect(toWholeShillings(150_000, 'kes')).toBe(1500);
    expect(toWholeShillings(100, 'KES')).toBe(1);
    for (const bad of [150_050, 1, 99]) {
      expect(() => toWholeShillings(bad, 'kes')).toThrow(/whole shillings only/);
    }
    expect(() => toWholeShillings(0, 'kes')).toThrow(AppError);
    expect(() => toWholeShillings(1000, 'usd')).toThrow(/only accepts KES/);
  });

  it('AccountReference is at most 12 letters, digits and spaces', () => {
    expect(accountReference('Mama Mboga')).toBe('Mama Mboga');
    expect(accountReference('Kahawa & Co. Roasters Ltd')).toBe('Kahawa Co Ro');
    expect(accountReference('***')).toBe('paykit');
  });
});

describe('M-Pesa result codes', () => {
  it.each([
    [1, 'mpesa_insufficient_funds', /balance is too low/],
    [1032, 'mpesa_cancelled', /cancelled/],
    [1037, 'mpesa_phone_unreachable', /could not reach your phone/],
    [2001, 'mpesa_wrong_pin', /PIN entered was wrong/],
    [1019, 'mpesa_expired', /expired/],
    [17, 'mpesa_duplicate', /same amount to this number within 2 minutes/],
    [9999, 'mpesa_failed', /could not complete the payment \(Something odd\)/],
  ])('%i maps to %s with a clear message', (code, failureCode, message) => {
    const result = interpretResultCode(code, 'Something odd');
    expect(result).toMatchObject({ outcome: 'failed', resultCode: code, failureCode });
    if (result.outcome === 'failed') expect(result.message).toMatch(message);
  });

  it('0 is success', () => {
    expect(interpretResultCode(0)).toEqual({ outcome: 'succeeded', resultCode: 0 });
  });
});
