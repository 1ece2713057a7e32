import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { CorsOriginCache } from '../../lib/index.js';
import { CorsCacheInvalidator } from '../../lib/index.js';
import { OriginsRepository, type ChangeSubscription } from './origins.repository.js';

/**
 * Keeps this instance's CORS cache in step with changes made on any instance: each origin
 * announced on the channel is invalidated here. The payload is untrusted and only ever
 * invalidates: the next request asks the database, which alone says yes or no.
 *
 * While the LISTEN connection is down, answers stay bounded by `CORS_CACHE_TTL_MS` (logged
 * once); when it is back, every cached answer is dropped, since notifications sent meanwhile
 * are lost.
 */
@Injectable()
export class OriginChangesListener implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('OriginChanges');
  private subscription: ChangeSubscription | undefined;

  constructor(
    private readonly origins: OriginsRepository,
    private readonly corsCache: CorsOriginCache,
  ) {}

  /** Listening before the app takes requests: a change made from now on is heard. */
  async onModuleInit(): Promise<void> {
    const bus = new CorsCacheInvalidator(this.corsCache, { name: this.origins.changeFeedName, logger: this.logger });
    this.subscription = await this.origins.listen({
      onPayload: (payload) => bus.onMessage(payload),
      onSubscribed: () => bus.onSubscribed(),
      onLost: (error) => bus.onDisconnected(error),
    });
  }

  /** Before the repository closes the database (onApplicationShutdown): stops listening and reconnecting. */
  async onModuleDestroy(): Promise<void> {
    const subscription = this.subscription;
    this.subscription = undefined;
    await subscription?.close();
  }
}
