'use client';

import { useId, useState } from 'react';
import styles from './pay.module.css';

export interface SummaryLine {
  name: string;
  quantity: number;
  /** "USD 15.00 each", shown for quantities above one. */
  eachLabel: string | null;
  amountLabel: string;
  image: string | null;
}

/**
 * The order's lines. On a phone they fold behind a toggle (the total stays in view beside it),
 * so the card form and the Pay button fit on the first screen; on a wide screen they are always
 * shown, and the toggle is hidden.
 */
export function OrderSummary({ lines, totalLabel, totalText }: { lines: SummaryLine[]; totalLabel: string; totalText: string }) {
  const [open, setOpen] = useState(false);
  const id = useId();
  const count = lines.reduce((n, l) => n + l.quantity, 0);
  return (
    <div className={`${styles.summary} ${open ? styles.summaryOpen : ''}`}>
      {lines.length > 0 && (
        <button
          type="button"
          className={styles.summaryToggle}
          aria-expanded={open}
          aria-controls={`${id}-lines`}
          onClick={() => setOpen((o) => !o)}
          data-testid="pay-summary-toggle"
        >
          <span>
            {open ? 'Hide' : 'Show'} order summary ({count} {count === 1 ? 'item' : 'items'})
          </span>
          <span className={styles.chevron} aria-hidden="true" />
        </button>
      )}
      {lines.length > 0 && (
        <ul className={`summary-lines ${styles.lines}`} id={`${id}-lines`} data-testid="pay-line-items">
          {lines.map((item, i) => (
            <li key={`${item.name}-${i}`} className={styles.line} data-testid="pay-line-item">
              {item.image ? (
                // eslint-disable-next-line @next/next/no-img-element -- merchant images from any host; next/image would proxy them
                <img src={item.image} alt="" className={styles.lineImage} width={44} height={44} data-testid="pay-line-image" />
              ) : null}
              <span className={styles.lineName}>
                {item.name}
                <span className="muted small block">
                  Qty {item.quantity}
                  {item.eachLabel ? ` · ${item.eachLabel}` : ''}
                </span>
              </span>
              <span className={styles.lineAmount}>{item.amountLabel}</span>
            </li>
          ))}
        </ul>
      )}
      <p className="summary-total-line" data-testid="pay-total-line">
        <span>{totalText}</span>
        <span data-testid="pay-total">{totalLabel}</span>
      </p>
    </div>
  );
}
