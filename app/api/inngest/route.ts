import { serve } from 'inngest/next';
import { inngest } from '@/inngest/client';
import { functions } from '@/inngest';

// Inngest (Cloud, `inngest dev`, or our embedded engine) calls this route to sync and run functions.
export const { GET, POST, PUT } = serve({ client: inngest, functions });
