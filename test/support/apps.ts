import type { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Test } from '@nestjs/testing';

/** Adjusts an app before it starts (global guards, prefix, versioning...). */
export type AppSetup = (app: INestApplication) => void;

/** An app built like most e2e tests build theirs: the HTTP adapter appears after the module is compiled. */
export async function createTestingApp(module: Type, setup: AppSetup = () => undefined): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({ imports: [module] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  setup(app);
  return app.init();
}

/** An app built like production ones (`NestFactory.create`), listening on a free loopback port. */
export async function createListeningApp(module: Type, setup: AppSetup = () => undefined): Promise<INestApplication> {
  const app = await NestFactory.create(module, { logger: false });
  setup(app);
  await app.listen(0, '127.0.0.1');
  return app;
}

/** One kind of app with a suite's module in it, for `describe.each`. */
export interface AppKind {
  readonly name: string;
  readonly create: () => Promise<INestApplication>;
}

/** Both kinds of app, for suites that must hold for each (`describe.each(APP_KINDS)`). */
export const APP_KINDS = [
  { name: 'Test.createTestingModule app', create: createTestingApp },
  { name: 'NestFactory.create app', create: createListeningApp },
] as const;
