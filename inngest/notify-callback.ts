import { inngest } from './client';
import { PSP_CALLBACK_RECEIVED } from './events';

/**
 * Tells the background engine a PSP callback was stored (the callback routes call it after the
 * inbox insert). Event id = 'inbox-' + row id: a redelivered callback re-sends the same event and
 * the engine drops it.
 */
export async function notifyPspCallbackReceived(inboxId: string, psp: string): Promise<void> {
  await inngest.send({ id: `inbox-${inboxId}`, name: PSP_CALLBACK_RECEIVED, data: { inboxId, psp } });
}
