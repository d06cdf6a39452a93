import styles from './access.module.css';

/** A secret shown once (API key, one-time password): copy it now, it is never shown again. */
export function SecretReveal({ title, value, testId, note }: { title: string; value: string; testId: string; note: string }) {
  return (
    <div className={styles.secret} role="status" data-testid={`${testId}-panel`}>
      <p>
        <strong>{title}</strong>
      </p>
      <p className={styles.secretValue} data-testid={testId}>
        {value}
      </p>
      <p className="small">{note}</p>
    </div>
  );
}
