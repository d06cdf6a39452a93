import { z } from 'zod';
import { replayDeadLetter } from '@/inngest/engine';
import { getMerchantDeadLetter, serializeDeadLetter } from '@/lib/events/query';
import { apiPost } from '@/lib/http/api';

export const dynamic = 'force-dynamic';

export const POST = apiPost<z.ZodObject<Record<string, never>>, { id: string }>({
  body: z.object({}).strict(),
  effects: 'external',
  handler: async ({ merchant, params }) => {
    const letter = await getMerchantDeadLetter(merchant.id, params.id);
    const { runId } = await replayDeadLetter(letter.id);
    return { body: { ...serializeDeadLetter(await getMerchantDeadLetter(merchant.id, letter.id)), replay_run: runId } };
  },
});
