import { AppError } from '@/lib/errors';
import {
  SANDBOX_PSP,
  SANDBOX_SIGNATURE_HEADER,
  sandboxCallbackEventId,
  sandboxCallbackSecret,
  verifySandboxSignature,
} from '@/lib/psp/sandbox-callbacks';
import { closeCallbackWithoutNews } from './process';
import { storableHeaders, storeInboxMessage, type StoredCallback } from './store';

/** Hands a stored callback to the background engine (the route passes inngest.send). */
export type NotifyInbox = (inboxId: string, psp: string) => Promise<void>;

/**
 * The sandbox callback route's work: verify the signature on the raw body before reading it,
 * store it once, then close it at once when it brings no news (closeCallbackWithoutNews) or ask
 * for it to be processed. The caller answers 2xx as soon as this returns;
 * a failed notification is logged, not raised: the row is stored and the inbox sweep finds it.
 * Safe to run twice (a PSP redelivery): the store dedupes by event id and the notification is
 * deduplicated by its event id ('inbox-' + inbox id) in the engine.
 */
export async function receiveSandboxCallback(request: { rawBody: string; headers: Headers }, notify: NotifyInbox): Promise<StoredCallback> {
  const check = verifySandboxSignature(request.rawBody, request.headers.get(SANDBOX_SIGNATURE_HEADER), sandboxCallbackSecret());
  if (check !== 'valid') throw new AppError('parameter_invalid', `Invalid Sandbox-Signature header (${check}).`);
  const pspEventId = sandboxCallbackEventId(request.rawBody);
  if (!pspEventId) throw new AppError('parameter_invalid', 'The callback body has no event id.');
  const stored = await storeInboxMessage({
    psp: SANDBOX_PSP,
    pspEventId,
    headers: storableHeaders(request.headers),
    rawBody: request.rawBody,
  });
  if (stored.processed) return stored;
  // a first delivery that carries no news is closed here (no background run); see closeCallbackWithoutNews
  if (!stored.duplicate && (await closedOnReceipt(stored.inboxId, request.rawBody))) return { ...stored, processed: true };
  // A redelivery re-sends the notification in case the first one was lost; the engine dedupes it.
  await notifyOrWarn(notify, stored.inboxId);
  return stored;
}

async function closedOnReceipt(inboxId: string, rawBody: string): Promise<boolean> {
  try {
    return await closeCallbackWithoutNews(inboxId, rawBody);
  } catch (err) {
    // the stored row is processed in the background instead, as before
    console.warn(`[inbox] ${inboxId} could not be closed on receipt; handing it to the engine:`, err instanceof Error ? err.message : err);
    return false;
  }
}

// While the engine is unreachable every callback would fail the same way: say so once, not per callback.
let engineUnreachableLogged = false;

async function notifyOrWarn(notify: NotifyInbox, inboxId: string): Promise<void> {
  try {
    await notify(inboxId, SANDBOX_PSP);
    engineUnreachableLogged = false;
  } catch (err) {
    if (engineUnreachableLogged) return;
    engineUnreachableLogged = true;
    console.warn(`[inbox] ${inboxId} stored but the engine was not notified (the inbox sweep will process it):`, err instanceof Error ? err.message : err);
  }
}
