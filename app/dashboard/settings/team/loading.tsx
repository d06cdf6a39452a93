export default function Loading() {
  return (
    <p role="status" className="muted">
      Loading the team…
    </p>
  );
}
