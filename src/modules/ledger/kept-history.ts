import { performance } from 'node:perf_hooks';
import type { ChangeClock } from '../shared';
import type { MovementPage } from './reads';

interface Kept {
  /** The change counter when the read began: the page is only as new as this. */
  epoch: number;
  /** Process time of the read, for `maxAgeMs`. */
  loadedAt: number;
  page: MovementPage;
}

export interface KeptHistoryOptions {
  /** Pages kept (customer and page size; the least recently used dropped first); 10,000 by default. */
  maxPages?: number;
  /** A safety net, as the check cache's: a kept page older than this (ms of process time) is read again; 5,000. */
  maxAgeMs?: number;
}

/**
 * The first page of each customer's whole history (newest first, no filter, no cursor: what a dashboard reads
 * again and again), kept between requests so that a repeated read with nothing booked since costs no round trip
 * to PostgreSQL (issue 14). A page of history changes only when a movement is booked, and every writer of a
 * movement is announced to the process's `ChangeClock` (its own commits before they answer, other processes'
 * through their notifications), the same rule that keeps the check cache exact (docs/holds-and-checks.md,
 * "Fast checks"): a page is kept only if no change of the customer's ledgers was signalled while it was read,
 * and served only while none has been since and the change listener is connected. Its rows name no instant
 * a later read would compare with, so time needs no signal. What it keeps is frozen: requests share it.
 */
export class KeptHistory {
  private readonly pages = new Map<string, Kept>();
  private readonly maxPages: number;
  private readonly maxAgeMs: number;
  readonly stats = { hits: 0, misses: 0 };

  constructor(
    private readonly clock: ChangeClock,
    opts: KeptHistoryOptions = {},
  ) {
    this.maxPages = opts.maxPages ?? 10_000;
    this.maxAgeMs = opts.maxAgeMs ?? 5_000;
    clock.observe({ changed: () => undefined, reset: () => this.pages.clear() });
  }

  /** The first page of `size` of the customer's history: kept if still current, else `read` and kept. */
  async firstPage(
    customerId: string,
    size: number,
    read: () => Promise<MovementPage>,
  ): Promise<MovementPage> {
    const key = `${customerId}|${size}`;
    const kept = this.pages.get(key);
    if (
      kept &&
      performance.now() - kept.loadedAt < this.maxAgeMs &&
      this.clock.current('ledgers', customerId, kept.epoch)
    ) {
      this.stats.hits++;
      // most recently used last
      this.pages.delete(key);
      this.pages.set(key, kept);
      return kept.page;
    }
    this.stats.misses++;
    const epoch = this.clock.begin(); // a movement signalled from now on voids this read
    const page = freeze(await read());
    if (this.clock.current('ledgers', customerId, epoch)) {
      this.pages.delete(key);
      this.pages.set(key, { epoch, loadedAt: performance.now(), page });
      for (const k of this.pages.keys()) {
        if (this.pages.size <= this.maxPages) break;
        this.pages.delete(k);
      }
    }
    return page;
  }
}

/** The page and its rows as requests share them: read-only. */
function freeze(page: MovementPage): MovementPage {
  for (const m of page.nodes) Object.freeze(m);
  for (const list of page.allocations.values()) {
    for (const a of list) Object.freeze(a);
    Object.freeze(list);
  }
  Object.freeze(page.nodes);
  Object.freeze(page.cursors);
  return Object.freeze(page);
}
