import type { CorsOriginFunction, CorsStaticOriginAnswer } from './cors-policy-options.interface.js';
import type { CorsRequest } from './cors-request.interface.js';

/** Interprets what a `cors`-style callback answered: a boolean, or a rule to test the origin against. */
export function isAllowedByAnswer(origin: string, answer: CorsStaticOriginAnswer | undefined): boolean {
  if (Array.isArray(answer)) return answer.some((item) => isAllowedByAnswer(origin, item));
  if (typeof answer === 'string') return answer === '*' || answer === origin;
  if (answer instanceof RegExp) return answer.test(origin);
  return answer === true;
}

/**
 * Calls an origin function in either of its forms. The second argument is a function that
 * settles the callback form and inherits the request's properties, so a predicate reading
 * `request.headers` and a callback-form function both work with one call.
 */
export function callOriginFunction(fn: CorsOriginFunction, origin: string, request: CorsRequest): Promise<boolean> {
  return new Promise<boolean>((resolve, reject) => {
    const callback = (error: Error | null, answer?: CorsStaticOriginAnswer): void => {
      if (error) reject(error);
      else resolve(isAllowedByAnswer(origin, answer));
    };
    Object.setPrototypeOf(callback, request);
    const result = fn(origin, callback as unknown as CorsRequest & typeof callback);
    // A predicate answers by returning; the callback form returns nothing and calls back.
    if (result !== undefined) Promise.resolve(result).then((allowed) => resolve(allowed === true), reject);
  });
}

/** Rejects after `ms` milliseconds unless `promise` settles first; the timer never keeps the process alive. */
export function withTimeout<T>(promise: Promise<T>, ms: number, describe: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${describe()} did not answer within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
