import { BurstLog } from '../decisions/burst-log.js';
import { Logger, type LoggerService } from '@nestjs/common';
import { CORS_LOGGER_CONTEXT } from '../cors.constants.js';
import type { CorsOriginCache } from './cors-origin-cache.js';
import { parseSerializedOrigin } from './serialized-origin.js';
import { MAX_SCOPE_LENGTH } from './scoped-key.js';

/** Longer payloads are ignored unread: no serialized origin a browser sends comes near it. */
export const CORS_INVALIDATION_MAX_PAYLOAD_LENGTH = 2048;

/** Ignored payloads are logged once per burst; a new burst starts after this much quiet. */
const IGNORED_BURST_MS = 10_000;
/** How much of an ignored payload a log line shows (escaped, so it cannot forge log lines). */
const PAYLOAD_EXCERPT_LENGTH = 80;

export interface CorsCacheInvalidatorOptions {
  /** Names the bus in log lines, e.g. `'Redis channel cors-origins'`. Default `'invalidation bus'`. */
  readonly name?: string;
  /** Where the lines go. Default: Nest's `Logger` with the context `CorsPolicy`. Only `log` and `warn` are called. */
  readonly logger?: Pick<LoggerService, 'log' | 'warn'>;
}

/**
 * Connects a message bus (PostgreSQL LISTEN/NOTIFY, Redis pub/sub, a queue) to
 * {@link CorsOriginCache}, so that a trusted-origin change made on one app instance reaches
 * every instance at once. It knows no bus: wire your client's three events to its three methods.
 *
 * - {@link CorsCacheInvalidator.onMessage}: a changed origin arrived. The payload is untrusted: only a serialized
 *   origin (`invalidate(origin)`), or JSON `{"scope": "...", "origin": "..."}` /
 *   `{"scope": "..."}` for tenant-scoped classes (a scope of at most 256 characters), of at most
 *   2 048 characters in all, is acted on; anything else changes nothing and is logged, once per burst. A message never grants or refuses
 *   anything: the next request asks the resolver, which reads the source of truth.
 * - {@link CorsCacheInvalidator.onSubscribed}: call it each time the subscription is active, the first time
 *   included, *after* the subscribe command succeeded. It calls `invalidateAll()`, because
 *   messages published while the connection was down (or not yet up) are lost.
 * - {@link CorsCacheInvalidator.onDisconnected}: call it when the connection drops or a reconnection attempt
 *   fails. It logs once per outage that, until the bus is back, a change made on another
 *   instance takes effect when the cached answer expires (`resolverCache.ttlMs`).
 *
 * @example Redis pub/sub with ioredis (the code `test/redis-bus.e2e-spec.ts` runs against a real Redis)
 * ```ts
 * import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
 * import { Redis } from 'ioredis';
 * import { CorsCacheInvalidator, CorsOriginCache } from 'nestjs-cors-policy';
 *
 * @Injectable()
 * export class OriginChanges implements OnModuleInit, OnModuleDestroy {
 *   private readonly redis = new Redis(process.env.REDIS_URL!, { lazyConnect: true });
 *   constructor(private readonly cache: CorsOriginCache) {}
 *
 *   onModuleInit() {
 *     const bus = new CorsCacheInvalidator(this.cache, { name: 'Redis channel cors-origins' });
 *     this.redis.on('message', (_channel: string, origin: string) => bus.onMessage(origin));
 *     // A drop, and each failed reconnection attempt (without an 'error' listener ioredis prints each one).
 *     this.redis.on('close', () => bus.onDisconnected('connection closed'));
 *     this.redis.on('error', (error) => bus.onDisconnected(error));
 *     // 'ready' follows every (re)connection; the subscription is active once SUBSCRIBE answers.
 *     this.redis.on('ready', () =>
 *       this.redis.subscribe('cors-origins').then(
 *         () => bus.onSubscribed(),
 *         (e) => bus.onDisconnected(e),
 *       ),
 *     );
 *     // Not awaited: with Redis down the app still starts (answers bounded by the TTL), and ioredis keeps retrying.
 *     this.redis.connect().catch((error) => bus.onDisconnected(error));
 *   }
 *
 *   async onModuleDestroy() {
 *     this.redis.removeAllListeners('close');
 *     await this.redis.quit();
 *   }
 * }
 *
 * // Where origins change, once the change is committed:
 * await publisher.publish('cors-origins', origin);
 * ```
 */
export class CorsCacheInvalidator {
  private readonly name: string;
  private readonly logger: Pick<LoggerService, 'log' | 'warn'>;
  private subscribedOnce = false;
  /** When the current outage started (its first report), `undefined` while connected. */
  private downSince: number | undefined;
  private readonly ignoredMessages = new BurstLog(IGNORED_BURST_MS);

  constructor(
    private readonly cache: Pick<CorsOriginCache, 'invalidate' | 'invalidateAll'> & Partial<Pick<CorsOriginCache, 'invalidateScope'>>,
    options: CorsCacheInvalidatorOptions = {},
  ) {
    this.name = options.name ?? 'invalidation bus';
    this.logger = options.logger ?? new Logger(CORS_LOGGER_CONTEXT);
  }

  /** Whether the last event was a successful subscription (`false` before the first one). */
  get connected(): boolean {
    return this.subscribedOnce && this.downSince === undefined;
  }

  /**
   * A message from the bus: a serialized origin (`invalidate(origin)`, in every scope), or JSON
   * `{"scope": "acme", "origin": "https://..."}` (`invalidate(origin, { scope })`) or
   * `{"scope": "acme"}` (`invalidateScope(scope)`). Returns the origin, or the scope for a
   * scope-only message; `undefined`, changing nothing, for anything else.
   */
  onMessage(payload: unknown): string | undefined {
    const message = parseInvalidation(payload);
    if (typeof message === 'string') {
      this.reportIgnored(message);
      return undefined;
    }
    if (message.origin === undefined) {
      // A cache without scopes (a stand-in written before them) forgets everything instead.
      if (this.cache.invalidateScope === undefined) this.cache.invalidateAll();
      else this.cache.invalidateScope(message.scope as string);
      return message.scope;
    }
    if (message.scope === undefined) this.cache.invalidate(message.origin);
    else this.cache.invalidate(message.origin, { scope: message.scope });
    return message.origin;
  }

  /** The subscription is active (again): forgets every cached answer, since messages may have been missed. */
  onSubscribed(): void {
    this.cache.invalidateAll();
    const downSince = this.downSince;
    const what = this.subscribedOnce ? 'is back' : 'is connected';
    this.subscribedOnce = true;
    this.downSince = undefined;
    if (downSince !== undefined) {
      const seconds = ((Date.now() - downSince) / 1000).toFixed(1);
      this.logger.log(
        `${this.name} ${what} after ${seconds} s; every cached CORS answer was dropped, so changes made meanwhile apply from now on`,
      );
    }
  }

  /** The connection dropped, or an attempt to (re)connect failed. Logs once per outage. */
  onDisconnected(reason?: unknown): void {
    if (this.downSince !== undefined) return;
    this.downSince = Date.now();
    const why = reason === undefined ? '' : ` (${excerpt(describeReason(reason))})`;
    const what = this.subscribedOnce ? 'is down' : 'is not connected yet';
    this.logger.warn(
      `${this.name} ${what}${why}: until it is back, a trusted-origin change made on another instance ` +
        'takes effect there when the cached answer expires (resolverCache.ttlMs)',
    );
  }

  private reportIgnored(problem: string): void {
    this.ignoredMessages.record((suppressed) => {
      const more = suppressed > 0 ? ` (${suppressed} more ignored since the last report)` : '';
      this.logger.warn(`${this.name}: ignored a message that is ${problem}; nothing was invalidated${more}`);
    });
  }
}

/** What a valid message asks for: an origin (in `scope`, or every scope), or a whole scope. */
interface Invalidation {
  readonly origin?: string;
  readonly scope?: string;
}

/** The message, or why it is ignored. */
function parseInvalidation(payload: unknown): Invalidation | string {
  if (typeof payload !== 'string') return `not a string but ${payload === null ? 'null' : typeof payload}`;
  if (payload.length > CORS_INVALIDATION_MAX_PAYLOAD_LENGTH) {
    return `${payload.length} characters long (at most ${CORS_INVALIDATION_MAX_PAYLOAD_LENGTH})`;
  }
  if (!payload.startsWith('{'))
    return parseSerializedOrigin(payload) === undefined ? `not a serialized origin: ${excerpt(payload)}` : { origin: payload };
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return `not JSON: ${excerpt(payload)}`;
  }
  return scopedInvalidation(parsed) ?? `not {"scope": "...", "origin": "..."} or {"scope": "..."}: ${excerpt(payload)}`;
}

/** `{ scope, origin? }` with exactly these keys, a scope of at most 256 characters and a serialized origin. */
function scopedInvalidation(parsed: unknown): Invalidation | undefined {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const { scope, origin, ...rest } = parsed as Record<string, unknown>;
  if (Object.keys(rest).length > 0 || typeof scope !== 'string' || scope.length > MAX_SCOPE_LENGTH) return undefined;
  if (origin === undefined) return { scope };
  if (typeof origin !== 'string' || parseSerializedOrigin(origin) === undefined) return undefined;
  return { scope, origin };
}

function describeReason(reason: unknown): string {
  // Duck-typed: an error from another realm (a VM context, a worker) is not `instanceof Error`.
  const message = (reason as { message?: unknown } | null | undefined)?.message;
  if (typeof message === 'string') return message;
  return typeof reason === 'string' ? reason : `a ${typeof reason}`;
}

/** A short, escaped quotation: control characters and line breaks cannot forge log lines. */
function excerpt(text: string): string {
  const shown = JSON.stringify(text.slice(0, PAYLOAD_EXCERPT_LENGTH));
  return text.length > PAYLOAD_EXCERPT_LENGTH ? `${shown}… (${text.length} characters)` : shown;
}
