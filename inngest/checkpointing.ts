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
 * For the short functions on every payment's path (webhook fan-out and delivery, the ledger
 * posting, the receipt): up to three finished steps wait in the SDK and travel with the result
 * (or the sleep) in the call's one response, so such a run costs one request instead of one plus
 * a checkpoint per step. Only for functions whose every step checks the database before it acts:
 * a crash before that response repeats the run's finished steps, which then find their work done
 * (a delivery that succeeded is not sent again; a posting or a receipt exists once per event; a
 * resent delivery request has the same event id, which the engine dedupes). The one thing a
 * repeat can do is attempt again a delivery whose last attempt had failed.
 * The engine bench measured 5.0 -> 0.0 checkpoints per payment event and 9 -> 11 events/s (medians
 * of 3 runs against the code before, alternating).
 */
export const STEPS_WITH_RESULT = { bufferedSteps: 3 } as const;
