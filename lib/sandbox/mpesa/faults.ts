/**
 * Switchable misbehaviour of the offline Daraja, to test the receiving side: callbacks lost,
 * duplicated or delayed, and spike arrest (HTTP 429, errorCode 500.003.02) on STK push.
 * Set by MPESA_SANDBOX_FAULTS (e.g. "drop", "duplicate,delay:2000", "spike", "spike:2") or by
 * the authenticated faults endpoint, which overrides the environment for this process.
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
}

const NO_FAULTS: MpesaFaults = { drop: false, duplicate: false, delayMs: 0, spikeArrest: false, spikeArrestNext: 0 };

export function parseMpesaFaults(spec: string | undefined): MpesaFaults {
  const faults = { ...NO_FAULTS };
  for (const word of (spec ?? '').split(',').map((w) => w.trim().toLowerCase())) {
    if (word === 'drop') faults.drop = true;
    else if (word === 'duplicate') faults.duplicate = true;
    else if (word === 'spike') faults.spikeArrest = true;
    else if (word.startsWith('spike:'))
      faults.spikeArrestNext = Math.max(0, Math.floor(Number(word.slice('spike:'.length)) || 0));
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
