import { Inngest } from 'inngest';
import { engineMode } from './mode';

/**
 * Inngest's async checkpointing, the SDK's client option: when the server names the function and
 * queue item in a call (the embedded engine does, and so does Inngest's own server), the SDK runs
 * the steps it can inside that one call and reports each finished step to the server
 * (POST /v1/checkpoint/:runId/async) before starting the next, instead of answering after every
 * step. One step per checkpoint keeps today's durability: a step's result is stored before the
 * next step starts, so a crash repeats at most the step that was running. A sleep, a waitForEvent,
 * a step error or 10 s of running still end the call, as without checkpoints.
 */
export const CHECKPOINTING = { bufferedSteps: 1 } as const;

/**
 * The one Inngest client. The SDK reads INNGEST_EVENT_KEY, INNGEST_SIGNING_KEY,
 * INNGEST_BASE_URL and INNGEST_DEV itself; we only pin dev mode (decided in ./mode) so that a base
 * URL alone never silently turns signature checks off.
 */
export const inngest = new Inngest({ id: 'paykit', isDev: engineMode() === 'dev', checkpointing: CHECKPOINTING });
