'use server';

import { deadLetterReplayer } from '@/inngest/dead-letter-replay';
import type { ActionResult } from '@/lib/dashboard/actor';
import {
  createEndpoint,
  deleteEndpoint,
  redeliver,
  replayDeadLetterAction,
  sendTestEvent,
  setEndpointEnabled,
  updateEndpoint,
} from '@/lib/dashboard/webhooks';
import { field, optionalField, runGuarded } from '../run-action';

const PATHS = ['/dashboard', '/dashboard/webhooks'];

export async function createEndpointAction(
  _prev: ActionResult<{ id: string; url: string; secret: string }> | null,
  form: FormData,
) {
  return runGuarded(
    'webhooks:write',
    (actor) =>
      createEndpoint(actor, {
        url: field(form, 'url')?.trim(),
        enabled_events: form.getAll('events').map(String),
        description: optionalField(form, 'description'),
      }),
    PATHS,
  );
}

export async function updateEndpointAction(_prev: ActionResult<void> | null, form: FormData): Promise<ActionResult<void>> {
  return runGuarded(
    'webhooks:write',
    (actor) => updateEndpoint(actor, { endpointId: field(form, 'endpointId'), enabledEvents: form.getAll('events').map(String) }),
    PATHS,
  );
}

export async function toggleEndpointAction(_prev: ActionResult<void> | null, form: FormData): Promise<ActionResult<void>> {
  return runGuarded(
    'webhooks:write',
    (actor) => setEndpointEnabled(actor, { endpointId: field(form, 'endpointId'), enabled: field(form, 'enabled') === 'true' }),
    PATHS,
  );
}

export async function deleteEndpointAction(_prev: ActionResult<void> | null, form: FormData): Promise<ActionResult<void>> {
  return runGuarded('webhooks:write', (actor) => deleteEndpoint(actor, { endpointId: field(form, 'endpointId') }), PATHS);
}

export async function redeliverAction(_prev: ActionResult<{ attempts: number }> | null, form: FormData) {
  return runGuarded('webhooks:write', (actor) => redeliver(actor, { eventId: field(form, 'eventId') }), PATHS);
}

export async function replayDeadLetterFormAction(_prev: ActionResult<{ runId: string | null }> | null, form: FormData) {
  return runGuarded(
    'webhooks:write',
    (actor) => replayDeadLetterAction(actor, { deadLetterId: field(form, 'deadLetterId') }, deadLetterReplayer()),
    PATHS,
  );
}

export async function sendTestEventAction(
  _prev: ActionResult<{ delivered: boolean; statusCode: number | null; message: string }> | null,
  form: FormData,
) {
  return runGuarded('webhooks:write', (actor) => sendTestEvent(actor, { endpointId: field(form, 'endpointId') }), PATHS);
}
