import type { JobBook } from './job-book.ts';

/**
 * How many jobs wait for a runner in each pool: the one count the planner, /health and the
 * metrics read. It is the book's count, unless the pool's source reports its own: a scale set's
 * statistics are whole where its messages may be cut short.
 */
export class WaitingJobs {
  readonly #book: JobBook;
  readonly #reported = new Map<string, number>();

  constructor(book: JobBook) {
    this.#book = book;
  }

  /** The pool's source counted its waiting jobs; returns whether the count changed. */
  report(poolId: string, count: number): boolean {
    const changed = this.#reported.get(poolId) !== count;
    this.#reported.set(poolId, count);
    return changed;
  }

  count(poolId: string): number {
    return this.reported(poolId) ?? this.#book.waiting(poolId).length;
  }

  /** The count the pool's source reported, if it reports one. */
  reported(poolId: string): number | undefined {
    return this.#reported.get(poolId);
  }
}
