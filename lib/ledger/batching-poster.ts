import type { Db } from '@/db/client';
import { env } from '@/lib/env';
import { invariant } from '@/lib/errors';
import { walletDebitsOf, writePostings, type PostResult } from './post';
import { assertBalanced, type Posting } from './posting-rules';

export interface Poster {
  post(posting: Posting): Promise<PostResult>;
}

export interface BatchingPosterOptions {
  /** Most postings written by one statement. */
  maxBatchSize?: number;
  /** Batches in flight at once (each on its own connection, each into a random balance shard). */
  maxInFlightBatches?: number;
}

interface Pending {
  posting: Posting;
  resolve(result: PostResult): void;
  reject(err: unknown): void;
}

/**
 * Group commit for credit-only postings (captures) made outside any caller transaction, e.g. by
 * many consumers running in one process: postings that arrive while earlier batches are being
 * written go out together in ONE statement and one commit, and each caller's promise resolves
 * only after that commit. No timer: a lone posting is written at once. Idempotency is unchanged,
 * per posting ((event_id, kind) is unique, duplicates in a batch are skipped). Debits of a wallet
 * need the locked path, so they are refused here: use post().
 */
export function createBatchingPoster(db: Db, options: BatchingPosterOptions = {}): Poster {
  const maxBatchSize = options.maxBatchSize ?? 100;
  const maxInFlight = options.maxInFlightBatches ?? env().LEDGER_BATCHES_IN_FLIGHT;
  const queue: Pending[] = [];
  let inFlight = 0;

  function pump(): void {
    while (inFlight < maxInFlight && queue.length > 0) {
      const batch = queue.splice(0, maxBatchSize);
      inFlight++;
      void writeBatch(batch).finally(() => {
        inFlight--;
        pump();
      });
    }
  }

  async function writeBatch(batch: Pending[]): Promise<void> {
    try {
      const results = await writePostings(
        db,
        batch.map((p) => p.posting),
      );
      batch.forEach((p, i) => p.resolve(results[i]!));
    } catch {
      // One bad posting must not fail its neighbours: write each alone, each settles on its own.
      await Promise.all(batch.map((p) => writePostings(db, [p.posting]).then((r) => p.resolve(r[0]!), p.reject)));
    }
  }

  return {
    post(posting) {
      assertBalanced(posting.lines);
      // A capture debits pending for the fee but credits more in the same posting: net, a credit.
      invariant(
        walletDebitsOf(posting).length === 0,
        'postings that take money out of a wallet go through post(), which locks it',
      );
      return new Promise<PostResult>((resolve, reject) => {
        queue.push({ posting, resolve, reject });
        pump();
      });
    },
  };
}
