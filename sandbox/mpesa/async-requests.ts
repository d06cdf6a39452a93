import { createHash } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import type { Tx } from '@/db/client';
import { getDb } from '@/db/client';
import {
  sandboxMpesaRequests,
  type SandboxMpesaRequest,
  type SandboxMpesaRequestApi,
  type SandboxMpesaShortcode,
} from '@/db/schema';
import { emitNotification } from './callbacks';
import { takeQueueTimeout } from './faults';
import { checkInitiator } from './shortcodes';
import { conversationId, originatorConversationId, type DarajaResult, type ResultParameter } from './wire';
import { sandboxSettings } from './settings';

/**
 * The common life of Daraja's asynchronous "organisation" APIs (B2C, reversal, Transaction
 * Status, Account Balance): a synchronous acknowledgement, then one Result POSTed to ResultURL.
 * The request is processed (and its money moved) in the transaction that records it, so the
 * Result is fixed before it is sent: a lost or duplicated Result never changes the outcome, and
 * Transaction Status reports it. A queue timeout records the request as never processed and
 * calls QueueTimeOutURL instead.
 */

export const resultDelayMs = () => sandboxSettings().MPESA_SANDBOX_RESULT_DELAY_MS;

export interface Outcome {
  resultCode: number | string;
  resultDesc: string;
  transactionId: string;
  amountCents?: bigint;
  parameters?: ResultParameter[];
}

export interface AsyncRequest {
  api: SandboxMpesaRequestApi;
  shortcode: SandboxMpesaShortcode;
  /** B2C v3 sends its own; the v1 APIs get one from the sandbox. */
  originatorConversationId?: string;
  /** The request's fields that define it, for the duplicate-OriginatorConversationID check. */
  canonical: unknown;
  initiator: string;
  securityCredential: string;
  resultUrl: string;
  queueTimeoutUrl: string;
  /** Echoed in ReferenceData, as Daraja does. */
  occasion?: string;
  /** Runs inside the request's transaction once the initiator is verified. */
  process: (tx: Tx, ids: { conversationId: string; originatorConversationId: string }) => Promise<Outcome>;
}

export interface Acknowledgement {
  OriginatorConversationID: string;
  ConversationID: string;
  ResponseCode: '0';
  ResponseDescription: string;
}

export class DuplicateOriginatorId extends Error {}

const ACCEPTED = 'Accept the service request successfully.';

function ack(row: SandboxMpesaRequest): Acknowledgement {
  return {
    OriginatorConversationID: row.originatorConversationId,
    ConversationID: row.conversationId,
    ResponseCode: '0',
    ResponseDescription: ACCEPTED,
  };
}

/** Result parameters are only present on success; a failed Result carries a placeholder TransactionID. */
function resultBody(
  ids: { conversationId: string; originatorConversationId: string },
  outcome: Outcome,
  referenceItems: ResultParameter[],
): DarajaResult {
  return {
    Result: {
      ResultType: 0,
      ResultCode: outcome.resultCode,
      ResultDesc: outcome.resultDesc,
      OriginatorConversationID: ids.originatorConversationId,
      ConversationID: ids.conversationId,
      TransactionID: outcome.transactionId,
      ...(outcome.parameters && outcome.resultCode === 0 ? { ResultParameters: { ResultParameter: outcome.parameters } } : {}),
      ReferenceData: { ReferenceItem: referenceItems.length === 1 ? referenceItems[0]! : referenceItems },
    },
  };
}

function timeoutBody(ids: { conversationId: string; originatorConversationId: string }): DarajaResult {
  // Daraja does not document the QueueTimeOutURL body; this one has the Result shape, ResultType 1.
  return {
    Result: {
      ResultType: 1,
      ResultCode: 500,
      ResultDesc: 'The request timed out while awaiting processing in the queue and was not processed.',
      OriginatorConversationID: ids.originatorConversationId,
      ConversationID: ids.conversationId,
      TransactionID: '',
    },
  };
}

const hash = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex');

async function existing(api: SandboxMpesaRequestApi, originatorId: string): Promise<SandboxMpesaRequest | undefined> {
  const [row] = await getDb()
    .select()
    .from(sandboxMpesaRequests)
    .where(and(eq(sandboxMpesaRequests.api, api), eq(sandboxMpesaRequests.originatorConversationId, originatorId)));
  return row;
}

function replay(row: SandboxMpesaRequest, requestHash: string): Acknowledgement {
  if (row.requestHash !== requestHash)
    throw new DuplicateOriginatorId('OriginatorConversationID already used for another request');
  return ack(row);
}

const isUniqueViolation = (err: unknown): boolean =>
  typeof err === 'object' &&
  err !== null &&
  ((err as { code?: string }).code === '23505' || isUniqueViolation((err as { cause?: unknown }).cause));

/**
 * Accepts one request: a retry with the same OriginatorConversationID and body gets the first
 * acknowledgement and moves nothing again; the same id with a different body is refused.
 */
export async function acceptAsyncRequest(request: AsyncRequest): Promise<Acknowledgement> {
  const requestHash = hash(request.canonical);
  const originatorId = request.originatorConversationId ?? originatorConversationId();
  if (request.originatorConversationId) {
    const before = await existing(request.api, originatorId);
    if (before) return replay(before, requestHash);
  }
  const ids = { conversationId: conversationId(), originatorConversationId: originatorId };
  const base = {
    ...ids,
    api: request.api,
    shortcode: request.shortcode.shortcode,
    requestHash,
    resultUrl: request.resultUrl,
    queueTimeoutUrl: request.queueTimeoutUrl,
  };
  const referenceItems: ResultParameter[] = [
    ...(request.occasion ? [{ Key: 'Occasion', Value: request.occasion }] : []),
    { Key: 'QueueTimeoutURL', Value: request.queueTimeoutUrl },
  ];

  let row: SandboxMpesaRequest;
  try {
    if (takeQueueTimeout()) {
      const [inserted] = await getDb()
        .insert(sandboxMpesaRequests)
        .values({ ...base, status: 'timed_out' })
        .returning();
      row = inserted!;
    } else {
      const verified = await checkInitiator(request.shortcode, request.initiator, request.securityCredential);
      row = await getDb().transaction(async (tx) => {
        const outcome: Outcome = verified
          ? await request.process(tx, ids)
          : { resultCode: 2001, resultDesc: 'The initiator information is invalid.', transactionId: placeholderTransactionId() };
        const [inserted] = await tx
          .insert(sandboxMpesaRequests)
          .values({
            ...base,
            status: 'completed',
            resultCode: typeof outcome.resultCode === 'number' ? outcome.resultCode : null,
            resultDesc: outcome.resultDesc,
            transactionId: outcome.transactionId,
            amountCents: outcome.amountCents ?? null,
            resultBody: resultBody(ids, outcome, referenceItems),
          })
          .returning();
        return inserted!;
      });
    }
  } catch (err) {
    // a concurrent retry with the same OriginatorConversationID won the insert (and rolled our movement back)
    if (request.originatorConversationId && isUniqueViolation(err)) {
      const winner = await existing(request.api, originatorId);
      if (winner) return replay(winner, requestHash);
    }
    throw err;
  }
  scheduleResult(row);
  return ack(row);
}

function scheduleResult(row: SandboxMpesaRequest): void {
  const ids = { conversationId: row.conversationId, originatorConversationId: row.originatorConversationId };
  const send = () =>
    row.status === 'timed_out'
      ? emitNotification(row.queueTimeoutUrl, timeoutBody(ids), row.conversationId)
      : emitNotification(row.resultUrl, row.resultBody, row.conversationId);
  setTimeout(send, resultDelayMs()).unref?.();
}

/** Daraja's TransactionID on a failed Result: the receipt prefix and zeros (e.g. MAS0000000). */
export function placeholderTransactionId(now = new Date()): string {
  const year = String.fromCharCode(65 + ((now.getUTCFullYear() - 2006) % 26));
  const month = String.fromCharCode(65 + now.getUTCMonth());
  return `${year}${month}S0000000`;
}

export async function findRequestByOriginatorId(originatorId: string): Promise<SandboxMpesaRequest | undefined> {
  const [row] = await getDb()
    .select()
    .from(sandboxMpesaRequests)
    .where(eq(sandboxMpesaRequests.originatorConversationId, originatorId))
    .limit(1);
  return row;
}

export async function findRequestByTransactionId(transactionId: string): Promise<SandboxMpesaRequest | undefined> {
  const [row] = await getDb()
    .select()
    .from(sandboxMpesaRequests)
    .where(eq(sandboxMpesaRequests.transactionId, transactionId))
    .limit(1);
  return row;
}
