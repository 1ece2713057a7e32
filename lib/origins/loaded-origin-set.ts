import type { Logger } from '@nestjs/common';
import { BurstLog } from '../decisions/burst-log.js';
import type { CorsOriginSource } from './cors-origin-source.interface.js';
import type { CorsRequest } from '../cors-request.interface.js';
import { markDynamicRefusal } from '../decisions/cors-refusal.js';
import { withTimeout } from './origin-function.js';
import type { LoadedOrigins } from './origin-matcher.js';
import { explainInvalidOrigin } from './origin-validation.js';

/** Failed loads are logged once per burst; a new burst starts after this much quiet. */
const FAILURE_BURST_MS = 10_000;
/** The first retry delay after a failed load; doubled at each failure, with jitter. */
export const SOURCE_RETRY_INITIAL_MS = 500;
/** The longest retry delay after failed loads (and never longer than `ttlMs`). */
export const SOURCE_RETRY_MAX_MS = 30_000;
/** How many skipped entries a warning quotes. */
const QUOTED_INVALID_ENTRIES = 3;

/** How a source's set is loaded: from the module options. */
export interface LoadedOriginSetSettings {
  /** Reload period (`resolverCache.ttlMs`); `0`: reloaded only on invalidation. */
  readonly ttlMs: number;
  /** A load slower than this fails (`resolverTimeoutMs`). */
  readonly timeoutMs: number;
  readonly logger: Logger;
  /**
   * One tenant's set of a scoped source: no reload timer (thousands of tenants must not each
   * query on a timer); a request that finds the set older than `ttlMs` asks for a reload (see `use()`).
   */
  readonly lazy?: boolean;
  /** Called after every load, failed or not (a scoped source files the tenant by what it holds). */
  readonly onLoad?: () => void;
}

/** A load asked for and not finished yet; `awaited` when misses should wait for it (first load, invalidation). */
interface PlannedLoad {
  readonly done: Promise<void>;
  readonly resolve: () => void;
  awaited: boolean;
}

function planLoad(awaited: boolean): PlannedLoad {
  let resolve!: () => void;
  const done = new Promise<void>((settle) => (resolve = settle));
  return { done, resolve, awaited };
}

/**
 * The origins of one `CorsOriginSource`, in memory. One load at a time: loads asked for while
 * one runs (invalidations, the timer) become one more load after it. Every load asked for in
 * the same tick is one load, so a storm of invalidations costs one or two loads, not one each.
 */
export class LoadedOriginSet implements LoadedOrigins {
  /** Read on every request; replaced whole by each successful load. */
  origins: Set<string> = new Set();
  private loadedOnce = false;
  private started = false;
  private stopped = false;
  private running: PlannedLoad | undefined;
  private next: PlannedLoad | undefined;
  /** Origins invalidated while the running load was under way: its result may predate their change. */
  private readonly invalidatedDuringLoad = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;
  private readonly failureLog = new BurstLog(FAILURE_BURST_MS);
  private lastInvalidReport = '';
  private loadedAt = 0;
  /** A lazy set told that it may be stale: the next request waits for a reload. */
  private staleAwaited = false;

  constructor(
    private readonly source: CorsOriginSource,
    private readonly name: string,
    private readonly settings: LoadedOriginSetSettings,
  ) {}

  /** The first load; resolves when it settles, failed or not (the app starts either way). */
  start(): Promise<void> {
    if (this.started) return Promise.resolve();
    this.started = true;
    return this.request(true);
  }

  /** The origin changed: forget it now (a removed origin is refused from the next request) and reload. */
  invalidate(origin: string): void {
    if (!this.started || this.stopped) return;
    this.origins.delete(origin);
    if (this.running !== undefined) this.invalidatedDuringLoad.add(origin);
    void this.request(true);
  }

  /** Everything may have changed: reload (the current set keeps answering until then). */
  invalidateAll(): void {
    if (!this.started || this.stopped) return;
    void this.request(true);
  }

  /**
   * A lazy set is about to answer a request: starts the reload it is due (older than `ttlMs`,
   * answering from the current set meanwhile), or that `markStale()` asked for (awaited by misses).
   */
  use(now: number): void {
    if (this.stopped || !this.started) return;
    if (this.staleAwaited) {
      this.staleAwaited = false;
      void this.request(true);
      return;
    }
    const { ttlMs } = this.settings;
    if (ttlMs > 0 && this.loadedOnce && this.failures === 0 && this.idle() && now - this.loadedAt >= ttlMs) void this.request(false);
  }

  /** Something may have changed: the next `use()` reloads, and a miss waits for that load. */
  markStale(): void {
    this.staleAwaited = true;
  }

  /** Stops reloading (app shutdown); a request still waiting for a load is answered with the set as it is. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.next?.resolve();
    this.next = undefined;
  }

  /** A valid origin the set does not hold: wait for a load that may bring it, else refuse. */
  readonly missed = (origin: string, request: CorsRequest): boolean | Promise<boolean> => {
    const awaited = this.next?.awaited === true ? this.next : this.running?.awaited === true ? this.running : undefined;
    if (awaited === undefined) return this.refuse(request);
    // Asked again after the load: an invalidation during it (the change's NOTIFY, say) may have
    // left the origin out of its result and planned one more load.
    return awaited.done.then(() => this.origins.has(origin) || this.missed(origin, request));
  };

  private refuse(request: CorsRequest): false {
    // Not loaded yet, because loading failed: the origin was not judged.
    if (!this.loadedOnce) markDynamicRefusal(request, 'resolver failed');
    return false;
  }

  private request(awaited: boolean): Promise<void> {
    if (this.next !== undefined) {
      this.next.awaited ||= awaited;
      return this.next.done;
    }
    const planned = (this.next = planLoad(awaited));
    // Started in a microtask: every request of this tick joins this one load.
    if (this.running === undefined) queueMicrotask(() => void this.runNext());
    return planned.done;
  }

  private async runNext(): Promise<void> {
    const planned = this.next;
    if (planned === undefined || this.stopped) return;
    this.next = undefined;
    this.running = planned;
    this.invalidatedDuringLoad.clear();
    clearTimeout(this.timer);
    try {
      this.install(await this.load());
      this.failures = 0;
    } catch (error) {
      this.failures++;
      this.reportFailure(error);
    } finally {
      this.running = undefined;
      planned.resolve();
      this.settings.onLoad?.();
    }
    // Asked for while this one ran (TypeScript cannot see that `next` changed during the await).
    if (this.queued()) void this.runNext();
    else this.schedule();
  }

  private idle(): boolean {
    return this.running === undefined && this.next === undefined;
  }

  private queued(): boolean {
    return this.next !== undefined;
  }

  private load(): Promise<Iterable<string>> {
    const loading = Promise.resolve().then(() => this.source.loadOrigins());
    return withTimeout(loading, this.settings.timeoutMs, () => `${this.name}.loadOrigins()`);
  }

  private install(loaded: Iterable<string>): void {
    const origins = new Set<string>();
    const invalid: string[] = [];
    for (const value of loaded as Iterable<unknown>) {
      if (typeof value === 'string' && explainInvalidOrigin(value) === undefined) origins.add(value);
      else invalid.push(typeof value === 'string' ? JSON.stringify(value.slice(0, 100)) : `a ${value === null ? 'null' : typeof value}`);
    }
    for (const origin of this.invalidatedDuringLoad) origins.delete(origin);
    if (this.failures > 0) this.settings.logger.log(`${this.name} loaded ${origins.size} origins after ${this.failures} failed loads`);
    this.origins = origins;
    this.loadedOnce = true;
    this.loadedAt = Date.now();
    this.reportInvalid(invalid);
  }

  /** The next load: after `ttlMs`, or sooner with backoff after a failure. */
  private schedule(): void {
    if (this.stopped) return;
    const { ttlMs } = this.settings;
    let delay = ttlMs;
    if (this.failures > 0) {
      const backoff = Math.min(SOURCE_RETRY_INITIAL_MS * 2 ** (this.failures - 1), SOURCE_RETRY_MAX_MS);
      // Jitter: instances that failed together do not all retry together.
      delay = Math.min(backoff * (0.5 + Math.random() / 2), ttlMs > 0 ? ttlMs : Infinity);
    } else if (ttlMs === 0 || this.settings.lazy === true) return;
    this.timer = setTimeout(() => void this.request(false), delay);
    this.timer.unref();
  }

  private reportFailure(error: unknown): void {
    this.failureLog.record((suppressed) => {
      const cause = error instanceof Error ? error.message : String(error);
      const kept = this.loadedOnce
        ? `the last loaded set (${this.origins.size} origins) keeps answering`
        : 'its origins are refused (fail closed)';
      const more = suppressed > 0 ? ` (${suppressed} more failures since the last report)` : '';
      this.settings.logger.error(`${this.name} failed to load, ${kept}; retrying with backoff: ${cause}${more}`);
    });
  }

  /** Logged when the skipped entries change, not at every reload. */
  private reportInvalid(invalid: readonly string[]): void {
    const report = invalid.length === 0 ? '' : `${invalid.length}:${invalid.slice(0, QUOTED_INVALID_ENTRIES).join(', ')}`;
    if (report === this.lastInvalidReport) return;
    this.lastInvalidReport = report;
    if (invalid.length === 0) return;
    const quoted = invalid.slice(0, QUOTED_INVALID_ENTRIES);
    this.settings.logger.warn(
      `${this.name} returned ${invalid.length} entries that are not serialized origins, skipped (never matched): ` +
        `${quoted.join(', ')}${invalid.length > QUOTED_INVALID_ENTRIES ? ', ...' : ''}. ` +
        'Fix: store origins as browsers send them, e.g. "https://app.example.com" (lower case, no path, no trailing slash, no default port).',
    );
  }
}
