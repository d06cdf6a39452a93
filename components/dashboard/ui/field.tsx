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

/** A labelled filter select whose first option, "Any", means "not filtered" (an empty value). */
export function SelectFilter({
  id,
  label,
  value,
  options,
  format = (v) => v,
}: {
  id: string;
  label: string;
  value: string | undefined;
  options: readonly string[];
  format?: (value: string) => string;
}) {
  return (
    <Field id={id} label={label}>
      <select id={id} name={id} defaultValue={value ?? ''} data-testid={`filter-${id}`}>
        <option value="">Any</option>
        {options.map((o) => (
          <option key={o} value={o}>
            {format(o)}
          </option>
        ))}
      </select>
    </Field>
  );
}

/** A checkbox with its label beside it, the box its own size (never stretched like a text field). */
export function CheckField({ id, label, children }: { id: string; label: ReactNode; children: ReactNode }) {
  return (
    <div className={formStyles.check}>
      {children}
      <label htmlFor={id}>{label}</label>
    </div>
  );
}
