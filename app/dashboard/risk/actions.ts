'use server';

import type { ActionResult } from '@/lib/dashboard/actor';
import { addBlocklist, removeBlocklist, updateRiskSettings } from '@/lib/dashboard/risk';
import { SUPPORTED_CURRENCIES } from '@/lib/money';
import type { RiskSettings } from '@/lib/risk';
import { field, optionalField, runGuarded } from '../run-action';

const PATHS = ['/dashboard/risk'];

export async function saveRiskSettingsAction(
  _prev: ActionResult<RiskSettings> | null,
  form: FormData,
): Promise<ActionResult<RiskSettings>> {
  return runGuarded(
    'risk:write',
    (actor) =>
      updateRiskSettings(actor, {
        maxAttemptsPerIpPerDay: field(form, 'maxAttemptsPerIpPerDay'),
        maxAttemptsPerCardPerDay: field(form, 'maxAttemptsPerCardPerDay'),
        maxAttemptsPerEmailPerDay: field(form, 'maxAttemptsPerEmailPerDay'),
        reviewThresholdPercent: field(form, 'reviewThresholdPercent'),
        ceilings: Object.fromEntries(SUPPORTED_CURRENCIES.map((c) => [c, field(form, `ceiling_${c}`) ?? ''])),
      }),
    PATHS,
  );
}

export async function addBlocklistAction(_prev: ActionResult<{ id: string; created: boolean }> | null, form: FormData) {
  return runGuarded(
    'risk:write',
    (actor) =>
      addBlocklist(actor, {
        kind: field(form, 'kind'),
        value: field(form, 'value') ?? '',
        reason: optionalField(form, 'reason'),
      }),
    PATHS,
  );
}

export async function removeBlocklistAction(_prev: ActionResult<void> | null, form: FormData): Promise<ActionResult<void>> {
  return runGuarded('risk:write', (actor) => removeBlocklist(actor, { entryId: field(form, 'entryId') }), PATHS);
}
