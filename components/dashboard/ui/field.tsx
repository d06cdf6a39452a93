import type { ReactNode } from 'react';
import formStyles from '../forms.module.css';

/** A labelled form control with an optional hint, as every dashboard form lays it out. */
export function Field({
  id,
  label,
  hint,
  children,
  basis,
}: {
  id: string;
  label: ReactNode;
  hint?: ReactNode;
  children: ReactNode;
  /** A wider starting width for a field that needs it (search). */
  basis?: string;
}) {
  return (
    <div className={formStyles.field} style={basis ? { flexBasis: basis } : undefined}>
      <label htmlFor={id}>{label}</label>
      {children}
      {hint ? (
        <span id={`${id}-hint`} className={formStyles.hint}>
          {hint}
        </span>
      ) : null}
    </div>
  );
}

/** A row of fields that wraps. */
export function Fields({ children }: { children: ReactNode }) {
  return <div className={formStyles.fields}>{children}</div>;
}
