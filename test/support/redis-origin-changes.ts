/**
 * The README's Redis wiring ("Running several instances"), as published: test/redis-bus.e2e-spec.ts
 * checks that the README and the `CorsCacheInvalidator` TSDoc show exactly this code (the import
 * of the library aside), and runs it against a real redis-server.
 */
// published: start
import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { Redis } from 'ioredis';
import { CorsCacheInvalidator, CorsOriginCache } from '../../lib/index.js';

@Injectable()
export class OriginChanges implements OnModuleInit, OnModuleDestroy {
  private readonly redis = new Redis(process.env.REDIS_URL!, { lazyConnect: true });
  constructor(private readonly cache: CorsOriginCache) {}

  onModuleInit() {
    const bus = new CorsCacheInvalidator(this.cache, { name: 'Redis channel cors-origins' });
    this.redis.on('message', (_channel: string, origin: string) => bus.onMessage(origin));
    // A drop, and each failed reconnection attempt (without an 'error' listener ioredis prints each one).
    this.redis.on('close', () => bus.onDisconnected('connection closed'));
    this.redis.on('error', (error) => bus.onDisconnected(error));
    // 'ready' follows every (re)connection; the subscription is active once SUBSCRIBE answers.
    this.redis.on('ready', () =>
      this.redis.subscribe('cors-origins').then(
        () => bus.onSubscribed(),
        (e) => bus.onDisconnected(e),
      ),
    );
    // Not awaited: with Redis down the app still starts (answers bounded by the TTL), and ioredis keeps retrying.
    this.redis.connect().catch((error) => bus.onDisconnected(error));
  }

  async onModuleDestroy() {
    this.redis.removeAllListeners('close');
    await this.redis.quit();
  }
}
// published: end
