import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { BoundedAnswers } from './bounded-answers.js';
import {
  CORS_POLICY_MODULE_OPTIONS,
  DEFAULT_RESOLVER_CACHE_MAX_ENTRIES,
  DEFAULT_RESOLVER_CACHE_TTL_MS,
  DEFAULT_RESOLVER_MAX_IN_FLIGHT,
  DEFAULT_RESOLVER_MAX_QUEUED,
  DEFAULT_RESOLVER_TIMEOUT_MS,
} from '../cors.constants.js';
import type { CorsModuleOptions } from '../policy/cors-policy-options.interface.js';
import type { CorsOriginSource } from './cors-origin-source.interface.js';
import { LoadedOriginSet, type LoadedOriginSetSettings } from './loaded-origin-set.js';
import { BUSY, LookupSlots, type ReleaseSlot } from './lookup-slots.js';
import { isKeyOfOrigin, isKeyOfScope, scopePrefix } from './scoped-key.js';
import { ScopedOriginSets } from './scoped-origin-sets.js';

/** Which answers `CorsOriginCache.invalidate()` forgets: one tenant's (`scope`), or every tenant's when absent. */
export interface CorsInvalidateOptions {
  /** The tenant whose answer changed, as the class's `scope()` names it. */
  readonly scope?: string;
}

/**
 * What a shared lookup settled with: an answer, `'failed'` (threw, rejected or timed out) or
 * `'busy'` (waited in the queue longer than `resolverTimeoutMs`): both refused, not cached.
 */
export type LookupOutcome = boolean | 'failed' | typeof BUSY;

/** The answers of one resolver, in two bounded spaces, plus the lookups under way. */
class ResolverAnswers {
  readonly allowed: BoundedAnswers;
  readonly refused: BoundedAnswers;
  /** Keyed by origin, or by `scopedKey(scope, origin)` for a scoped class (one bound across all its scopes). */
  readonly pending = new Map<string, Promise<LookupOutcome>>();
  /** Set once the class is known to be scoped: invalidation must then look for the origin in every scope. */
  scoped = false;
  /** Calls of the resolver not settled yet (a timed-out call still holds a database connection), and the queue behind them. */
  readonly slots: LookupSlots;
  /** Bumped by invalidation, so that a lookup started before it does not store a stale answer. */
  generation = 0;

  constructor(maxEntries: number, slots: LookupSlots) {
    this.allowed = new BoundedAnswers(maxEntries);
    this.refused = new BoundedAnswers(maxEntries);
    this.slots = slots;
  }
}

/**
 * The cache in front of every `CorsOriginResolver`: per resolver and origin, allowed and
 * refused answers alike, with a time to live (`resolverCache.ttlMs`) and a size bound
 * (`resolverCache.maxEntries`, the oldest answer goes first). Allowed and refused answers are
 * kept in two spaces of `maxEntries` each, so refusals (a flood of made-up origins) never evict
 * an allowed answer. Concurrent lookups of one uncached origin share one call, and at most
 * `resolverMaxInFlight` calls per resolver run at once: beyond that an uncached origin waits,
 * first come first served, in a queue of at most `resolverMaxQueued` lookups for at most
 * `resolverTimeoutMs`, and is refused without asking ("resolver busy") when the queue is full or
 * the wait times out. Failures and busy refusals are never cached: the next request asks again.
 *
 * It also holds the loaded sets of `CorsOriginSource` rules: `invalidate()` and
 * `invalidateAll()` reload them.
 *
 * A tenant-scoped class (one with `scope(request)`) is cached per (class, scope, origin), under
 * the same bounds: `maxEntries` answers and `resolverMaxInFlight` lookups per class, all its
 * scopes together, so a flood of made-up tenants is bounded like a flood of origins.
 * `invalidate(origin, { scope })` forgets one tenant's answer, `invalidate(origin)` the origin in
 * every scope, `invalidateScope(scope)` every answer of one tenant.
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
export class CorsOriginCache implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly byResolver = new Map<object, ResolverAnswers>();
  private readonly sources = new Map<object, LoadedOriginSet>();
  private readonly scopedSources = new Map<object, ScopedOriginSets>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly maxInFlight: number;
  private readonly maxQueued: number;
  private readonly queueWaitMs: number;

  constructor(@Inject(CORS_POLICY_MODULE_OPTIONS) options: CorsModuleOptions) {
    // Options that are not an object (a factory returning null) are reported at startup, not here.
    const settings = (options as CorsModuleOptions | null | undefined)?.resolverCache;
    this.ttlMs = settings?.ttlMs ?? DEFAULT_RESOLVER_CACHE_TTL_MS;
    this.maxEntries = settings?.maxEntries ?? DEFAULT_RESOLVER_CACHE_MAX_ENTRIES;
    this.maxInFlight = (options as CorsModuleOptions | null | undefined)?.resolverMaxInFlight ?? DEFAULT_RESOLVER_MAX_IN_FLIGHT;
    this.maxQueued = (options as CorsModuleOptions | null | undefined)?.resolverMaxQueued ?? DEFAULT_RESOLVER_MAX_QUEUED;
    this.queueWaitMs = (options as CorsModuleOptions | null | undefined)?.resolverTimeoutMs ?? DEFAULT_RESOLVER_TIMEOUT_MS;
  }

  /**
   * Forgets every resolver's answer for `origin` (exact `Origin` bytes, e.g. `https://app.example.com`)
   * and reloads every source. With `{ scope }`, only that tenant's answers of scoped classes
   * (unscoped classes forget the origin either way); without it, the origin in every scope.
   */
  invalidate(origin: string, options?: CorsInvalidateOptions): void {
    const scope = options?.scope;
    for (const resolver of this.byResolver.values()) {
      resolver.allowed.delete(origin);
      resolver.refused.delete(origin);
      resolver.pending.delete(origin);
      if (resolver.scoped) {
        const matches =
          scope === undefined ? (key: string) => isKeyOfOrigin(key, origin) : (key: string) => key === scopePrefix(scope) + origin;
        forgetKeys(resolver, matches);
      }
      resolver.generation++;
    }
    for (const source of this.sources.values()) source.invalidate(origin);
    for (const sets of this.scopedSources.values()) sets.invalidate(origin, scope);
  }

  /** Forgets every answer of one tenant (`scope`, as the classes' `scope()` names it) and reloads its sources' sets. */
  invalidateScope(scope: string): void {
    for (const resolver of this.byResolver.values()) {
      if (!resolver.scoped) continue;
      forgetKeys(resolver, (key) => isKeyOfScope(key, scope));
      resolver.generation++;
    }
    for (const sets of this.scopedSources.values()) sets.invalidateScope(scope);
  }

  /** Forgets every answer of every resolver and reloads every source. */
  invalidateAll(): void {
    for (const resolver of this.byResolver.values()) {
      resolver.allowed.clear();
      resolver.refused.clear();
      resolver.pending.clear();
      resolver.generation++;
    }
    for (const source of this.sources.values()) source.invalidateAll();
    for (const sets of this.scopedSources.values()) sets.invalidateAll();
  }

  /** How many answers (allowed and refused) are cached for a resolver (for tests and metrics). */
  size(resolver: object): number {
    const state = this.byResolver.get(resolver);
    return state === undefined ? 0 : state.allowed.size + state.refused.size;
  }

  /** How many calls of a resolver are under way (for tests and metrics): at most `resolverMaxInFlight`. */
  inFlight(resolver: object): number {
    return this.byResolver.get(resolver)?.slots.inFlight ?? 0;
  }

  /** How many lookups of a resolver wait for a slot (for tests and metrics): at most `resolverMaxQueued`. */
  queued(resolver: object): number {
    return this.byResolver.get(resolver)?.slots.queued ?? 0;
  }

  /**
   * The cached answer for `origin`, or the result of `ask()`, shared with every concurrent
   * caller and cached when it settles. `ask()` rejecting means "refuse, and do not cache";
   * so does a resolver too busy to ask (full queue, or a wait past `resolverTimeoutMs`).
   * @internal the origin checks' entry point, not part of the public API.
   */
  lookup(resolver: object, origin: string, ask: () => Promise<boolean>): boolean | Promise<boolean> {
    const cached = this.answerOf(resolver, origin);
    if (cached !== undefined) return cached;
    const outcome =
      this.pendingOf(resolver, origin) ??
      this.startLookup(resolver, origin, (release) => {
        const answer = ask();
        answer.then(release, release);
        return answer;
      });
    return outcome === undefined ? false : outcome.then((settled) => settled === true);
  }

  /**
   * The cached answer for `origin`, or the lookup already under way; `undefined` when neither
   * exists (then `lookup()` asks). Lets callers skip building the `ask` function on a hit.
   * @internal
   */
  peek(resolver: object, origin: string): boolean | Promise<boolean> | undefined {
    return this.answerOf(resolver, origin) ?? this.pendingOf(resolver, origin)?.then((settled) => settled === true);
  }

  /** The cached answer, synchronously: what most requests get. @internal */
  answerOf(resolver: object, origin: string): boolean | undefined {
    const state = this.byResolver.get(resolver);
    if (state === undefined) return undefined;
    const now = Date.now();
    if (state.allowed.has(origin, now)) return true;
    if (state.refused.has(origin, now)) return false;
    return undefined;
  }

  /** The lookup of `origin` under way, shared by every request that waits for it. @internal */
  pendingOf(resolver: object, origin: string): Promise<LookupOutcome> | undefined {
    return this.byResolver.get(resolver)?.pending.get(origin);
  }

  /**
   * Starts a shared lookup: at once when a `resolverMaxInFlight` slot is free, else once one is
   * (queued, first come first served, settling `'busy'` after `resolverTimeoutMs`). Requests
   * for the same origin share it while it waits too. `undefined` when the queue is full
   * (refuse at once, cache nothing). `ask` calls the resolver and calls `release` once that
   * call settles, however late: the slot is held until then.
   * @internal
   */
  startLookup(resolver: object, origin: string, ask: (release: ReleaseSlot) => Promise<boolean>): Promise<LookupOutcome> | undefined {
    const state = this.stateOf(resolver);
    const asked = state.slots.run(ask);
    if (asked === undefined) return undefined;
    const generation = state.generation;
    const lookup: Promise<LookupOutcome> = asked.then(
      (allowed) => {
        if (state.pending.get(origin) === lookup) state.pending.delete(origin);
        if (allowed !== BUSY && this.ttlMs > 0 && state.generation === generation) {
          (allowed ? state.allowed : state.refused).add(origin, Date.now() + this.ttlMs);
        }
        return allowed;
      },
      () => {
        if (state.pending.get(origin) === lookup) state.pending.delete(origin);
        return 'failed' as const;
      },
    );
    state.pending.set(origin, lookup);
    return lookup;
  }

  /** The loaded set of a `CorsOriginSource` rule, created once per class; loaded at app bootstrap. @internal */
  sourceSet(type: object, source: CorsOriginSource, name: string, settings: Omit<LoadedOriginSetSettings, 'ttlMs'>): LoadedOriginSet {
    let set = this.sources.get(type);
    if (set === undefined) this.sources.set(type, (set = new LoadedOriginSet(source, name, { ...settings, ttlMs: this.ttlMs })));
    return set;
  }

  /** The per-tenant sets of a scoped `CorsOriginSource` class, created once per class; each tenant loaded when first needed. @internal */
  scopedSourceSets(type: object, create: (ttlMs: number, maxEntries: number) => ScopedOriginSets): ScopedOriginSets {
    let sets = this.scopedSources.get(type);
    if (sets === undefined) this.scopedSources.set(type, (sets = create(this.ttlMs, this.maxEntries)));
    return sets;
  }

  /** Marks a resolver class as scoped: its keys are `scopedKey(scope, origin)`. @internal */
  markScoped(resolver: object): void {
    this.stateOf(resolver).scoped = true;
  }

  /** Loads every source before the app takes requests (a failed load is logged and retried; the app starts anyway). */
  async onApplicationBootstrap(): Promise<void> {
    await Promise.all([...this.sources.values()].map((source) => source.start()));
  }

  onModuleDestroy(): void {
    for (const source of this.sources.values()) source.stop();
    for (const sets of this.scopedSources.values()) sets.stop();
  }

  /** How many tenants a scoped source class holds loaded (for tests and metrics): at most `resolverCache.maxEntries` of each kind. */
  scopesLoaded(source: object): number {
    return this.scopedSources.get(source)?.size ?? 0;
  }

  private stateOf(resolver: object): ResolverAnswers {
    let state = this.byResolver.get(resolver);
    if (state === undefined) {
      const slots = new LookupSlots(this.maxInFlight, this.maxQueued, this.queueWaitMs);
      this.byResolver.set(resolver, (state = new ResolverAnswers(this.maxEntries, slots)));
    }
    return state;
  }
}

/** Drops the answers and lookups whose key `matches` (a scan: invalidation is rare, lookups are not). */
function forgetKeys(state: ResolverAnswers, matches: (key: string) => boolean): void {
  state.allowed.deleteWhere(matches);
  state.refused.deleteWhere(matches);
  for (const key of [...state.pending.keys()]) if (matches(key)) state.pending.delete(key);
}
