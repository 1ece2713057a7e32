import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CorsRequest, PlatformRequest } from '../cors-request.interface.js';
import { isThenable } from '../is-thenable.js';

type Next = (error?: unknown) => void;
type Middleware = (req: CorsRequest, res: ServerResponse, next: Next, platformRequest: PlatformRequest) => void;

/** The part of a Fastify request and reply the hook reads. */
interface FastifyRequestLike {
  readonly raw: IncomingMessage;
  readonly hostname?: string;
}
interface FastifyReplyLike {
  readonly raw: ServerResponse;
}

/** Nest's request hook: called with `(request, reply, done)`, may return a promise instead of calling `done`. */
type RequestHook = (this: unknown, request: FastifyRequestLike, reply: FastifyReplyLike, done: Next) => unknown;

/** The part of Nest's `FastifyAdapter` the hook is installed through. */
interface HookSlotAdapter {
  setOnRequestHook(hook: RequestHook): void;
  /**
   * The hook `setOnRequestHook` stored, read to keep one set before us: a declared field of
   * NestJS 12's `FastifyAdapter`; NestJS 11.2's creates it only when a hook is set (until then
   * the module uses `adapter.use()` there).
   */
  onRequestHook?: RequestHook;
}

/**
 * Runs the CORS middleware from `FastifyAdapter.setOnRequestHook()`: the request hook the adapter
 * adds in its constructor, so it runs before every other `onRequest` hook, before Nest's CSRF
 * check and before `@fastify/middie` (Nest middleware and `app.use()`), whenever those are
 * registered. Going through middie instead would cost every request middie's work (copying
 * `ip`, `ips`, `hostname`, `query` onto the raw request, matching the mount paths): 10 to 19
 * thousand instructions, 8 to 15 % of a small Fastify request (bench/results/2026-12-03-fastify.md).
 *
 * The slot holds one hook: one already set is run after the middleware, and so is one set
 * later (`setOnRequestHook` is wrapped). Returns `false`, and installs nothing, when the adapter
 * has no such slot (then the caller installs the middleware with `adapter.use()`).
 */
export function installFastifyCorsHook(adapter: object, middleware: Middleware): boolean {
  const target = adapter as Partial<HookSlotAdapter>;
  const setOnRequestHook = target.setOnRequestHook;
  // The field is how a hook set earlier is known; without it, it could be overwritten silently.
  if (typeof setOnRequestHook !== 'function' || !Object.prototype.hasOwnProperty.call(adapter, 'onRequestHook')) return false;
  let after: RequestHook | undefined = target.onRequestHook;
  const corsHook: RequestHook = function (this: unknown, request, reply, done) {
    const userHook = after;
    if (userHook === undefined) return middleware(request.raw, reply.raw, done, request);
    middleware(
      request.raw,
      reply.raw,
      (error) => (error === undefined || error === null ? runHook(userHook, this, request, reply, done) : done(error)),
      request,
    );
  };
  setOnRequestHook.call(adapter, corsHook);
  target.setOnRequestHook = (hook: RequestHook) => {
    after = hook;
  };
  return true;
}

/** Runs a request hook as Nest's adapter does: `done` called once, a returned promise awaited. */
function runHook(hook: RequestHook, self: unknown, request: FastifyRequestLike, reply: FastifyReplyLike, done: Next): void {
  let called = false;
  const once: Next = (error) => {
    if (called) return;
    called = true;
    done(error);
  };
  try {
    const result: unknown = hook.call(self, request, reply, once);
    if (isThenable(result))
      result.then(
        () => once(),
        (error: unknown) => once(error ?? new Error('request hook rejected')),
      );
  } catch (error) {
    once(error);
  }
}
