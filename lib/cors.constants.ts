/** Metadata key under which `@CorsPolicy()` stores its normalised argument. */
export const CORS_POLICY_METADATA = 'nestjs-cors-policy:policy';

/** Injection token of the options given to `CorsModule.forRoot()` / `forRootAsync()`. */
export const CORS_POLICY_MODULE_OPTIONS = Symbol.for('nestjs-cors-policy:module-options');

/** The `cors` package's defaults, so that `CorsModule.forRoot(o)` sends what `app.enableCors(o)` sends. */
export const CORS_PACKAGE_DEFAULTS = {
  origin: '*',
  methods: 'GET,HEAD,PUT,PATCH,POST,DELETE',
  preflightContinue: false,
  optionsSuccessStatus: 204,
} as const;

/** Defaults of the resolver cache (BRIEF §5). */
export const DEFAULT_RESOLVER_CACHE_TTL_MS = 60_000;
export const DEFAULT_RESOLVER_CACHE_MAX_ENTRIES = 10_000;
export const DEFAULT_RESOLVER_TIMEOUT_MS = 1_000;
/** Default bound on concurrent lookups per resolver (BRIEF §5b). */
export const DEFAULT_RESOLVER_MAX_IN_FLIGHT = 32;
/**
 * Default bound on lookups waiting for a slot per resolver (BRIEF §5b): with the 32 in flight,
 * a cold burst of about a thousand distinct origins arriving at once is asked, not refused;
 * at 20 ms a lookup, 32 slots drain 1,000 waiters in about 625 ms, within `resolverTimeoutMs`.
 */
export const DEFAULT_RESOLVER_MAX_QUEUED = 1_000;

/** The name of the Nest logger context used for warnings and `debug` explanations. */
export const CORS_LOGGER_CONTEXT = 'CorsPolicy';
