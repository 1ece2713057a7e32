import { BurstLog } from './burst-log.js';
import type { Logger } from '@nestjs/common';
import type { ModuleRef } from '@nestjs/core';
import type { CorsOriginFunction } from './cors-policy-options.interface.js';
import type { CorsOriginResolver } from './cors-origin-resolver.interface.js';
import type { CorsOriginCache } from './cors-origin-cache.js';
import { markDynamicRefusal } from './cors-refusal.js';
import { callOriginFunction, withTimeout } from './origin-function.js';
import type { DynamicOriginCheck } from './origin-matcher.js';
import type { CompileReport, DynamicCheckFactory } from './policy-compiler.js';

/** A burst of failures is logged once; a new burst starts after this much quiet. */
const FAILURE_BURST_MS = 10_000;

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

export function isResolverClass(rule: Function): rule is new (...args: never[]) => CorsOriginResolver {
  return typeof (rule.prototype as Partial<CorsOriginResolver> | undefined)?.isOriginAllowed === 'function';
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
): DynamicCheckFactory {
  const checks = new Map<Function, DynamicOriginCheck>();
  return (rule: Function, declaredAt: string, report: CompileReport): DynamicOriginCheck => {
    const known = checks.get(rule);
    if (known !== undefined) return known;
    const check = isResolverClass(rule)
      ? resolverCheck(rule, declaredAt, report)
      : functionCheck(rule as CorsOriginFunction, new FailureLog(logger, `Origin function ${rule.name || '(anonymous)'}`));
    checks.set(rule, check);
    return check;
  };

  function resolverCheck(
    type: new (...args: never[]) => CorsOriginResolver,
    declaredAt: string,
    report: CompileReport,
  ): DynamicOriginCheck {
    let resolver: CorsOriginResolver;
    try {
      resolver = moduleRef.get(type, { strict: false });
    } catch {
      report.errors.push({
        option: 'origin',
        declaredAt,
        problem: `the resolver ${type.name} is not provided by any module`,
        fix: `add ${type.name} to the providers of the module that owns its dependencies, e.g. @Module({ providers: [${type.name}] })`,
      });
      return () => false;
    }
    const failures = new FailureLog(logger, `Resolver ${type.name}`);
    const describe = () => `Resolver ${type.name}`;
    // A cached answer is returned synchronously, without building the lookup.
    return (origin, request) =>
      cache.peek(type, origin) ??
      cache.lookup(type, origin, () =>
        withTimeout(
          Promise.resolve().then(() => resolver.isOriginAllowed(origin, request)),
          timeoutMs,
          describe,
        ).then(
          (allowed) => allowed === true,
          (error: unknown) => {
            failures.record(error);
            throw error;
          },
        ),
      );
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
