'use server';

import { revalidatePath } from 'next/cache';
import { deadLetterReplayer } from '@/inngest/dead-letter-replay';
import { replayDeadLetterAsOperator } from '@/lib/admin/console';
import { toActionResult, type ActionResult } from '@/lib/dashboard/actor';
import { guardOperatorAction, OperatorActionError } from '../guard';

/** Replays one dead letter of any merchant: operator, same origin, audited (lib/admin/console.ts). */
export async function replayDeadLetterOperatorAction(_prev: ActionResult<{ message: string }> | null, form: FormData): Promise<ActionResult<{ message: string }>> {
  let actor;
  try {
    actor = await guardOperatorAction();
  } catch (err) {
    if (err instanceof OperatorActionError) return { ok: false, error: err.message };
    throw err;
  }
  const id = form.get('deadLetterId');
  const result = await toActionResult(async () => {
    const { runId } = await replayDeadLetterAsOperator(actor, typeof id === 'string' ? id : undefined, deadLetterReplayer());
    return { message: runId ? `Replayed as run ${runId}.` : 'Replayed: the event was sent again.' };
  });
  if (result.ok) revalidatePath('/admin/dead-letters');
  return result;
}
