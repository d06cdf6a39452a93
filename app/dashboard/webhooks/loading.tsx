import styles from '../dashboard.module.css';

export default function DashboardLoading() {
  return (
    <section className={styles.card} aria-busy="true" aria-live="polite" data-testid="dashboard-loading">
      <p className="muted">Loading…</p>
    </section>
  );
}
