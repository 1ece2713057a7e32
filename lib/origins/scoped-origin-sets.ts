import type { CorsOriginSource } from './cors-origin-source.interface.js';
import { LoadedOriginSet, type LoadedOriginSetSettings } from './loaded-origin-set.js';

/** How the tenants of a scoped source are kept: the set settings, plus the bounds. */
export interface ScopedOriginSetsSettings extends Omit<LoadedOriginSetSettings, 'lazy' | 'onLoad'> {
  /** Tenants kept of each kind (trusting some origin, trusting none): `resolverCache.maxEntries`. */
  readonly maxEntries: number;
  /** First loads under way at once (`resolverMaxInFlight`): a flood of made-up tenants waits for none of them. */
  readonly maxLoading: number;
}

/**
 * The per-tenant sets of one scoped `CorsOriginSource`: a tenant's set is loaded
 * (`loadOrigins(scope)`) the first time a request needs it, then kept and reloaded when it is
 * older than `ttlMs`. Tenants are kept in two bounded spaces, those that trust some origin and
 * those that trust none (unknown tenants, a flood of made-up `Host`s), so the second never
 * evicts the first. Each space drops its oldest tenant beyond `maxEntries`.
 */
export class ScopedOriginSets {
  private readonly trusting = new Map<string, LoadedOriginSet>();
  private readonly empty = new Map<string, LoadedOriginSet>();
  private firstLoads = 0;

  constructor(
    private readonly source: CorsOriginSource,
    private readonly name: string,
    private readonly settings: ScopedOriginSetsSettings,
  ) {}

  /** Tenants held (both spaces). */
  get size(): number {
    return this.trusting.size + this.empty.size;
  }

  /** The tenant's set, its first load started if needed; `undefined` when `maxLoading` first loads are already under way. */
  setOf(scope: string): LoadedOriginSet | undefined {
    const known = this.trusting.get(scope) ?? this.empty.get(scope);
    if (known !== undefined) {
      known.use(Date.now());
      return known;
    }
    if (this.firstLoads >= this.settings.maxLoading) return undefined;
    const source = this.source;
    const set: LoadedOriginSet = new LoadedOriginSet(
      { loadOrigins: () => source.loadOrigins(scope) },
      `${this.name} (scope ${JSON.stringify(scope)})`,
      {
        ...this.settings,
        lazy: true,
        onLoad: () => this.file(scope, set),
      },
    );
    this.put(this.empty, scope, set);
    this.firstLoads++;
    void set.start().then(() => this.firstLoads--);
    return set;
  }

  /** `origin` changed for `scope` (or, without it, for every tenant): the tenants that held it drop it and reload, the others reload on their next request. */
  invalidate(origin: string, scope: string | undefined): void {
    if (scope !== undefined) {
      (this.trusting.get(scope) ?? this.empty.get(scope))?.invalidate(origin);
      return;
    }
    for (const set of this.all()) {
      if (set.origins.has(origin)) set.invalidate(origin);
      else set.markStale();
    }
  }

  /** Forgets one tenant's set: its next request loads it again (and waits for that load). */
  invalidateScope(scope: string): void {
    for (const space of [this.trusting, this.empty]) {
      space.get(scope)?.stop();
      space.delete(scope);
    }
  }

  /** Forgets every tenant's set. */
  invalidateAll(): void {
    this.stop();
    this.trusting.clear();
    this.empty.clear();
  }

  stop(): void {
    for (const set of this.all()) set.stop();
  }

  private all(): LoadedOriginSet[] {
    return [...this.trusting.values(), ...this.empty.values()];
  }

  /** After a load: the tenant goes to the space of what it holds now (unless it was forgotten meanwhile). */
  private file(scope: string, set: LoadedOriginSet): void {
    const trusts = set.origins.size > 0;
    const [from, to] = trusts ? [this.empty, this.trusting] : [this.trusting, this.empty];
    if (from.get(scope) !== set) return;
    from.delete(scope);
    this.put(to, scope, set);
  }

  private put(space: Map<string, LoadedOriginSet>, scope: string, set: LoadedOriginSet): void {
    space.set(scope, set);
    if (space.size <= this.settings.maxEntries) return;
    const [oldestScope, oldest] = space.entries().next().value as [string, LoadedOriginSet];
    oldest.stop();
    space.delete(oldestScope);
  }
}
