// Fastify consumers under jest (CommonJS: the package's CommonJS entry must load through jest's
// own require()). The checks of fastify.node-test.ts, on both kinds of app a Fastify project
// has: NestFactory.create (main.ts) and Test.createTestingModule (its e2e tests), each listening
// on 127.0.0.1 (port 0) and called with Node's global fetch.
import 'reflect-metadata';
import type { NestApplicationOptions } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { CorsConfigurationError, CorsOriginCache } from 'nestjs-cors-policy';
import { assertCorsAllowed, assertCorsRefused, createCorsBrowser } from 'nestjs-cors-policy/testing';
import { DbOrigins } from './app.module.js';
import { cases, expectedResolverCalls, mismatches } from './cases.js';
import {
  ALLOWED,
  FastifyAppModule,
  REFUSED,
  SECOND_LAYER_MESSAGE,
  fastifyCases,
  listenOrClose,
  send,
  startFastify,
  startupError,
} from './fastify.app.js';

type Started = { app: NestFastifyApplication; base: string };
type Start = (setup?: (app: NestFastifyApplication) => void, options?: NestApplicationOptions) => Promise<Started>;

/** The app of a Fastify project's e2e test: Test.createTestingModule, then listen (which inits it). */
const startTestingModule: Start = async (setup = () => undefined, options = {}) => {
  const moduleRef = await Test.createTestingModule({ imports: [FastifyAppModule] }).compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: ['error', 'warn'], ...options });
  return listenOrClose(app, setup);
};

/**
 * Each kind of app, with the layer the refusal names: a NestFactory.create app has the module
 * installed when `app.enableCors()` is called, so the call itself throws; in a testing-module app
 * the call comes first and registers @fastify/cors, which stops the app when it gets ready.
 */
const kinds: ReadonlyArray<[string, Start, string[]]> = [
  ['NestFactory.create', startFastify, ['app.enableCors()']],
  ['Test.createTestingModule', startTestingModule, ['app.enableCors() (@fastify/cors)']],
];

async function expectSecondLayerError(start: Promise<Started>, options: string[]): Promise<void> {
  const error = await startupError(start);
  expect(error).toBeInstanceOf(CorsConfigurationError);
  const { message, problems } = error as CorsConfigurationError;
  for (const part of SECOND_LAYER_MESSAGE) expect(message).toContain(part);
  for (const option of options) expect(message).toContain(`option "${option}": adds a second CORS layer`);
  expect(problems.map((p) => p.option)).toEqual(options);
}

describe.each(kinds)(
  'nestjs-cors-policy from the packed tarball on Fastify (NestJS 11, jest, CommonJS, %s app)',
  (_kind, start, layers) => {
    let app: NestFastifyApplication;
    let base: string;

    beforeAll(async () => {
      ({ app, base } = await start());
    });
    afterAll(async () => {
      await app?.close();
    });

    it("loads the package's CommonJS entry", () => {
      expect(require.resolve('nestjs-cors-policy')).toMatch(/\/node_modules\/nestjs-cors-policy\/dist\/cjs\/index\.js$/);
      expect(require.resolve('nestjs-cors-policy/testing')).toMatch(/\/node_modules\/nestjs-cors-policy\/dist\/cjs\/testing\/index\.js$/);
    });

    it('runs on Fastify, without @nestjs/platform-express installed', () => {
      expect(app.getHttpAdapter().getType()).toBe('fastify');
      expect(() => require.resolve('@nestjs/platform-express')).toThrow(/Cannot find module/);
    });

    it.each(cases.map((c) => [c.name, c] as const))('shared: %s', async (_name, c) => {
      const r = await send(base, c);
      expect(mismatches(c, r.status, r.header)).toEqual([]);
    });

    it('asked the resolver instance from the container, once per origin', () => {
      expect(app.get(DbOrigins).asked).toEqual(expectedResolverCalls);
    });

    it('CorsOriginCache is injectable and invalidation makes the resolver be asked again', async () => {
      app.get(CorsOriginCache).invalidate('https://db.example.com');
      const r = await send(base, {
        name: '',
        method: 'GET',
        path: '/partners',
        headers: { origin: 'https://db.example.com' },
        status: 200,
        expect: {},
      });
      expect(r.header('access-control-allow-origin')).toBe('https://db.example.com');
      expect(app.get(DbOrigins).asked).toEqual([...expectedResolverCalls, 'https://db.example.com']);
    });

    it.each(fastifyCases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
      const r = await send(base, c);
      expect(mismatches(c, r.status, r.header)).toEqual([]);
    });

    it('nestjs-cors-policy/testing judges calls to the Fastify app as a browser would', async () => {
      const patch = await createCorsBrowser(app, { origin: ALLOWED }).fetch('/orders/42', { method: 'PATCH', credentials: 'include' });
      assertCorsAllowed(patch);
      expect(patch.preflight?.status).toBe(204);
      assertCorsAllowed(await createCorsBrowser(app, { origin: REFUSED }).fetch('/catalogue'));
      assertCorsRefused(await createCorsBrowser(app, { origin: REFUSED }).fetch('/orders'));
      assertCorsRefused(await createCorsBrowser(app, { origin: ALLOWED }).fetch('/account/hook'));
    });

    it('app.enableCors() next to the module stops the app with CorsConfigurationError and the fix', async () => {
      await expectSecondLayerError(
        start((other) => other.enableCors(), { logger: false }),
        layers,
      );
    });

    it('the cors option of the app next to the module stops the app too', async () => {
      await expectSecondLayerError(start(undefined, { cors: true, logger: false }), layers);
    });
  },
);
