import { afterAll, beforeAll, describe } from '@jest/globals';
import type { INestApplication, NestApplicationOptions, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test, type TestingModule } from '@nestjs/testing';

/** Adjusts an app before it starts (global guards, prefix, versioning...). */
export type AppSetup = (app: INestApplication) => void;

/** The HTTP platforms the library supports. */
export type Platform = 'express' | 'fastify';

/** Both platforms, for suites that must hold on each (`describe.each(PLATFORMS)`). */
export const PLATFORMS: readonly Platform[] = ['express', 'fastify'];

/** Nest's application options for a platform: Express is Nest's default, Fastify needs its adapter. */
function adapterFor(platform: Platform): FastifyAdapter | undefined {
  return platform === 'fastify' ? new FastifyAdapter() : undefined;
}

/**
 * Waits until the app answers requests: a Fastify instance loads its plugins (and runs its
 * `onReady` hooks) on `ready()`, which `app.init()` alone does not call.
 */
export async function whenReady(app: INestApplication): Promise<INestApplication> {
  const instance = app.getHttpAdapter().getInstance() as { ready?: () => PromiseLike<unknown> };
  if (app.getHttpAdapter().getType() === 'fastify' && typeof instance.ready === 'function') await instance.ready();
  return app;
}

/** An app built like most e2e tests build theirs: the HTTP adapter appears after the module is compiled. */
export async function createTestingApp(
  module: Type,
  setup: AppSetup = () => undefined,
  platform: Platform = 'express',
): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({ imports: [module] }).compile();
  const adapter = adapterFor(platform);
  const app =
    adapter === undefined
      ? moduleRef.createNestApplication({ logger: false })
      : moduleRef.createNestApplication(adapter, { logger: false });
  setup(app);
  return whenReady(await app.init());
}

/** An app built like production ones (`NestFactory.create`), listening on a free loopback port. */
export async function createListeningApp(
  module: Type,
  setup: AppSetup = () => undefined,
  platform: Platform = 'express',
): Promise<INestApplication> {
  const adapter = adapterFor(platform);
  const app =
    adapter === undefined
      ? await NestFactory.create(module, { logger: false })
      : await NestFactory.create(module, adapter, { logger: false });
  setup(app);
  await app.listen(0, '127.0.0.1');
  return app;
}

/** One kind of app with a suite's module in it, for `describe.each`. */
export interface AppKind {
  readonly name: string;
  readonly create: () => Promise<INestApplication>;
  readonly platform?: Platform;
}

/** Both kinds of app, on Express, for suites that must hold for each (`describe.each(APP_KINDS)`). */
export const APP_KINDS = [
  { name: 'Test.createTestingModule app', create: createTestingApp },
  { name: 'NestFactory.create app', create: createListeningApp },
] as const;

/** One kind of app on one platform: `create(module, setup)` builds it. */
export interface PlatformAppKind {
  readonly name: string;
  readonly platform: Platform;
  readonly create: (module: Type, setup?: AppSetup) => Promise<INestApplication>;
}

/**
 * Both kinds of app on both platforms, named "Express · NestFactory.create app" and so on, for
 * suites that run on each (as nestjs/throttler runs its e2e specs with `describe.each`).
 */
export const APP_KINDS_ON_PLATFORMS: readonly PlatformAppKind[] = PLATFORMS.flatMap((platform) =>
  APP_KINDS.map(({ name, create }) => ({
    name: `${platformName(platform)} · ${name}`,
    platform,
    create: (module: Type, setup?: AppSetup) => create(module, setup, platform),
  })),
);

/** "Express" or "Fastify", for test names. */
export function platformName(platform: Platform): string {
  return platform === 'express' ? 'Express' : 'Fastify';
}

/** The platform of the block that is running (see `describeOnPlatforms`); Express outside one. */
let currentPlatform: Platform = 'express';

/**
 * Declares a block once per platform (named "<name> (express)" and "<name> (fastify)"); inside it,
 * `createPlatformApplication` builds its apps on that platform. For suites whose helpers create
 * their apps at the top level.
 */
export function describeOnPlatforms(name: string, body: (platform: Platform) => void): void {
  describe.each(PLATFORMS)(`${name} (%s)`, (platform) => {
    beforeAll(() => {
      currentPlatform = platform;
    });
    afterAll(() => {
      currentPlatform = 'express';
    });
    body(platform);
  });
}

/** `moduleRef.createNestApplication(options)` on the platform of the running block. */
export function createPlatformApplication(moduleRef: TestingModule, options: NestApplicationOptions = {}): INestApplication {
  return currentPlatform === 'fastify'
    ? moduleRef.createNestApplication(new FastifyAdapter(), options)
    : moduleRef.createNestApplication(options);
}

/** `NestFactory.create(module, options)` on the given platform (by default, that of the running block). */
export function createPlatformFactoryApp(
  module: Type,
  options: NestApplicationOptions = {},
  platform: Platform = currentPlatform,
): Promise<INestApplication> {
  return platform === 'fastify' ? NestFactory.create(module, new FastifyAdapter(), options) : NestFactory.create(module, options);
}
