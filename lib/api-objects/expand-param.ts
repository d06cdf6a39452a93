import { z } from 'zod';

/** Stripe's `expand[]` parameter, on every endpoint that returns expandable objects (at most 20 paths, as Stripe). */
export const expandParam = z.array(z.string().min(1).max(200)).max(20).optional();
