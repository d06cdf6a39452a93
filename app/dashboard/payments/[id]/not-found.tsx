import Link from 'next/link';
import styles from '../../dashboard.module.css';

export default function PaymentNotFound() {
  return (
    <section className={styles.card} data-testid="not-found" aria-labelledby="nf-title">
      <h1 id="nf-title">Payment not found</h1>
      <p className="muted">There is no payment with this id in your account.</p>
      <p>
        <Link href="/dashboard/payments">Back to payments</Link>
      </p>
    </section>
  );
}
