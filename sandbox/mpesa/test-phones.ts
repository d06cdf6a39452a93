/**
 * Test MSISDNs with fixed outcomes: the sandbox answers for these phones by itself shortly after
 * the STK push. Any other number waits for someone to answer on the simulated phone at
 * /sandbox/phone/<msisdn> (PIN 1234 pays; any other PIN is 2001; no answer in time is 1037).
 */
export const CORRECT_PIN = '1234';

export const TEST_PHONES: Readonly<Record<string, { resultCode: number; label: string }>> = {
  '254700000000': { resultCode: 0, label: 'pays at once' },
  '254700000001': { resultCode: 1, label: 'insufficient funds (1)' },
  '254700001032': { resultCode: 1032, label: 'customer cancels (1032)' },
  '254700001037': { resultCode: 1037, label: 'phone unreachable (1037)' },
  '254700002001': { resultCode: 2001, label: 'wrong PIN (2001)' },
  '254700001019': { resultCode: 1019, label: 'request expired (1019)' },
};

/** Daraja's ResultDesc for each result code the sandbox produces. */
export const RESULT_DESCRIPTIONS: Readonly<Record<number, string>> = {
  0: 'The service request is processed successfully.',
  1: 'The balance is insufficient for the transaction.',
  17: 'Rule limited.',
  1019: 'Transaction has expired',
  1032: 'Request cancelled by user',
  1037: 'DS timeout user cannot be reached',
  2001: 'The initiator information is invalid.',
};

export function resultDescription(code: number): string {
  return RESULT_DESCRIPTIONS[code] ?? 'The transaction failed.';
}

const FIRST_NAMES = ['John', 'Wanjiku', 'Otieno', 'Akinyi', 'Kamau', 'Chebet', 'Mwangi', 'Njeri', 'Kiprop', 'Atieno'];

/** The registered name M-Pesa shows for a number: fixed per number, so callbacks and statements agree. */
export function customerNameFor(msisdn: string): string {
  const digit = Number(msisdn.slice(-1)) || 0;
  return `${FIRST_NAMES[digit]} Sandbox`;
}
