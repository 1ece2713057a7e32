// The Fastify consumers' app (copied into their src/ by ../run.mjs with app.module.ts and
// cases.ts): the controllers of app.module.ts, so that the shared cases run on Fastify too, plus
// a public '*' route, a @CorsPolicy(false) handler and a guard whose 401 must carry the CORS
// headers. The consumers install @nestjs/platform-fastify and not @nestjs/platform-express, as a
// Fastify app would.
import 'reflect-metadata';
import {
  Controller,
  Get,
  Injectable,
  Module,
  UnauthorizedException,
  UseGuards,
  type CanActivate,
  type NestApplicationOptions,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { CorsModule, CorsPolicy } from 'nestjs-cors-policy';
import { DbOrigins, HealthController, OrdersController, PartnersController } from './app.module.js';
import type { CorsCase } from './cases.js';

export const ALLOWED = 'https://a.example.com';
export const REFUSED = 'https://evil.example.net';
/** The `cors` package's default `methods`, which the library sends when a policy sets none. */
const DEFAULT_METHODS = 'GET,HEAD,PUT,PATCH,POST,DELETE';
/**
 * A preflight's Vary at /orders: on Fastify the requested method is listed wherever more than one
 * policy serves the path (GET has the controller's, the other methods the module defaults), and
 * the requested headers because the policy reflects them (no `allowedHeaders`).
 */
const PREFLIGHT_VARY = 'Access-Control-Request-Method, Access-Control-Request-Headers, Origin';

@Injectable()
export class DenyGuard implements CanActivate {
  canActivate(): boolean {
    throw new UnauthorizedException();
  }
}

/** GET only: Fastify has no OPTIONS route here, so only the library can answer a preflight. */
@Controller('catalogue')
@CorsPolicy({ origin: '*' })
export class CatalogueController {
  @Get()
  list() {
    return [{ sku: 'x' }];
  }
}

@Controller('account')
@CorsPolicy({ origin: [ALLOWED], credentials: true })
export class AccountController {
  @Get()
  @UseGuards(DenyGuard)
  me() {
    return { me: true };
  }

  /** `false` turns CORS off here although the controller's policy lists ALLOWED. */
  @Get('hook')
  @CorsPolicy(false)
  hook() {
    return { hook: true };
  }
}

@Module({
  imports: [CorsModule.forRoot({ origin: false })],
  controllers: [OrdersController, PartnersController, HealthController, CatalogueController, AccountController],
  providers: [DbOrigins],
})
export class FastifyAppModule {}

/** What the Fastify app must answer besides the shared cases; exact header values, `null` = absent. */
export const fastifyCases: CorsCase[] = [
  {
    name: "public '*' route: any origin gets Access-Control-Allow-Origin: * and no credentials",
    method: 'GET',
    path: '/catalogue',
    headers: { origin: REFUSED },
    status: 200,
    expect: { 'access-control-allow-origin': '*', 'access-control-allow-credentials': null, vary: null },
  },
  {
    name: "public '*' route: a preflight to the GET-only route is answered with its policy",
    method: 'OPTIONS',
    path: '/catalogue',
    headers: { origin: REFUSED, 'access-control-request-method': 'GET' },
    status: 204,
    expect: {
      'access-control-allow-origin': '*',
      'access-control-allow-methods': DEFAULT_METHODS,
      'access-control-allow-credentials': null,
    },
  },
  {
    name: 'an OPTIONS that is not a preflight reaches Fastify, which has no OPTIONS route there (404)',
    method: 'OPTIONS',
    path: '/catalogue',
    headers: {},
    status: 404,
    expect: { 'access-control-allow-origin': null, 'access-control-allow-methods': null },
  },
  {
    name: 'credentialed route: a preflight to the GET-only route gets the listed origin and credentials',
    method: 'OPTIONS',
    path: '/orders',
    headers: { origin: ALLOWED, 'access-control-request-method': 'GET' },
    status: 204,
    expect: {
      'access-control-allow-origin': ALLOWED,
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': DEFAULT_METHODS,
      vary: PREFLIGHT_VARY,
    },
  },
  {
    name: 'credentialed route: a refused origin gets no Allow-* header, only Vary: Origin',
    method: 'GET',
    path: '/orders',
    headers: { origin: REFUSED },
    status: 200,
    expect: { 'access-control-allow-origin': null, 'access-control-allow-credentials': null, vary: 'Origin' },
  },
  {
    name: 'credentialed route: a refused preflight gets no Allow-* header, only Vary: Origin',
    method: 'OPTIONS',
    path: '/orders',
    headers: { origin: REFUSED, 'access-control-request-method': 'GET' },
    status: 204,
    expect: {
      'access-control-allow-origin': null,
      'access-control-allow-credentials': null,
      'access-control-allow-methods': null,
      vary: PREFLIGHT_VARY,
    },
  },
  {
    name: '@CorsPolicy(false): no CORS header for an origin the controller lists',
    method: 'GET',
    path: '/account/hook',
    headers: { origin: ALLOWED },
    status: 200,
    expect: { 'access-control-allow-origin': null, 'access-control-allow-credentials': null, vary: null },
  },
  {
    name: "a guard's 401 carries the CORS headers",
    method: 'GET',
    path: '/account',
    headers: { origin: ALLOWED },
    status: 401,
    expect: { 'access-control-allow-origin': ALLOWED, 'access-control-allow-credentials': 'true', vary: 'Origin' },
  },
  {
    name: "a guard's 401 to a refused origin has no Allow-* header, only Vary: Origin",
    method: 'GET',
    path: '/account',
    headers: { origin: REFUSED },
    status: 401,
    expect: { 'access-control-allow-origin': null, 'access-control-allow-credentials': null, vary: 'Origin' },
  },
  {
    name: 'a preflight to the guarded route is answered ahead of the guard',
    method: 'OPTIONS',
    path: '/account',
    headers: { origin: ALLOWED, 'access-control-request-method': 'GET' },
    status: 204,
    expect: { 'access-control-allow-origin': ALLOWED, 'access-control-allow-credentials': 'true' },
  },
];

/**
 * A `NestFactory.create` app on a `FastifyAdapter`, listening on 127.0.0.1 (port 0). `setup`
 * runs before `listen`; the app is closed if starting fails. `abortOnError: false` makes Nest
 * throw its startup errors instead of exiting the process (it still logs them unless `logger: false`).
 */
export async function startFastify(
  setup: (app: NestFastifyApplication) => void = () => undefined,
  options: NestApplicationOptions = {},
): Promise<{ app: NestFastifyApplication; base: string }> {
  const app = await NestFactory.create<NestFastifyApplication>(FastifyAppModule, new FastifyAdapter(), {
    logger: ['error', 'warn'],
    abortOnError: false,
    ...options,
  });
  return listenOrClose(app, setup);
}

/** Runs `setup`, then listens on 127.0.0.1 (port 0); closes the app if either fails. */
export async function listenOrClose(
  app: NestFastifyApplication,
  setup: (app: NestFastifyApplication) => void,
): Promise<{ app: NestFastifyApplication; base: string }> {
  try {
    setup(app);
    await app.listen(0, '127.0.0.1');
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  return { app, base: await app.getUrl() };
}

/**
 * What starting an app that must not start threw, or `undefined` if it started: then it is closed
 * at once, so that the failed assertion does not leave a server keeping the test process alive.
 */
export async function startupError(start: Promise<{ app: NestFastifyApplication }>): Promise<unknown> {
  return start.then(
    async ({ app }) => {
      await app.close();
      return undefined;
    },
    (thrown: unknown) => thrown,
  );
}

/** Sends one case's request with Node's fetch (undici) and reads the whole response. */
export async function send(base: string, c: CorsCase): Promise<{ status: number; header(name: string): string | null }> {
  const response = await fetch(base + c.path, { method: c.method, headers: c.headers, redirect: 'manual' });
  await response.arrayBuffer();
  return { status: response.status, header: (name) => response.headers.get(name) };
}

/** The parts of the two-layers refusal a consumer checks (the library's message, see lib/cors-layer-guard.ts). */
export const SECOND_LAYER_MESSAGE = [
  'Invalid CORS configuration (nestjs-cors-policy), the app cannot start:',
  'adds a second CORS layer next to CorsModule',
  'Fix: remove it (and the cors option of NestFactory.create)',
];
