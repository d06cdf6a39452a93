import { z } from 'zod';

/**
 * Daraja's organisation APIs as paykit calls them: B2C v3 (BusinessPayment), Reversal and
 * Transaction Status (asynchronous: a synchronous acknowledgement, then one Result POSTed to the
 * ResultURL, or a timeout to the QueueTimeOutURL), C2B URL registration and Pull Transactions
 * (synchronous). Request and answer shapes follow Safaricom's documentation; the transport
 * (OAuth, errors) is the client's.
 */

/** The org portal's API initiator, its password already encrypted with Safaricom's certificate. */
export interface Initiator {
  name: string;
  securityCredential: string;
}

export interface ResultUrls {
  resultUrl: string;
  queueTimeoutUrl: string;
}

export interface B2cPaymentRequest extends ResultUrls {
  initiator: Initiator;
  /** Ours, unique per payout: Daraja pays a repeated one once (and answers its first acknowledgement). */
  originatorConversationId: string;
  /** Whole shillings. */
  amount: number;
  phone: string;
  remarks: string;
  occasion: string;
}

export interface ReversalRequest extends ResultUrls {
  initiator: Initiator;
  /** The M-Pesa receipt to reverse (whole: M-Pesa reverses the full amount only). */
  transactionId: string;
  /** Whole shillings: the original amount. */
  amount: number;
  remarks: string;
  occasion: string;
}

export interface TransactionStatusRequest extends ResultUrls {
  initiator: Initiator;
  /** The receipt, or the OriginatorConversationID of the B2C / reversal to look up. */
  transactionId?: string;
  originalConversationId?: string;
  remarks: string;
  occasion: string;
}

export interface OrgAcknowledgement {
  originatorConversationId: string;
  conversationId: string;
}

export interface C2bRegistration {
  version: 'v1' | 'v2';
  responseType: 'Completed' | 'Cancelled';
  confirmationUrl: string;
  validationUrl: string;
}

export interface PullTransaction {
  transactionId: string;
  trxDate: string;
  msisdn: string;
  sender: string;
  transactionType: string;
  billReference: string;
  /** Minor units (cents). */
  amountMinor: number;
  organizationName: string;
  /** A reversal's: the receipt it reversed (when the listing names it). */
  originalTransactionId?: string;
}

export type OrgPost = (what: string, path: string, payload: unknown) => Promise<unknown>;

const ackAnswer = z.object({
  OriginatorConversationID: z.string().min(1),
  ConversationID: z.string().min(1),
  ResponseCode: z.union([z.string(), z.number()]).transform(String),
  ResponseDescription: z.string().optional(),
});

const pullAnswer = z.object({
  ResponseCode: z.union([z.string(), z.number()]).transform(String),
  Response: z
    .array(
      z.array(
        z.object({
          transactionId: z.string(),
          trxDate: z.string(),
          msisdn: z.union([z.string(), z.number()]).transform(String),
          sender: z.string().optional().default(''),
          transactiontype: z.string().optional().default(''),
          billreference: z.string().optional().default(''),
          amount: z.union([z.string(), z.number()]).transform(String),
          organizationname: z.string().optional().default(''),
          originalTransactionId: z.string().optional(),
        }),
      ),
    )
    .optional()
    .default([]),
});

/** "1,500.00" / "1500" / 1500 shillings as integer cents; null when it is not an amount. */
export function centsFromDaraja(value: string | number): number | null {
  const text = String(value).replace(/,/g, '').trim();
  if (!/^\d+(\.\d{1,2})?$/.test(text)) return null;
  const [whole, fraction = ''] = text.split('.');
  return Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
}

/** Nairobi wall-clock time as "YYYY-MM-DD HH:mm:ss", the format Pull Transactions takes. */
export function pullStamp(at: Date): string {
  return new Date(at.getTime() + 3 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
}

export function createOrgApis(post: OrgPost, shortcode: string, bad: (what: string) => Error) {
  async function acknowledged(what: string, path: string, payload: unknown): Promise<OrgAcknowledgement> {
    const parsed = ackAnswer.safeParse(await post(what, path, payload));
    if (!parsed.success || parsed.data.ResponseCode !== '0') throw bad(what);
    return { originatorConversationId: parsed.data.OriginatorConversationID, conversationId: parsed.data.ConversationID };
  }

  return {
    // Idempotent at Daraja: a repeated OriginatorConversationID with the same body is paid once.
    b2cPayment: (r: B2cPaymentRequest) =>
      acknowledged('B2C payment', '/mpesa/b2c/v3/paymentrequest', {
        OriginatorConversationID: r.originatorConversationId,
        InitiatorName: r.initiator.name,
        SecurityCredential: r.initiator.securityCredential,
        CommandID: 'BusinessPayment',
        Amount: r.amount,
        PartyA: shortcode,
        PartyB: r.phone,
        Remarks: r.remarks,
        QueueTimeOutURL: r.queueTimeoutUrl,
        ResultURL: r.resultUrl,
        Occassion: r.occasion,
      }),

    // NOT idempotent by key: a second request for the same receipt is refused with R000001.
    reversal: (r: ReversalRequest) =>
      acknowledged('reversal', '/mpesa/reversal/v1/request', {
        Initiator: r.initiator.name,
        SecurityCredential: r.initiator.securityCredential,
        CommandID: 'TransactionReversal',
        TransactionID: r.transactionId,
        Amount: r.amount,
        ReceiverParty: shortcode,
        RecieverIdentifierType: '11',
        ResultURL: r.resultUrl,
        QueueTimeOutURL: r.queueTimeoutUrl,
        Remarks: r.remarks,
        Occasion: r.occasion,
      }),

    // A read: safe to repeat.
    transactionStatus: (r: TransactionStatusRequest) =>
      acknowledged('transaction status', '/mpesa/transactionstatus/v1/query', {
        Initiator: r.initiator.name,
        SecurityCredential: r.initiator.securityCredential,
        CommandID: 'TransactionStatusQuery',
        ...(r.transactionId ? { TransactionID: r.transactionId } : {}),
        ...(r.originalConversationId ? { OriginalConversationID: r.originalConversationId } : {}),
        PartyA: shortcode,
        IdentifierType: '4',
        ResultURL: r.resultUrl,
        QueueTimeOutURL: r.queueTimeoutUrl,
        Remarks: r.remarks,
        Occasion: r.occasion,
      }),

    // Re-registering replaces the URLs: safe to repeat.
    async registerC2bUrls(r: C2bRegistration): Promise<void> {
      const answer = z.object({ ResponseCode: z.union([z.string(), z.number()]).transform(String) }).safeParse(
        await post('C2B register URL', `/mpesa/c2b/${r.version}/registerurl`, {
          ShortCode: shortcode,
          ResponseType: r.responseType,
          ConfirmationURL: r.confirmationUrl,
          ValidationURL: r.validationUrl,
        }),
      );
      if (!answer.success || answer.data.ResponseCode !== '0') throw bad('C2B register URL');
    },

    async registerPull(nominatedNumber: string, callbackUrl: string): Promise<void> {
      await post('Pull Transactions register', '/pulltransactions/v1/register', {
        ShortCode: shortcode,
        RequestType: 'Pull',
        NominatedNumber: nominatedNumber,
        CallBackURL: callbackUrl,
      });
    },

    /** One page (up to 100) of the shortcode's movements in [from, to] (Nairobi time, the last 48 hours). */
    async pullTransactions(from: Date, to: Date, offset: number): Promise<PullTransaction[]> {
      const parsed = pullAnswer.safeParse(
        await post('Pull Transactions query', '/pulltransactions/v1/query', {
          ShortCode: shortcode,
          StartDate: pullStamp(from),
          EndDate: pullStamp(to),
          OffSetValue: String(offset),
        }),
      );
      if (!parsed.success) throw bad('Pull Transactions query');
      return parsed.data.Response.flat().flatMap((t) => {
        const amountMinor = centsFromDaraja(t.amount);
        if (amountMinor === null) return [];
        return [
          {
            transactionId: t.transactionId,
            trxDate: t.trxDate,
            msisdn: t.msisdn,
            sender: t.sender,
            transactionType: t.transactiontype,
            billReference: t.billreference,
            amountMinor,
            organizationName: t.organizationname,
            ...(t.originalTransactionId ? { originalTransactionId: t.originalTransactionId } : {}),
          },
        ];
      });
    },
  };
}

export type DarajaOrgApis = ReturnType<typeof createOrgApis>;
