'use server';

import { revalidatePath } from 'next/cache';
import type { ActionResult } from '@/components/dashboard/access/action-result';
import { inngest } from '@/inngest/client';
import { RECONCILIATION_REQUESTED } from '@/inngest/events';
import { toActionResult } from '@/lib/dashboard/actor';
import { AppError } from '@/lib/errors';
import { recordRerunRequest, refundException, resolveException, writeOffException } from '@/lib/reconciliation';
import { guardOperatorAction } from '../guard';

const PATH = '/admin/reconciliation';
const text = (form: FormData, name: string) => String(form.get(name) ?? '');

/** resolve / write_off / refund one exception, as the signed-in operator. */
export async function exceptionAction(_prev: ActionResult, form: FormData): Promise<ActionResult> {
  const result = await toActionResult(async () => {
    const { operator, ip } = await guardOperatorAction();
    const by = { id: operator.id, email: operator.email, ip };
    const id = text(form, 'exception_id');
    const note = text(form, 'note');
    switch (text(form, 'action')) {
      case 'resolve':
        return resolveException(by, id, note);
      case 'write_off':
        return writeOffException(by, id, note);
      case 'refund':
        return refundException(by, id, note);
      default:
        throw new AppError('parameter_invalid', 'Unknown action.', { param: 'action' });
    }
  });
  revalidatePath(PATH);
  return result.ok ? { ok: true, data: null } : result;
}

/** Asks the background engine to reconcile one PSP's day again (reconcile-requested). */
export async function rerunAction(_prev: ActionResult, form: FormData): Promise<ActionResult> {
  const result = await toActionResult(async () => {
    const { operator, ip } = await guardOperatorAction();
    const day = await recordRerunRequest({ id: operator.id, email: operator.email, ip }, text(form, 'psp'), text(form, 'date'));
    await inngest.send({ name: RECONCILIATION_REQUESTED, data: day });
  });
  revalidatePath(PATH);
  return result.ok ? { ok: true, data: null } : result;
}
