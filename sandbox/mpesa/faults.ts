/**
 * Switchable misbehaviour of the offline Daraja, to test the receiving side: callbacks and
 * Results lost, duplicated, delayed or delivered out of order; asynchronous requests that time
 * out in the queue (QueueTimeOutURL instead of ResultURL); C2B confirmations that never arrive;
 * and spike arrest (HTTP 429, errorCode 500.003.02) on STK push.
 * Set by MPESA_SANDBOX_FAULTS (e.g. "drop", "duplicate,delay:2000", "spike", "spike:2",
 * "reorder", "queue-timeout", "queue-timeout:1", "lose-confirmation") or by the authenticated
 * faults endpoint, which overrides the environment for this process.
 */
export interface MpesaFaults {
  /** Never send callbacks. */
  drop: boolean;
  /** Send every callback twice (byte for byte). */
  duplicate: boolean;
  /** Wait this long before sending a callback. */
  delayMs: number;
  /** Answer every STK push with spike arrest. */
  spikeArrest: boolean;
  /** Answer only the next N STK pushes with spike arrest. */
  spikeArrestNext: number;
  /** Hold each callback/Result until the next one is sent (or a hold time passes), then send it after that one. */
  outOfOrder: boolean;
  /** Every asynchronous API request times out in the queue: not processed, QueueTimeOutURL called. */
  queueTimeout: boolean;
  /** Only the next N asynchronous API requests time out in the queue. */
  queueTimeoutNext: number;
  /** C2B payments complete but their confirmation is never sent (Pull Transactions still lists them). */
  loseC2bConfirmation: boolean;
}

const NO_FAULTS: MpesaFaults = {
  drop: false,
  duplicate: false,
  delayMs: 0,
  spikeArrest: false,
  spikeArrestNext: 0,
  outOfOrder: false,
  queueTimeout: false,
  queueTimeoutNext: 0,
  loseC2bConfirmation: false,
};

const count = (word: string, prefix: string) => Math.max(0, Math.floor(Number(word.slice(prefix.length)) || 0));

export function parseMpesaFaults(spec: string | undefined): MpesaFaults {
  const faults = { ...NO_FAULTS };
  for (const word of (spec ?? '').split(',').map((w) => w.trim().toLowerCase())) {
    if (word === 'drop') faults.drop = true;
    else if (word === 'duplicate') faults.duplicate = true;
    else if (word === 'spike') faults.spikeArrest = true;
    else if (word.startsWith('spike:')) faults.spikeArrestNext = count(word, 'spike:');
    else if (word === 'reorder') faults.outOfOrder = true;
    else if (word === 'queue-timeout') faults.queueTimeout = true;
    else if (word.startsWith('queue-timeout:')) faults.queueTimeoutNext = count(word, 'queue-timeout:');
    else if (word === 'lose-confirmation') faults.loseC2bConfirmation = true;
    else if (word.startsWith('delay:')) faults.delayMs = Math.max(0, Number(word.slice('delay:'.length)) || 0);
  }
  return faults;
}

let override: MpesaFaults | undefined;

export function currentMpesaFaults(): MpesaFaults {
  override ??= parseMpesaFaults(process.env.MPESA_SANDBOX_FAULTS);
  return override;
}

/** Each call states the whole set (unset = off); `null` goes back to the environment. */
export function setMpesaFaults(faults: Partial<MpesaFaults> | null): MpesaFaults {
  override = faults === null ? undefined : { ...NO_FAULTS, ...faults };
  return currentMpesaFaults();
}

/** True when this STK push must be refused by spike arrest (counts down spikeArrestNext). */
export function takeSpikeArrest(): boolean {
  const faults = currentMpesaFaults();
  if (faults.spikeArrest) return true;
  if (faults.spikeArrestNext > 0) {
    faults.spikeArrestNext -= 1;
    return true;
  }
  return false;
}

/** True when this asynchronous request must time out in the queue (counts down queueTimeoutNext). */
export function takeQueueTimeout(): boolean {
  const faults = currentMpesaFaults();
  if (faults.queueTimeout) return true;
  if (faults.queueTimeoutNext > 0) {
    faults.queueTimeoutNext -= 1;
    return true;
  }
  return false;
}
