/** The router options of a Fastify instance that decide which route serves a path (find-my-way's). */
export interface FastifyRouterOptions {
  readonly caseSensitive?: boolean;
  readonly ignoreTrailingSlash?: boolean;
  readonly ignoreDuplicateSlashes?: boolean;
  readonly maxParamLength?: number;
  readonly allowUnsafeRegex?: boolean;
  readonly useSemicolonDelimiter?: boolean;
}

/**
 * The part of a Fastify instance this library reads. Typed here rather than imported from
 * `fastify`, which is not a dependency of the library (Express apps do not have it).
 */
export interface FastifyInstanceLike {
  readonly initialConfig: FastifyRouterOptions & {
    /** Fastify 5.x groups the router options here; the top-level ones are the older spelling. */
    readonly routerOptions?: FastifyRouterOptions;
    readonly exposeHeadRoutes?: boolean;
  };
  /** Every method the instance serves, custom ones included (what `@All()` registers). */
  readonly supportedMethods: readonly string[];
  hasPlugin(name: string): boolean;
  addHook(name: 'onReady', hook: (this: FastifyInstanceLike) => Promise<void>): unknown;
}

/** Tells a Fastify instance (from `adapter.getInstance()`) from an Express app. */
export function isFastifyInstance(instance: unknown): instance is FastifyInstanceLike {
  if (typeof instance !== 'object' && typeof instance !== 'function') return false;
  if (instance === null) return false;
  const candidate = instance as Partial<FastifyInstanceLike>;
  return typeof candidate.hasPlugin === 'function' && typeof candidate.initialConfig === 'object';
}

/**
 * The options the app's router runs with. `initialConfig` holds both spellings, and fills
 * `routerOptions` with the defaults where only the top-level option was set: so a non-default
 * value in either place is the one in force (as `FastifyAdapter.getRouteMatchingOptions()` reads them).
 */
export function readRouterOptions(instance: FastifyInstanceLike): Required<FastifyRouterOptions> {
  const config = instance.initialConfig;
  const router = config.routerOptions ?? {};
  const either = (key: 'ignoreTrailingSlash' | 'ignoreDuplicateSlashes' | 'allowUnsafeRegex' | 'useSemicolonDelimiter') =>
    router[key] === true || config[key] === true;
  return {
    caseSensitive: router.caseSensitive !== false && config.caseSensitive !== false,
    ignoreTrailingSlash: either('ignoreTrailingSlash'),
    ignoreDuplicateSlashes: either('ignoreDuplicateSlashes'),
    maxParamLength: maxParamLengthOf(router.maxParamLength, config.maxParamLength),
    allowUnsafeRegex: either('allowUnsafeRegex'),
    useSemicolonDelimiter: either('useSemicolonDelimiter'),
  };
}

const DEFAULT_MAX_PARAM_LENGTH = 100;

/** 0 and unset mean the default; a non-default `routerOptions` value wins, else the lower one. */
function maxParamLengthOf(fromRouterOptions: number | undefined, topLevel: number | undefined): number {
  const router = fromRouterOptions || DEFAULT_MAX_PARAM_LENGTH;
  const top = topLevel || DEFAULT_MAX_PARAM_LENGTH;
  return router === DEFAULT_MAX_PARAM_LENGTH ? Math.min(router, top) : router;
}
