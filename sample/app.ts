import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { INestApplication, LoggerService, LogLevel } from '@nestjs/common';
import { CorsIoAdapter } from '../lib/websockets/socket-io.js';
import { AppModule } from './app.module.js';
import { resolveSampleConfig, type SampleConfig, type SampleConfigOverrides } from './sample-config.js';

export interface SampleAppOptions extends SampleConfigOverrides {
  /** Nest's logger option; `false` in tests. */
  readonly logger?: LoggerService | LogLevel[] | false;
  /** Read unset options from this environment (default `process.env`; `{}` for none). */
  readonly env?: NodeJS.ProcessEnv;
}

export interface SampleApp {
  readonly app: INestApplication;
  readonly config: SampleConfig;
}

/**
 * Creates the sample app (not listening yet), used by main.ts and, in process, by the tests.
 * Explicit options win over the environment, which wins over the defaults.
 */
export async function createSampleApp(options: SampleAppOptions = {}): Promise<SampleApp> {
  const { logger, env, ...overrides } = options;
  const config = resolveSampleConfig(overrides, env);
  // No enableCors(): CORS comes only from CorsModule in AppModule, on either platform.
  const appOptions = logger === undefined ? {} : { logger };
  const app =
    config.platform === 'fastify'
      ? await NestFactory.create(AppModule.register(config), new FastifyAdapter(), appOptions)
      : await NestFactory.create(AppModule.register(config), appOptions);
  // The partners' gateway checks handshakes against its CORS policy (cross-site WebSocket hijacking).
  app.useWebSocketAdapter(new CorsIoAdapter(app));
  return { app, config };
}
