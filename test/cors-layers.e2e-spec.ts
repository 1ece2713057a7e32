/*
 * Two CORS layers (issue 15): `app.enableCors()`, the `cors` option of `NestFactory.create`,
 * `app.use(cors())` on Express or `@fastify/cors` on Fastify next to `CorsModule` would write
 * their own `Access-Control-*` headers over the module's (a refused origin would get
 * `Access-Control-Allow-Origin: *`). The app refuses to start instead, with the fix.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import fastifyCors from '@fastify/cors';
import cors from 'cors';
import request from 'supertest';
import { Test } from '@nestjs/testing';
import { APP_KINDS_ON_PLATFORMS, PLATFORMS, createTestingApp, whenReady, type Platform } from './support/apps.js';
import { CorsConfigurationError, CorsModule } from '../lib/index.js';

@Controller('orders')
class OrdersController {
  @Get() list() {
    return [];
  }
}

@Module({ imports: [CorsModule.forRoot({ origin: ['https://app.example.com'] })], controllers: [OrdersController] })
class AppModule {}

const started: INestApplication[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((app) => app.close()));
});

async function startFails(start: () => Promise<INestApplication>): Promise<CorsConfigurationError> {
  const error = await start().then(
    (app) => {
      if (!started.includes(app)) started.push(app);
      return undefined;
    },
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(CorsConfigurationError);
  const message = (error as CorsConfigurationError).message;
  expect(message).toContain('second CORS layer');
  expect(message).toContain('Fix: remove it');
  return error as CorsConfigurationError;
}

/** A `NestFactory.create` app that throws its errors instead of exiting the process (Nest's default). */
async function createFactoryApp(platform: Platform, setup: (app: INestApplication) => void): Promise<INestApplication> {
  const options = { logger: false as const, abortOnError: false };
  const app =
    platform === 'fastify'
      ? await NestFactory.create(AppModule, new FastifyAdapter(), options)
      : await NestFactory.create(AppModule, options);
  started.push(app);
  setup(app);
  await app.listen(0, '127.0.0.1');
  return app;
}

describe.each(PLATFORMS)('two CORS layers are refused (%s)', (platform) => {
  it('app.enableCors() before app.init() (Test.createTestingModule app) stops the app with CorsConfigurationError and the fix', async () => {
    const error = await startFails(() => createTestingApp(AppModule, (app) => app.enableCors(), platform));
    expect(error.message).toContain('app.enableCors()');
  });

  it('app.enableCors() after NestFactory.create throws CorsConfigurationError with the fix', async () => {
    const error = await startFails(() => createFactoryApp(platform, (app) => app.enableCors()));
    expect(error.message).toContain('app.enableCors()');
  });

  it('NestFactory.create(..., { cors: true }) stops the app at init', async () => {
    await startFails(async () => {
      const options = { logger: false as const, abortOnError: false, cors: true };
      const app =
        platform === 'fastify'
          ? await NestFactory.create(AppModule, new FastifyAdapter(), options)
          : await NestFactory.create(AppModule, options);
      started.push(app);
      return app.init();
    });
  });
});

describe('two CORS layers: the other ways in', () => {
  it('app.use(cors()) before the module installs itself stops the app (Express, Test.createTestingModule app)', async () => {
    const error = await startFails(() => createTestingApp(AppModule, (app) => app.use(cors())));
    expect(error.message).toContain('app.use(cors())');
  });

  it('registering @fastify/cors stops the app when it gets ready (Fastify, Test.createTestingModule app)', async () => {
    const error = await startFails(async () => {
      const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
      const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
      started.push(app);
      await app.register(fastifyCors);
      return whenReady(await app.init());
    });
    expect(error.message).toContain('@fastify/cors');
  });

  it('registering @fastify/cors stops app.listen() (Fastify, NestFactory.create app)', async () => {
    const error = await startFails(async () => {
      const app = await NestFactory.create<NestFastifyApplication>(AppModule, new FastifyAdapter(), { logger: false, abortOnError: false });
      started.push(app);
      await app.register(fastifyCors);
      await app.listen(0, '127.0.0.1');
      return app;
    });
    expect(error.message).toContain('@fastify/cors');
  });

  it('without a second layer the module alone answers: a refused origin gets no Access-Control-Allow-Origin (both platforms, both kinds)', async () => {
    for (const { create } of APP_KINDS_ON_PLATFORMS) {
      const app = await create(AppModule);
      started.push(app);
      const res = await request(app.getHttpServer()).get('/orders').set('Origin', 'https://evil.example');
      expect(res.status).toBe(200);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
    }
  });
});
