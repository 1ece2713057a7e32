import type { Logger } from '@nestjs/common';
import { BurstLog } from '../decisions/burst-log.js';
import type { CorsRequest } from '../cors-request.interface.js';
import { MAX_SCOPE_LENGTH } from './scoped-key.js';

/** A burst of failing `scope()` calls is logged once; a new burst starts after this much quiet. */
const SCOPE_FAILURE_BURST_MS = 10_000;

/** Reads a request's scope with a class's `scope()`: `undefined` when it has none (refused as `'no scope'`). */
export type ScopeReader = (request: CorsRequest) => string | undefined;

/** What a scoped class adds to its origin check, for the policy it is compiled into. */
export interface ScopedCheckInfo {
  /** The class's name, for the policy map. */
  readonly scopedBy: string;
  readonly readScope: ScopeReader;
  /** The class's `varyOn`, validated. */
  readonly varyOn: readonly string[];
}

const SCOPE_INFO = Symbol('nestjs-cors-policy:scope-info');
type MarkedCheck = { [SCOPE_INFO]?: ScopedCheckInfo };

/** The members a scoped resolver or source has. */
interface ScopedInstance {
  scope(request: CorsRequest): unknown;
  readonly varyOn?: unknown;
}

/** Whether a resolver or source instance is scoped: it has a `scope()` method. */
export function isScopedInstance(instance: object): instance is ScopedInstance {
  return typeof (instance as Partial<ScopedInstance>).scope === 'function';
}

/**
 * Wraps `scope()`: a scope that is not a string, is longer than {@link MAX_SCOPE_LENGTH}, or a
 * `scope()` that throws gives `undefined` (the request is refused without asking). A throw is
 * logged once per burst: the request is not the cause, the class is.
 */
export function scopeReaderOf(instance: ScopedInstance, name: string, logger: Logger): ScopeReader {
  const failures = new BurstLog(SCOPE_FAILURE_BURST_MS);
  return (request) => {
    try {
      const scope = instance.scope(request);
      return typeof scope === 'string' && scope.length <= MAX_SCOPE_LENGTH ? scope : undefined;
    } catch (error) {
      failures.record((suppressed) => {
        const more = suppressed > 0 ? ` (${suppressed} more since the last report)` : '';
        const cause = error instanceof Error ? error.message : String(error);
        logger.error(`${name}.scope() threw, the request's origin is refused without asking ('no scope'): ${cause}${more}`);
      });
      return undefined;
    }
  };
}

/** Attaches a scoped class's info to its check, for the policy compiler. */
export function withScopeInfo<T extends object>(check: T, info: ScopedCheckInfo): T {
  (check as MarkedCheck)[SCOPE_INFO] = info;
  return check;
}

/** The scoped class's info of a compiled check, if it is scoped. */
export function scopeInfoOf(check: object): ScopedCheckInfo | undefined {
  return (check as MarkedCheck)[SCOPE_INFO];
}

/** For a `debug` line: the tenant a scoped policy's request is for (`''` for an unscoped policy). */
export function scopeNote(policy: { readonly scope: { readonly read: ScopeReader } | undefined }, request: CorsRequest): string {
  if (policy.scope === undefined) return '';
  const scope = policy.scope.read(request);
  return scope === undefined ? 'no scope' : `scope ${JSON.stringify(scope)}`;
}
