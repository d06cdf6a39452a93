import { describe, expect, it } from 'vitest';
import { centsFromDaraja, pullStamp } from './org-client';
import { darajaResultEventId, parseDarajaResult, refundFailureReason } from './results';

const result = (over: Record<string, unknown> = {}) =>
  JSON.stringify({
    Result: {
      ResultType: 0,
      ResultCode: 0,
      ResultDesc: 'The service request is processed successfully.',
      OriginatorConversationID: 'oc-1',
      ConversationID: 'AG_1',
      TransactionID: 'SAB1234567',
      ResultParameters: { ResultParameter: [{ Key: 'TransactionStatus', Value: 'Completed' }, { Key: 'Amount', Value: 500 }] },
      ...over,
    },
  });

describe('Daraja Results', () => {
  it('reads the ids, the code as text and the parameters (a single parameter may come unwrapped)', () => {
    const r = parseDarajaResult(result(), 'result');
    expect(r).toMatchObject({ queueTimeout: false, resultCode: '0', originatorConversationId: 'oc-1', conversationId: 'AG_1', transactionId: 'SAB1234567' });
    expect(r.parameters.get('TransactionStatus')).toBe('Completed');
    expect(r.parameters.get('Amount')).toBe('500');
    const single = parseDarajaResult(result({ ResultCode: 'R000001', ResultParameters: { ResultParameter: { Key: 'A', Value: 'b' } } }), 'result');
    expect(single.resultCode).toBe('R000001');
    expect(single.parameters.get('A')).toBe('b');
  });

  it('a queue timeout is ResultType 1 or anything at the QueueTimeOutURL', () => {
    expect(parseDarajaResult(result({ ResultType: 1 }), 'result').queueTimeout).toBe(true);
    expect(parseDarajaResult(result(), 'timeout').queueTimeout).toBe(true);
  });

  it('refuses what is not a Result, with a typed error', () => {
    expect(() => parseDarajaResult('{', 'result')).toThrow(expect.objectContaining({ code: 'body_invalid_json' }));
    expect(() => parseDarajaResult(JSON.stringify({ Body: {} }), 'result')).toThrow(expect.objectContaining({ code: 'parameter_invalid' }));
    expect(() => parseDarajaResult(result({ ConversationID: '' }), 'result')).toThrow(expect.objectContaining({ code: 'parameter_invalid' }));
  });

  it('the inbox event id differs per request, code and body, so only a byte-identical redelivery is the same row', () => {
    const a = parseDarajaResult(result(), 'result');
    expect(darajaResultEventId(a, 'h1')).toBe('result:AG_1:0:h1');
    expect(darajaResultEventId(parseDarajaResult(result(), 'timeout'), 'h1')).toBe('result:AG_1:timeout:h1');
  });

  it('explains a short business account and a refused initiator to the merchant', () => {
    expect(refundFailureReason('1', 'The balance is insufficient for the transaction.')).toMatch(/too little money/);
    expect(refundFailureReason('2001', '')).toMatch(/DARAJA_INITIATOR_NAME/);
    expect(refundFailureReason('99', 'Something')).toMatch(/Something/);
  });
});

describe('Daraja amounts and times', () => {
  it('reads shillings as integer cents, never as floats', () => {
    expect(centsFromDaraja('1,500.00')).toBe(150_000);
    expect(centsFromDaraja(1500)).toBe(150_000);
    expect(centsFromDaraja('0.1')).toBe(10);
    expect(centsFromDaraja('12.345')).toBeNull();
    expect(centsFromDaraja('-5')).toBeNull();
  });

  it('writes Pull Transactions times in Nairobi time', () => {
    expect(pullStamp(new Date('2026-12-01T21:30:05Z'))).toBe('2026-12-02 00:30:05');
  });
});
