import type { CorsOriginFunction, CorsStaticOriginAnswer } from '../policy/cors-policy-options.interface.js';
import type { CorsRequest } from '../cors-request.interface.js';
import { isThenable } from '../is-thenable.js';

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
 *
 * The function answers with the boolean it returns, or the boolean its returned promise
 * resolves to. Anything else (`undefined`, a timer handle from an arrow function's body, a
 * promise of nothing) means "wait for the callback": the caller bounds that wait.
 */
export function callOriginFunction(fn: CorsOriginFunction, origin: string, request: CorsRequest): Promise<boolean> {
  return new Promise<boolean>((resolve, reject) => {
    const callback = (error: Error | null, answer?: CorsStaticOriginAnswer): void => {
      if (error) reject(error);
      else resolve(isAllowedByAnswer(origin, answer));
    };
    Object.setPrototypeOf(callback, request);
    const result: unknown = fn(origin, callback as unknown as CorsRequest & typeof callback);
    if (typeof result === 'boolean') resolve(result);
    else if (isThenable(result)) {
      result.then((answer) => {
        if (typeof answer === 'boolean') resolve(answer);
      }, reject);
    }
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
