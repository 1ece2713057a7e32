import { BurstLog } from '../decisions/burst-log.js';
import type { Logger } from '@nestjs/common';
import type { ModuleRef } from '@nestjs/core';
import type { CorsOriginFunction } from '../policy/cors-policy-options.interface.js';
import type { CorsOriginResolver } from './cors-origin-resolver.interface.js';
import type { CorsOriginCache, LookupOutcome } from './cors-origin-cache.js';
import type { CorsOriginSource } from './cors-origin-source.interface.js';
import type { CorsRequest } from '../cors-request.interface.js';
import { markDynamicRefusal } from '../decisions/cors-refusal.js';
import { callOriginFunction, withTimeout } from './origin-function.js';
import type { DynamicOriginCheck, LoadedOrigins } from './origin-matcher.js';
import type { CompileReport, DynamicCheckFactory } from '../policy/policy-compiler.js';
import { isScopedInstance, scopeReaderOf, withScopeInfo, type ScopedCheckInfo } from './origin-scope.js';
import { scopedKey } from './scoped-key.js';
import { ScopedOriginSets } from './scoped-origin-sets.js';
import { checkVaryOn } from './vary-on.js';

/** A burst of failures is logged once; a new burst starts after this much quiet. */
const FAILURE_BURST_MS = 10_000;
/**
 * A resolver call that never settles (a leaked promise) gives its `resolverMaxInFlight` slot
 * back after this many timeouts, so that the resolver cannot stay busy for ever.
 */
const SLOT_HELD_AT_MOST_TIMEOUTS = 10;

/** Logs the first failure of a burst and how many followed, never one line per request. */
class FailureLog {
  private readonly burst = new BurstLog(FAILURE_BURST_MS);

  constructor(
    private readonly logger: Logger,
    private readonly name: string,
  ) {}

  record(error: unknown): void {
    this.burst.record((suppressed) => {
      const more = suppressed > 0 ? ` (${suppressed} more failures since the last report)` : '';
      const cause = error instanceof Error ? error.message : String(error);
      this.logger.error(`${this.name} failed, the origin is refused (fail closed): ${cause}${more}`);
    });
  }
}

/** The bounds a resolver is busy beyond, for the busy log line. */
export interface ResolverBusyBounds {
  readonly maxInFlight: number;
  readonly maxQueued: number;
}

/** Logs the first "resolver busy" refusal of a burst, and how many followed; `situation` says what is busy and what to raise. */
class BusyLog {
  private readonly burst = new BurstLog(FAILURE_BURST_MS);

  constructor(
    private readonly logger: Logger,
    private readonly situation: string,
  ) {}

  record(): void {
    this.burst.record((suppressed) => {
      const more = suppressed > 0 ? ` (${suppressed} more since the last report)` : '';
      this.logger.warn(`${this.situation}${more}`);
    });
  }
}

/** A resolver's busy line: its slots taken and its queue full, or a wait past resolverTimeoutMs. */
function resolverBusyLine(name: string, bounds: ResolverBusyBounds): string {
  return (
    `${name} has ${bounds.maxInFlight} lookups in flight (resolverMaxInFlight) and a full queue ` +
    `of ${bounds.maxQueued} (resolverMaxQueued), or a lookup waited longer than resolverTimeoutMs: uncached ` +
    'origins are refused without asking it. If this is not a flood of made-up origins, raise resolverMaxInFlight ' +
    'or resolverMaxQueued, or load the origins with a CorsOriginSource'
  );
}

/** A scoped source's busy line: as many tenants loading at once as resolverMaxInFlight allows (it has no queue). */
function scopedSourceBusyLine(name: string, bounds: ResolverBusyBounds): string {
  return (
    `${name} is loading ${bounds.maxInFlight} tenants at once (resolverMaxInFlight): requests for tenants not loaded ` +
    'yet are refused without loading them. If this is not a flood of made-up tenants, raise resolverMaxInFlight'
  );
}

/** A `CorsOriginResolver` class: it has `isOriginAllowed()` on its prototype. */
export function isResolverClass(rule: Function): rule is new (...args: never[]) => CorsOriginResolver {
  return typeof (rule.prototype as Partial<CorsOriginResolver> | undefined)?.isOriginAllowed === 'function';
}

/** A `CorsOriginSource` class: it has `loadOrigins()` on its prototype. */
export function isSourceClass(rule: Function): rule is new (...args: never[]) => CorsOriginSource {
  return typeof (rule.prototype as Partial<CorsOriginSource> | undefined)?.loadOrigins === 'function';
}

/** What a request that waited on a shared lookup gets: the answer, or a refusal marked as a failure or busy. */
function answerFor(request: CorsRequest, outcome: LookupOutcome, busy: BusyLog): boolean {
  if (outcome === 'failed') {
    markDynamicRefusal(request, 'resolver failed');
    return false;
  }
  if (outcome === 'busy') {
    busy.record();
    markDynamicRefusal(request, 'resolver busy');
    return false;
  }
  return outcome;
}

/** A scoped class's request without a scope: refused without asking anyone. */
function refuseWithoutScope(request: CorsRequest): false {
  markDynamicRefusal(request, 'no scope');
  return false;
}

/**
 * Builds the checks of function and resolver rules: resolvers are taken from Nest's container
 * and cached; both time out after `timeoutMs` and fail closed with a log line per burst.
 */
export function createDynamicCheckFactory(
  moduleRef: ModuleRef,
  cache: CorsOriginCache,
  timeoutMs: number,
  logger: Logger,
  bounds: ResolverBusyBounds,
): DynamicCheckFactory {
  const checks = new Map<Function, DynamicOriginCheck | LoadedOrigins>();
  return (rule: Function, declaredAt: string, report: CompileReport): DynamicOriginCheck | LoadedOrigins => {
    const known = checks.get(rule);
    if (known !== undefined) return known;
    const check = isSourceClass(rule)
      ? sourceSet(rule, declaredAt, report)
      : isResolverClass(rule)
        ? resolverCheck(rule, declaredAt, report)
        : functionCheck(rule as CorsOriginFunction, new FailureLog(logger, `Origin function ${rule.name || '(anonymous)'}`));
    checks.set(rule, check);
    return check;
  };

  /** The provider instance of a resolver or source class, or an error naming where to add it. */
  function provided<T>(type: new (...args: never[]) => T, kind: string, declaredAt: string, report: CompileReport): T | undefined {
    try {
      return moduleRef.get(type, { strict: false });
    } catch {
      report.errors.push({
        option: 'origin',
        declaredAt,
        problem: `the ${kind} ${type.name} is not provided by any module`,
        fix: `add ${type.name} to the providers of the module that owns its dependencies, e.g. @Module({ providers: [${type.name}] })`,
      });
      return undefined;
    }
  }

  function sourceSet(
    type: new (...args: never[]) => CorsOriginSource,
    declaredAt: string,
    report: CompileReport,
  ): LoadedOrigins | DynamicOriginCheck {
    if (isResolverClass(type)) {
      report.errors.push({
        option: 'origin',
        declaredAt,
        problem: `${type.name} has both loadOrigins() (a CorsOriginSource) and isOriginAllowed() (a CorsOriginResolver)`,
        fix: 'keep one: loadOrigins() to load the whole set in memory, isOriginAllowed() to be asked per origin',
      });
    }
    const source = provided(type, 'origin source', declaredAt, report);
    if (source === undefined) return { origins: new Set(), missed: () => false };
    const info = scopedInfo(source, type, 'origin source', declaredAt, report);
    if (info !== undefined) return scopedSourceCheck(type, source, info);
    return cache.sourceSet(type, source, `Origin source ${type.name}`, { timeoutMs, logger });
  }

  function resolverCheck(
    type: new (...args: never[]) => CorsOriginResolver,
    declaredAt: string,
    report: CompileReport,
  ): DynamicOriginCheck {
    const resolver = provided(type, 'resolver', declaredAt, report);
    if (resolver === undefined) return () => false;
    const failures = new FailureLog(logger, `Resolver ${type.name}`);
    const busy = new BusyLog(logger, resolverBusyLine(`Resolver ${type.name}`, bounds));
    const describe = () => `Resolver ${type.name}`;
    const ask = (origin: string, request: CorsRequest, scope: string | undefined, release: () => void): Promise<boolean> => {
      const call = Promise.resolve().then(() =>
        scope === undefined ? resolver.isOriginAllowed(origin, request) : resolver.isOriginAllowed(origin, request, scope),
      );
      // The slot is given back when the resolver's call settles, not when it times out: a
      // timed-out query still holds its database connection.
      const leak = setTimeout(release, timeoutMs * SLOT_HELD_AT_MOST_TIMEOUTS);
      leak.unref();
      const settled = (): void => {
        clearTimeout(leak);
        release();
      };
      call.then(settled, settled);
      return withTimeout(call, timeoutMs, describe).then(
        (allowed) => allowed === true,
        (error: unknown) => {
          failures.record(error);
          throw error;
        },
      );
    };
    // `key` is the origin, or `scopedKey(scope, origin)`: one cache, one in-flight bound per class.
    // Only misses come here: a cached answer is returned synchronously, without building the lookup.
    const miss = (key: string, origin: string, request: CorsRequest, scope: string | undefined): boolean | Promise<boolean> => {
      const lookup = cache.pendingOf(type, key) ?? cache.startLookup(type, key, (release) => ask(origin, request, scope, release));
      if (lookup === undefined) {
        busy.record();
        markDynamicRefusal(request, 'resolver busy');
        return false;
      }
      return lookup.then((outcome) => answerFor(request, outcome, busy));
    };
    const info = scopedInfo(resolver, type, 'resolver', declaredAt, report);
    if (info === undefined) {
      return (origin, request) => cache.answerOf(type, origin) ?? miss(origin, origin, request, undefined);
    }
    cache.markScoped(type);
    const { readScope } = info;
    return withScopeInfo((origin: string, request: CorsRequest) => {
      const scope = readScope(request);
      if (scope === undefined) return refuseWithoutScope(request);
      const key = scopedKey(scope, origin);
      return cache.answerOf(type, key) ?? miss(key, origin, request, scope);
    }, info);
  }

  function scopedSourceCheck(
    type: new (...args: never[]) => CorsOriginSource,
    source: CorsOriginSource,
    info: ScopedCheckInfo,
  ): DynamicOriginCheck {
    const name = `Origin source ${type.name}`;
    const sets = cache.scopedSourceSets(
      type,
      (ttlMs, maxEntries) => new ScopedOriginSets(source, name, { ttlMs, timeoutMs, logger, maxEntries, maxLoading: bounds.maxInFlight }),
    );
    const busy = new BusyLog(logger, scopedSourceBusyLine(name, bounds));
    const { readScope } = info;
    return withScopeInfo((origin: string, request: CorsRequest) => {
      const scope = readScope(request);
      if (scope === undefined) return refuseWithoutScope(request);
      const set = sets.setOf(scope);
      if (set === undefined) {
        busy.record();
        markDynamicRefusal(request, 'resolver busy');
        return false;
      }
      return set.origins.has(origin) || set.missed(origin, request);
    }, info);
  }

  /** The scope of a scoped class (it has `scope()`), with its `varyOn` checked; `undefined` for an unscoped one. */
  function scopedInfo(
    instance: object,
    type: Function,
    kind: string,
    declaredAt: string,
    report: CompileReport,
  ): ScopedCheckInfo | undefined {
    const varyOn = checkVaryOn(instance, type.name, declaredAt, report);
    if (!isScopedInstance(instance)) {
      if (varyOn.length > 0) {
        report.warnings.push({
          option: 'origin',
          declaredAt,
          problem: `the ${kind} ${type.name} has varyOn but no scope() method: it is not scoped, and varyOn is ignored`,
          fix: `add scope(request) to ${type.name} (the tenant its request is for), or remove varyOn`,
        });
      }
      return undefined;
    }
    return { scopedBy: type.name, readScope: scopeReaderOf(instance, type.name, logger), varyOn };
  }

  function functionCheck(fn: CorsOriginFunction, failures: FailureLog): DynamicOriginCheck {
    return (origin, request) =>
      withTimeout(callOriginFunction(fn, origin, request), timeoutMs, () => `Origin function ${fn.name || '(anonymous)'}`).catch(
        (error: unknown) => {
          failures.record(error);
          markDynamicRefusal(request, 'resolver failed');
          return false;
        },
      );
  }
}
