/*
 * How the module runs on Fastify (issue 15): from the adapter's request-hook slot
 * (`FastifyAdapter.setOnRequestHook`), ahead of every other onRequest hook and of middie, so
 * that requests pay none of middie's work for it. What users rely on: their own request hook
 * (set before or after the app is created) still runs, after CORS, and its answers carry CORS
 * headers; host-bound controllers still see the hostname Fastify computes (`trustProxy`); an
 * adapter without the slot gets the middleware through `adapter.use()` as before; responses keep
 * the CORS `Vary` fields through the server's response class.
 */
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Controller, Get, Module, Post, Res, type INestApplication, type NestMiddleware } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { MiddlewareConsumer, NestModule } from '@nestjs/common';
import { ServerResponse, type IncomingMessage } from 'node:http';
import request from 'supertest';
import { CorsModule, CorsPolicy } from '../lib/index.js';
import { installFastifyCorsHook } from '../lib/fastify/fastify-cors-hook.js';
import { corsHeaders } from './support/headers.js';

const APP = 'https://app.example.com';
const ADMIN = 'https://admin.example.com';

interface HookRequest {
  readonly raw: IncomingMessage;
  readonly headers: IncomingMessage['headers'];
}
interface HookReply {
  code(status: number): HookReply;
  send(body: unknown): HookReply;
}
type Hook = (request: HookRequest, reply: HookReply, done: () => void) => void;

/** A user's request hook: answers 401 without a token, as an auth hook would. */
const authHook = (seen: string[]): Hook =>
  function (req, reply, done) {
    seen.push(req.raw.url ?? '');
    if (req.headers.authorization === 'Bearer ok') return done();
    reply.code(401).send({ message: 'token required' });
  };

@Controller('orders')
class OrdersController {
  @Get()
  list() {
    return [];
  }

  @Post()
  create() {
    return { created: true };
  }

  /** How this response keeps the CORS Vary fields: by its class, or patched on its own. */
  @Get('vary-keeping')
  varyKeeping(@Res({ passthrough: true }) reply: { raw: ServerResponse }) {
    return {
      ownSetHeader: Object.prototype.hasOwnProperty.call(reply.raw, 'setHeader'),
      plainServerResponse: Object.getPrototypeOf(reply.raw) === ServerResponse.prototype,
    };
  }
}

/** Answered only on the admin host (the request's hostname, after trustProxy). */
@Controller({ path: 'console', host: 'admin.example.com' })
@CorsPolicy({ origin: [ADMIN] })
class ConsoleController {
  @Get()
  get() {
    return { console: true };
  }
}

/** A Nest middleware that ends some requests itself (a rate limiter's 429). */
class RateLimit implements NestMiddleware {
  use(req: IncomingMessage, res: ServerResponse, next: () => void) {
    if (req.headers['x-over-limit'] !== undefined) {
      res.statusCode = 429;
      res.end('slow down');
      return;
    }
    next();
  }
}

@Module({ imports: [CorsModule.forRoot({ origin: [APP] })], controllers: [OrdersController, ConsoleController] })
class HookModule implements NestModule {
  configure(consumer: MiddlewareConsumer) {
    consumer.apply(RateLimit).forRoutes('*');
  }
}

describe('the CORS hook on Fastify', () => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function start(adapter: FastifyAdapter, afterCreate: (app: INestApplication) => void = () => undefined) {
    app = await NestFactory.create(HookModule, adapter, { logger: false });
    afterCreate(app);
    await app.init();
    await (app.getHttpAdapter().getInstance() as { ready(): Promise<unknown> }).ready();
    return app.getHttpServer() as Parameters<typeof request>[0];
  }

  it.each([
    ['set on the adapter before the app is created', true],
    ['set on the app after it is created', false],
  ])('a request hook of the user %s runs after CORS, and its 401 carries the CORS headers', async (_, before) => {
    const seen: string[] = [];
    const adapter = new FastifyAdapter();
    if (before) adapter.setOnRequestHook(authHook(seen));
    const server = await start(adapter, (created) => {
      if (!before) (created.getHttpAdapter() as unknown as FastifyAdapter).setOnRequestHook(authHook(seen));
    });

    const refused = await request(server).get('/orders?no-token').set('Origin', APP);
    expect(refused.status).toBe(401);
    expect(corsHeaders(refused)).toEqual({ 'access-control-allow-origin': APP });
    expect(refused.headers.vary).toBe('Origin');

    const allowed = await request(server).get('/orders?token').set({ Origin: APP, Authorization: 'Bearer ok' });
    expect(allowed.status).toBe(200);
    expect(allowed.headers['access-control-allow-origin']).toBe(APP);

    // A preflight is answered before the user's hook, which would refuse it (no token).
    const preflight = await request(server).options('/orders').set({ Origin: APP, 'Access-Control-Request-Method': 'POST' });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-methods']).toBe('GET,HEAD,PUT,PATCH,POST,DELETE');
    expect(seen).toEqual(['/orders?no-token', '/orders?token']);
  });

  it("a Nest middleware's own answer (a 429) carries the CORS headers", async () => {
    const server = await start(new FastifyAdapter());
    const limited = await request(server).get('/orders').set({ Origin: APP, 'X-Over-Limit': '1' });
    expect(limited.status).toBe(429);
    expect(corsHeaders(limited)).toEqual({ 'access-control-allow-origin': APP });
    expect(limited.headers.vary).toBe('Origin');
  });

  it('a host-bound controller is matched on the hostname Fastify computes, X-Forwarded-Host included with trustProxy', async () => {
    const server = await start(new FastifyAdapter({ trustProxy: true }));
    const forwarded = await request(server)
      .get('/console')
      .set({ Origin: ADMIN, Host: 'internal:3000', 'X-Forwarded-Host': 'admin.example.com' });
    expect(forwarded.headers['access-control-allow-origin']).toBe(ADMIN);
    // Another host: not the console's route, so the module defaults apply (ADMIN is not in them).
    const other = await request(server)
      .get('/console')
      .set({ Origin: ADMIN, Host: 'internal:3000', 'X-Forwarded-Host': 'www.example.com' });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it("responses keep the CORS Vary fields through the server's response class, not a patch per response", async () => {
    const server = await start(new FastifyAdapter());
    const res = await request(server).get('/orders/vary-keeping').set('Origin', APP);
    expect(res.body).toEqual({ ownSetHeader: false, plainServerResponse: false });
    expect(res.headers.vary).toBe('Origin');
  });

  it('without trustProxy, X-Forwarded-Host is not believed', async () => {
    const server = await start(new FastifyAdapter());
    const forwarded = await request(server)
      .get('/console')
      .set({ Origin: ADMIN, Host: 'internal:3000', 'X-Forwarded-Host': 'admin.example.com' });
    expect(forwarded.headers['access-control-allow-origin']).toBeUndefined();
    const direct = await request(server).get('/console').set({ Origin: ADMIN, Host: 'admin.example.com' });
    expect(direct.headers['access-control-allow-origin']).toBe(ADMIN);
  });
});

describe('installFastifyCorsHook', () => {
  const middleware = jest.fn((_req: unknown, _res: unknown, next: () => void) => next());

  it('installs nothing on an adapter without the request-hook slot (the module then uses adapter.use)', () => {
    const setOnRequestHook = jest.fn();
    expect(installFastifyCorsHook({ setOnRequestHook }, middleware)).toBe(false);
    expect(installFastifyCorsHook({ onRequestHook: undefined }, middleware)).toBe(false);
    expect(setOnRequestHook).not.toHaveBeenCalled();
  });

  it('runs a hook already in the slot after the middleware, and passes its rejection on', async () => {
    let stored: ((request: unknown, reply: unknown, done: (error?: unknown) => void) => void) | undefined;
    const earlier = jest.fn(() => Promise.reject(new Error('nope')));
    const adapter = {
      onRequestHook: earlier,
      setOnRequestHook(hook: typeof stored) {
        stored = hook;
      },
    };
    expect(installFastifyCorsHook(adapter, middleware)).toBe(true);
    const done = await new Promise<unknown>((resolve) => stored!({ raw: {} }, { raw: {} }, resolve));
    expect(middleware).toHaveBeenCalledTimes(1);
    expect(earlier).toHaveBeenCalledTimes(1);
    expect(done).toEqual(new Error('nope'));
  });
});
