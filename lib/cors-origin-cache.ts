import { Inject, Injectable } from '@nestjs/common';
import { CORS_POLICY_MODULE_OPTIONS, DEFAULT_RESOLVER_CACHE_MAX_ENTRIES, DEFAULT_RESOLVER_CACHE_TTL_MS } from './cors.constants.js';
import type { CorsModuleOptions } from './cors-policy-options.interface.js';

interface CachedAnswer {
  readonly allowed: boolean;
  readonly expiresAt: number;
}

/** The answers of one resolver: LRU by insertion order, plus the lookups under way. */
class ResolverAnswers {
  readonly answers = new Map<string, CachedAnswer>();
  readonly pending = new Map<string, Promise<boolean>>();
  /** Bumped by invalidation, so that a lookup started before it does not store a stale answer. */
  generation = 0;
}

/**
 * The cache in front of every `CorsOriginResolver`: per resolver and origin, allowed and
 * refused answers alike, with a time to live (`resolverCache.ttlMs`) and a size bound
 * (`resolverCache.maxEntries`, the oldest answer goes first). Concurrent lookups of one
 * uncached origin share one call. Failures are never cached: the next request asks again.
 *
 * Inject it where your data changes, so that the change takes effect at once:
 * @example
 * ```ts
 * constructor(private readonly corsCache: CorsOriginCache) {}
 * async addOrigin(origin: string) {
 *   await this.repository.add(origin);
 *   this.corsCache.invalidate(origin);
 * }
 * ```
 * Each app instance has its own cache: see the README, "Running several instances".
 */
@Injectable()
export class CorsOriginCache {
  private readonly byResolver = new Map<object, ResolverAnswers>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;

  constructor(@Inject(CORS_POLICY_MODULE_OPTIONS) options: CorsModuleOptions) {
    // Options that are not an object (a factory returning null) are reported at startup, not here.
    const settings = (options as CorsModuleOptions | null | undefined)?.resolverCache;
    this.ttlMs = settings?.ttlMs ?? DEFAULT_RESOLVER_CACHE_TTL_MS;
    this.maxEntries = settings?.maxEntries ?? DEFAULT_RESOLVER_CACHE_MAX_ENTRIES;
  }

  /** Forgets every resolver's answer for `origin` (exact `Origin` bytes, e.g. `https://app.example.com`). */
  invalidate(origin: string): void {
    for (const resolver of this.byResolver.values()) {
      resolver.answers.delete(origin);
      resolver.pending.delete(origin);
      resolver.generation++;
    }
  }

  /** Forgets every answer of every resolver. */
  invalidateAll(): void {
    for (const resolver of this.byResolver.values()) {
      resolver.answers.clear();
      resolver.pending.clear();
      resolver.generation++;
    }
  }

  /** How many answers are cached for a resolver (for tests and metrics). */
  size(resolver: object): number {
    return this.byResolver.get(resolver)?.answers.size ?? 0;
  }

  /**
   * The cached answer for `origin`, or the result of `ask()`, shared with every concurrent
   * caller and cached when it settles. `ask()` rejecting means "refuse, and do not cache".
   */
  lookup(resolver: object, origin: string, ask: () => Promise<boolean>): boolean | Promise<boolean> {
    return this.peek(resolver, origin) ?? this.askOnce(this.stateOf(resolver), origin, ask);
  }

  /**
   * The cached answer for `origin`, or the lookup already under way; `undefined` when neither
   * exists (then `lookup()` asks). Lets callers skip building the `ask` function on a hit.
   */
  peek(resolver: object, origin: string): boolean | Promise<boolean> | undefined {
    const state = this.byResolver.get(resolver);
    if (state === undefined) return undefined;
    const cached = state.answers.get(origin);
    if (cached !== undefined) {
      if (cached.expiresAt > Date.now()) return cached.allowed;
      state.answers.delete(origin);
    }
    return state.pending.get(origin);
  }

  private stateOf(resolver: object): ResolverAnswers {
    let state = this.byResolver.get(resolver);
    if (state === undefined) this.byResolver.set(resolver, (state = new ResolverAnswers()));
    return state;
  }

  private askOnce(state: ResolverAnswers, origin: string, ask: () => Promise<boolean>): Promise<boolean> {
    const generation = state.generation;
    const lookup = ask().then(
      (allowed) => {
        if (state.pending.get(origin) === lookup) state.pending.delete(origin);
        if (this.ttlMs > 0 && state.generation === generation) this.store(state, origin, allowed);
        return allowed;
      },
      () => {
        if (state.pending.get(origin) === lookup) state.pending.delete(origin);
        return false;
      },
    );
    state.pending.set(origin, lookup);
    return lookup;
  }

  private store(state: ResolverAnswers, origin: string, allowed: boolean): void {
    state.answers.delete(origin);
    state.answers.set(origin, { allowed, expiresAt: Date.now() + this.ttlMs });
    if (state.answers.size > this.maxEntries) {
      const oldest = state.answers.keys().next();
      if (oldest.done !== true) state.answers.delete(oldest.value);
    }
  }
}
