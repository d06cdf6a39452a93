import { Inngest } from 'inngest';
import { CHECKPOINTING } from './checkpointing';
import { engineMode } from './mode';

export { CHECKPOINTING, STEPS_WITH_RESULT } from './checkpointing';

/**
 * The one Inngest client. The SDK reads INNGEST_EVENT_KEY, INNGEST_SIGNING_KEY,
 * INNGEST_BASE_URL and INNGEST_DEV itself; we only pin dev mode (decided in ./mode) so that a base
 * URL alone never silently turns signature checks off.
 */
export const inngest = new Inngest({ id: 'paykit', isDev: engineMode() === 'dev', checkpointing: CHECKPOINTING });
