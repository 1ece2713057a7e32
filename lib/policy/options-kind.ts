import type { CorsConfigurationProblem } from './cors-configuration.error.js';

/**
 * What a value is when it is not an options object, or `undefined` when it is one. Policies
 * are compiled at startup, so a delegate, a list, a promise or `null` where options belong
 * must stop the app, never fall back to the defaults (origin `'*'`).
 */
export function describeNonOptions(value: unknown): string | undefined {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'function') return 'a function';
  if (typeof value !== 'object') return `a ${typeof value}`;
  if (value instanceof RegExp) return 'a RegExp';
  if (typeof (value as { then?: unknown }).then === 'function') return 'a promise';
  return undefined;
}

/**
 * What `CorsModule.forRoot()` provides in place of a value that is not options (Nest's builder
 * would copy its keys into `{}`), so that startup reports it with the others.
 */
export class RejectedModuleOptions {
  constructor(
    readonly value: unknown,
    readonly kind: string,
  ) {}
}

const PER_REQUEST_FIX =
  'pass the options object itself; for per-request decisions use an origin function ' +
  '(origin: (origin, request) => boolean) or a resolver class (origin: [TrustedOrigins]), and @CorsPolicy() per route';

/** The startup error for module options that are not an options object, or `undefined`. */
export function moduleOptionsProblem(options: unknown): CorsConfigurationProblem | undefined {
  const fromForRoot = options instanceof RejectedModuleOptions;
  const kind = fromForRoot ? options.kind : describeNonOptions(options);
  if (kind === undefined) return undefined;
  const declaredAt = fromForRoot ? 'CorsModule.forRoot' : 'CorsModule.forRootAsync (the options its factory returned)';
  if (kind === 'a function') {
    return {
      option: 'options',
      declaredAt,
      problem:
        'must be an options object, got a function; an options delegate such as app.enableCors((request, callback) => callback(null, options)) ' +
        'has no equivalent, since every policy is compiled and checked when the app starts',
      fix: PER_REQUEST_FIX,
    };
  }
  return {
    option: 'options',
    declaredAt,
    problem: `must be an options object, got ${kind}`,
    fix:
      kind === 'a promise' && fromForRoot
        ? 'for options computed asynchronously use CorsModule.forRootAsync({ useFactory: async () => ({ origin: [...] }) })'
        : "pass an object such as { origin: ['https://app.example.com'] }",
  };
}

/**
 * The startup error for a policy that is not an options object: a named policy (`forms`
 * undefined), or a `@CorsPolicy()` argument or a `paths` value, which may also be a name or
 * `false` (`forms`: how to write those there).
 */
export function notAPolicyProblem(option: string, declaredAt: string, kind: string, forms?: string): CorsConfigurationProblem {
  const delegate = kind === 'a function' ? ' (a policy is compiled at startup: an options delegate has no equivalent)' : '';
  return {
    option,
    declaredAt,
    problem: `must be an options object${forms === undefined ? '' : ', a policy name or false'}, got ${kind}${delegate}`,
    fix:
      `write ${forms ?? '{ origin: [...], ... }'}; for per-request decisions use an origin function ` +
      '(origin: (origin, request) => boolean) or a resolver class (origin: [TrustedOrigins])',
  };
}
