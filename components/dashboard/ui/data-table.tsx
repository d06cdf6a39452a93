import type { ReactNode } from 'react';
import styles from './ui.module.css';

export interface Column<T> {
  /** The header text; on a phone it also labels the cell inside the row's card. */
  header: string;
  cell: (row: T) => ReactNode;
  /** 'mono' for ids, 'amount' for money, 'wrap' for prose that may break over lines. */
  kind?: 'mono' | 'amount' | 'wrap' | 'nowrap';
  /** A fixed test id, or one per row (e.g. the row's currency in it). */
  testId?: string | ((row: T) => string | undefined);
  /** The cell that names its row (a currency, a key): a row header for screen readers. */
  rowHeader?: boolean;
}

/**
 * The dashboard's one table. Wide content scrolls inside its own box (never the page); below
 * 640 px each row becomes a card of label/value lines, so nothing is cut off on a phone.
 */
export function DataTable<T>({
  caption,
  columns,
  rows,
  rowKey,
  rowProps,
  testId,
}: {
  caption: string;
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T) => string;
  /** Extra attributes per row (data-testid, data-* ids, an anchor id). */
  rowProps?: (row: T) => Record<string, string | undefined>;
  testId?: string;
}) {
  return (
    <div
      className={styles.tableWrap}
      tabIndex={0}
      role="region"
      aria-label={caption}
      data-testid={testId ? `${testId}-wrap` : undefined}
    >
      <table className={styles.table} data-testid={testId}>
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.header} scope="col">
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={rowKey(row)} {...rowProps?.(row)}>
              {columns.map((c) => {
                const Cell = c.rowHeader ? 'th' : 'td';
                return (
                  <Cell
                    key={c.header}
                    scope={c.rowHeader ? 'row' : undefined}
                    data-label={c.header}
                    className={c.kind ? styles[c.kind] : undefined}
                    data-testid={typeof c.testId === 'function' ? c.testId(row) : c.testId}
                  >
                    {/* one wrapper: on a phone the cell is a label/value grid of exactly two items */}
                    <span>{c.cell(row)}</span>
                  </Cell>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
