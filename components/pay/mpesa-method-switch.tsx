'use client';

import { useId, useState, type ReactNode } from 'react';
import { PaybillPanel, type PaybillPanelProps } from './paybill-panel';
import { TillPanel, type TillPanelProps } from './till-panel';

export interface MpesaMethodSwitchProps {
  /** The method shown first. */
  initialMethod: 'mpesa' | 'card';
  card: ReactNode;
  mpesa: ReactNode;
  /** Pay with Paybill (the phone's menu): the panel's instructions; it polls only while shown. */
  paybill?: Omit<PaybillPanelProps, 'active'>;
  /** Pay with Till (Buy Goods from the phone's menu), when the install has a till. */
  till?: Omit<TillPanelProps, 'active'>;
}

// Styles for the M-Pesa parts of the pay page (kept with the components that use them).
const styles = `
.pay-methods { border: 0; padding: 0; margin: 0 0 1rem; min-width: 0; }
.pay-methods-options { display: grid; grid-template-columns: repeat(auto-fit, minmax(6.5rem, 1fr)); gap: .5rem; }
.pay-methods-options.is-four { grid-template-columns: repeat(2, 1fr); }
.paybill-steps { margin: 0 0 1rem; padding-left: 1.25rem; line-height: 1.7; }
.pay-method-option { display: flex; align-items: center; gap: .5rem; min-height: 44px; padding: .6rem .8rem; border: 1px solid var(--border-strong);
  border-radius: 8px; cursor: pointer; font-weight: 600; background: var(--panel); }
.pay-method-option.is-selected { border-color: var(--brand); box-shadow: 0 0 0 1px var(--brand); }
.pay-method-option:focus-within { box-shadow: var(--focus); }
.pay-method-option input { accent-color: var(--brand); width: 1.1rem; height: 1.1rem; margin: 0; }
.mpesa-waiting { padding: .5rem 0; }
.mpesa-waiting h3 { font-size: 1.2rem; margin: 0 0 .5rem; }
.mpesa-progress { height: 8px; border-radius: 999px; background: var(--border); overflow: hidden; margin: 1rem 0 .5rem; }
.mpesa-progress span { display: block; height: 100%; background: var(--success); transition: width 1s linear; }
.mpesa-waiting .spinner { display: inline-block; vertical-align: -0.2em; border-color: rgb(26 31 54 / 20%); border-top-color: var(--text); }
@media (prefers-reduced-motion: reduce) { .mpesa-progress span { transition: none; } }
`;

/**
 * Lets a KES customer choose M-Pesa or card. Both panels stay mounted (the inactive one hidden),
 * so switching back and forth keeps what was typed.
 */
export function MpesaMethodSwitch({ initialMethod, card, mpesa, paybill, till }: MpesaMethodSwitchProps) {
  const [method, setMethod] = useState<'mpesa' | 'card' | 'paybill' | 'till'>(initialMethod);
  const id = useId();
  return (
    <>
      <style>{styles}</style>
      <fieldset className="pay-methods">
        <legend className="visually-hidden">Payment method</legend>
        {/* four methods (M-Pesa, Paybill, Till, card) sit two by two: in one row of a phone "M-Pesa" would break */}
        <div className={`pay-methods-options${paybill && till ? ' is-four' : ''}`}>
          {(
            [
              ['mpesa', 'M-Pesa'],
              ...(paybill ? ([['paybill', 'Paybill']] as const) : []),
              ...(till ? ([['till', 'Till']] as const) : []),
              ['card', 'Card'],
            ] as const
          ).map(([value, label]) => (
            <label
              key={value}
              className={`pay-method-option${method === value ? ' is-selected' : ''}`}
              data-testid={`pay-method-${value}`}
            >
              <input
                type="radio"
                name={`${id}-method`}
                value={value}
                checked={method === value}
                onChange={() => setMethod(value)}
              />
              {label}
            </label>
          ))}
        </div>
      </fieldset>
      <div hidden={method !== 'mpesa'} data-testid="pay-mpesa-panel">
        {mpesa}
      </div>
      {paybill && (
        <div hidden={method !== 'paybill'} data-testid="pay-paybill-panel">
          <PaybillPanel {...paybill} active={method === 'paybill'} />
        </div>
      )}
      {till && (
        <div hidden={method !== 'till'} data-testid="pay-till-panel">
          <TillPanel {...till} active={method === 'till'} />
        </div>
      )}
      <div hidden={method !== 'card'} data-testid="pay-card-panel">
        {card}
      </div>
    </>
  );
}
