/** A benchmark registered in scripts/bench/index.ts. */
export interface Benchmark {
  /** Short name, used to pick benchmarks: `npm run bench -- ledger`. */
  name: string;
  description: string;
  /** Runs against a freshly migrated database and returns the rows to print. */
  run(context: BenchContext): Promise<BenchReport>;
}

export interface BenchContext {
  /** A migrated database reserved for this benchmark run. */
  databaseUrl: string;
  log(message: string): void;
}

export interface BenchReport {
  title: string;
  columns: string[];
  rows: Array<Array<string | number>>;
  /** Lines printed under the table (checks, targets). */
  notes: string[];
  /** False when a correctness check or a target failed: the process exits non-zero. */
  ok: boolean;
}
