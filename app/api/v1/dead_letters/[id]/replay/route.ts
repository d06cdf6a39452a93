import { z } from 'zod';
import { deadLetterReplayer } from '@/inngest/dead-letter-replay';
import { replayDeadLetter, serializeDeadLetter } from '@/lib/dead-letters';
import { apiPost, methodNotAllowed } from '@/lib/http/api';

export const dynamic = 'force-dynamic';

export const POST = apiPost<z.ZodObject<Record<string, never>>, { id: string }>({
  body: z.object({}).strict(),
  effects: 'external',
  handler: async ({ merchant, params }) => {
    const { letter, runId } = await replayDeadLetter(merchant.id, params.id, deadLetterReplayer());
    return { body: { ...serializeDeadLetter(letter), replay_run: runId } };
  },
});

export const GET = methodNotAllowed;
export const DELETE = methodNotAllowed;
export const PUT = methodNotAllowed;
export const PATCH = methodNotAllowed;
