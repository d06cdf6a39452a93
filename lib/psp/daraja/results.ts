import { z } from 'zod';
import { AppError } from '@/lib/errors';

/**
 * The `Result` Daraja POSTs to a ResultURL (Reversal, B2C, Transaction Status) or, with ResultType
 * 1, to a QueueTimeOutURL: its shape and what it names. Unsigned, so nothing in it is believed on
 * its own: it is matched to our request by both of its ids, and an outcome is applied only after
 * a Transaction Status query (whose ids only Daraja and we know) confirms it.
 */

const code = z.union([z.string().max(40), z.number()]).transform(String);
const parameter = z.object({ Key: z.string().max(100), Value: z.union([z.string().max(2000), z.number(), z.boolean()]).optional() });

export const darajaResultSchema = z.object({
  Result: z.object({
    ResultType: z.union([z.string(), z.number()]).transform(Number).optional(),
    ResultCode: code,
    ResultDesc: z.string().max(1000).default(''),
    OriginatorConversationID: z.string().min(1).max(100),
    ConversationID: z.string().min(1).max(100),
    TransactionID: z.string().max(100).optional(),
    ResultParameters: z
      .object({ ResultParameter: z.union([parameter, z.array(parameter).max(50)]) })
      .optional(),
  }),
});

export interface DarajaResult {
  /** true: the request timed out in Daraja's queue and was not processed (ResultType 1, QueueTimeOutURL). */
  queueTimeout: boolean;
  resultCode: string;
  resultDesc: string;
  originatorConversationId: string;
  conversationId: string;
  transactionId: string | null;
  parameters: Map<string, string>;
}

export function parseDarajaResult(rawBody: string, via: 'result' | 'timeout'): DarajaResult {
  let json: unknown;
  try {
    json = JSON.parse(rawBody);
  } catch {
    throw new AppError('body_invalid_json', 'The Result body is not valid JSON.');
  }
  const parsed = darajaResultSchema.safeParse(json);
  if (!parsed.success) throw new AppError('parameter_invalid', 'The body is not a Daraja Result (Result.ResultCode, ids).');
  const r = parsed.data.Result;
  const list = r.ResultParameters ? [r.ResultParameters.ResultParameter].flat() : [];
  return {
    queueTimeout: via === 'timeout' || r.ResultType === 1,
    resultCode: r.ResultCode,
    resultDesc: r.ResultDesc,
    originatorConversationId: r.OriginatorConversationID,
    conversationId: r.ConversationID,
    transactionId: r.TransactionID || null,
    parameters: new Map(list.map((p) => [p.Key, p.Value === undefined ? '' : String(p.Value)])),
  };
}

/** The inbox event id of a Result: the request it answers, its code and the exact body (a redelivery is one row). */
export function darajaResultEventId(result: DarajaResult, bodyHash: string): string {
  return `result:${result.conversationId}:${result.queueTimeout ? 'timeout' : result.resultCode}:${bodyHash}`;
}

/** Why a reversal or payout failed, for the merchant (the refund's failure_reason). */
export function refundFailureReason(resultCode: string | null, resultDesc: string | null): string {
  switch (resultCode) {
    case '1':
      return 'The business M-Pesa account (shortcode) has too little money for this refund. Top it up, then refund again.';
    case '2001':
      return 'M-Pesa refused the API initiator or its SecurityCredential. Check DARAJA_INITIATOR_NAME, DARAJA_INITIATOR_PASSWORD and the certificate.';
    case 'R000002':
      return 'M-Pesa does not know the receipt of this payment, so it cannot be reversed.';
    case '2':
      return `M-Pesa declined the refund by its limit rules${resultDesc ? ` (${resultDesc})` : ''}.`;
    default:
      return `M-Pesa could not complete the refund${resultDesc ? `: ${resultDesc}` : ''}.`;
  }
}
