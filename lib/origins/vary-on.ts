import type { CompileReport } from '../policy/policy-compiler.js';
import { isToken } from '../headers/header-tokens.js';
import { keepVaryField } from '../headers/vary.js';

/** Headers that never need to be in `varyOn`: the URL and `Host` already separate caches, `Origin` is always there. */
const IMPLIED = new Set(['host', 'origin']);

/**
 * A scoped class's `varyOn` (the request headers its `scope()` reads besides `Host` and the
 * URL), checked at startup: an array of header names, else an error naming the class.
 */
export function checkVaryOn(instance: object, className: string, declaredAt: string, report: CompileReport): readonly string[] {
  const varyOn = (instance as { varyOn?: unknown }).varyOn;
  if (varyOn === undefined) return [];
  const names = Array.isArray(varyOn) ? (varyOn as unknown[]) : undefined;
  const invalid = names === undefined ? [varyOn] : names.filter((name) => typeof name !== 'string' || !isToken(name));
  if (names === undefined || invalid.length > 0) {
    report.errors.push({
      option: 'origin',
      declaredAt,
      problem: `${className}.varyOn must be an array of request header names, got ${describe(invalid[0])}`,
      fix: `declare the headers scope() reads, e.g. readonly varyOn = ['X-Tenant-Id'] as const`,
    });
    return [];
  }
  const fields = (names as string[]).filter((name) => !IMPLIED.has(name.toLowerCase()));
  // A handler that sets its own `Vary` must not drop them, as it cannot drop `Origin`.
  for (const field of fields) keepVaryField(field);
  return fields;
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value.slice(0, 60)) : value === null ? 'null' : typeof value;
}
