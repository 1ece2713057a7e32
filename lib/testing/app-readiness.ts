import type { CorsTestTarget } from './http-exchange.js';

/** How a Nest app's HTTP adapter looks to the kit (read by duck typing: the kit loads no platform package). */
interface AdapterLike {
  getType?(): string;
  getInstance?(): unknown;
}

/**
 * What must happen before an app answers requests, or `undefined` when nothing must. A Fastify
 * instance routes requests only once `ready()` has loaded its plugins; `app.init()` does not
 * call it and `app.listen()` does, so an app that was initialised but never listened crashes
 * inside Fastify on its first request (`fastify/lib/hooks.js`) and never answers.
 * `ready()` is idempotent: calling it on an app that is ready already costs nothing.
 */
export function readinessOf(target: CorsTestTarget): (() => Promise<void>) | undefined {
  const getHttpAdapter = (target as { getHttpAdapter?: unknown }).getHttpAdapter;
  if (typeof getHttpAdapter !== 'function') return undefined;
  const adapter = getHttpAdapter.call(target) as AdapterLike | undefined;
  if (adapter?.getType?.() !== 'fastify') return undefined;
  const instance = adapter.getInstance?.() as { ready?: () => PromiseLike<unknown> } | undefined;
  const ready = instance?.ready;
  if (typeof ready !== 'function') return undefined;
  return async () => {
    await ready.call(instance);
  };
}

/** The hint of a timeout: what usually keeps an app from answering. */
export const NO_ANSWER_HINT =
  'is the app initialised (await app.init())? A Fastify app passed as its HTTP server must be ready first: ' +
  'await app.getHttpAdapter().getInstance().ready(), or pass the app itself to createCorsBrowser';
