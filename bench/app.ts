/**
 * The app under test, identical in every variant except for how CORS is set up:
 * GET /hello (small JSON), PATCH /items/:id, and generated controllers of 20 routes with
 * parameters, registered FIRST so that Express walks real route layers before /hello.
 */
import 'reflect-metadata';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Controller, Delete, Get, Injectable, Module, Patch, Post, Put, type INestApplication, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import {
  CorsModule,
  CorsPolicy,
  type CorsDecision,
  type CorsOriginResolver,
  type CorsOriginSource,
  type CorsPolicyArgument,
  type CorsRequest,
} from '../lib/index.js';
import { ALLOWED_METHODS, LOOKUP_DELAY_MS, THREE_ORIGINS, manyOrigins, platformOf, type VariantSpec } from './shared.js';

const ALLOWED = new Set(THREE_ORIGINS);

/** Calls per origin of the resolver (the library must call it once per origin per TTL). */
export const resolverCalls = new Map<string, number>();
/** Decisions counted by route and reason, as a metrics hook would (variant `lib-3-decisions`). */
export const decisionCounts = new Map<string, number>();

function countDecision(decision: CorsDecision): void {
  const key = `${decision.route ?? 'none'} ${decision.reason ?? 'allowed'}`;
  decisionCounts.set(key, (decisionCounts.get(key) ?? 0) + 1);
}

/** Calls of the `enableCors` origin callback (the `cors` package calls it on every request). */
export const callbackCounter = { calls: 0 };

function lookup(origin: string | undefined): Promise<boolean> {
  // A database round trip: 1 ms, then the answer.
  return new Promise((resolve) => setTimeout(() => resolve(origin !== undefined && ALLOWED.has(origin)), LOOKUP_DELAY_MS));
}

@Injectable()
export class BenchOriginResolver implements CorsOriginResolver {
  isOriginAllowed(origin: string): Promise<boolean> {
    resolverCalls.set(origin, (resolverCalls.get(origin) ?? 0) + 1);
    return lookup(origin);
  }
}

/** The same resolver, tenant-scoped by the `Host` header (every bench request has the same one). */
@Injectable()
export class BenchScopedOriginResolver implements CorsOriginResolver {
  scope(request: CorsRequest): string | undefined {
    return request.headers.host;
  }
  isOriginAllowed(origin: string): Promise<boolean> {
    resolverCalls.set(origin, (resolverCalls.get(origin) ?? 0) + 1);
    return lookup(origin);
  }
}

/** The three origins as a `CorsOriginSource`: loaded once at init, a `Set` lookup per request. */
@Injectable()
export class BenchOriginSource implements CorsOriginSource {
  loadOrigins(): Promise<string[]> {
    return lookup(undefined).then(() => [...THREE_ORIGINS]);
  }
}

/**
 * What users write today with `app.enableCors()`: the `cors` package's callback form, one
 * lookup per request. Written naively: it also looks up requests without `Origin`
 * (the `cors` package calls it with `undefined` then).
 */
export function asyncOriginCallback(origin: string | undefined, callback: (error: Error | null, allow?: boolean) => void): void {
  callbackCounter.calls++;
  lookup(origin).then(
    (allowed) => callback(null, allowed),
    (error: Error) => callback(error),
  );
}

/**
 * The floor: the headers every CORS variant sends in these scenarios, set by the shortest
 * middleware that can send them (a `Set` lookup and `setHeader` calls; no route table, no
 * explanations, no protection of `Vary`). What is left between it and no CORS is the price of
 * the headers themselves, which no CORS implementation can avoid.
 */
function floorMiddleware(req: IncomingMessage, res: ServerResponse, next: () => void): void {
  if (!sendFloorHeaders(req, res)) next();
}

/** The floor's headers; `true` when it ended a preflight (then nothing else runs). Shared by both platforms' floors. */
function sendFloorHeaders(req: IncomingMessage, res: ServerResponse): boolean {
  const origin = req.headers.origin;
  if (req.method === 'OPTIONS' && origin !== undefined && req.headers['access-control-request-method'] !== undefined) {
    res.setHeader('Vary', 'Access-Control-Request-Headers, Origin');
    if (ALLOWED.has(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Access-Control-Allow-Methods', ALLOWED_METHODS);
      const requested = req.headers['access-control-request-headers'];
      if (requested !== undefined) res.setHeader('Access-Control-Allow-Headers', requested);
      res.setHeader('Access-Control-Max-Age', '600');
    }
    // Ended on the Node.js response, as the library's middleware does: on Fastify cheaper than
    // `reply.code(204).send()`, and the same bytes.
    res.statusCode = 204;
    res.setHeader('Content-Length', '0');
    res.end();
    return true;
  }
  res.setHeader('Vary', 'Origin');
  if (origin !== undefined && ALLOWED.has(origin)) {
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Allow-Credentials', 'true');
  }
  return false;
}

/**
 * The floor on Fastify: the same headers as the library sends there, from the cheapest code that
 * can send them: an `onRequest` hook (no middie, no route table), `Set` lookup, `setHeader` on
 * the Node.js response (which Fastify merges into the response it writes; `reply.header()` costs
 * more per header), and for preflights the same 204 the library ends itself. Not `app.use()`:
 * that would run it through middie, whose cost the library pays but the floor need not.
 */
function fastifyFloorHook(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
  if (!sendFloorHeaders(request.raw, reply.raw)) done();
}

@Controller()
class HelloController {
  @Get('hello')
  hello() {
    return { message: 'hello', ok: true };
  }
}

@Controller('items')
class ItemsController {
  @Patch(':id')
  update() {
    return { updated: true };
  }
}

type MethodDecoratorFactory = (path?: string | string[]) => MethodDecorator;

/** Twenty routes with parameters, over several resources and methods. */
const ROUTES: ReadonlyArray<readonly [MethodDecoratorFactory, string]> = [
  [Get, 'users/:userId'],
  [Put, 'users/:userId'],
  [Delete, 'users/:userId'],
  [Get, 'users/:userId/orders'],
  [Post, 'users/:userId/orders'],
  [Get, 'users/:userId/orders/:orderId'],
  [Patch, 'users/:userId/orders/:orderId'],
  [Get, 'products/:sku'],
  [Get, 'products/:sku/reviews'],
  [Get, 'products/:sku/reviews/:reviewId'],
  [Delete, 'products/:sku/reviews/:reviewId'],
  [Get, 'orgs/:org/projects'],
  [Get, 'orgs/:org/projects/:project'],
  [Get, 'orgs/:org/projects/:project/issues/:issue'],
  [Patch, 'orgs/:org/projects/:project/issues/:issue'],
  [Get, 'invoices/:year/:month'],
  [Get, 'invoices/:year/:month/:number'],
  [Post, 'search/:index'],
  [Get, 'files/:bucket/:key'],
  [Delete, 'sessions/:sessionId'],
];

/** A controller of 20 routes under `prefix` (applies Nest's decorators by hand), with `policy` when given. */
function routesController(prefix: string, index: number, policy?: CorsPolicyArgument): Type {
  const GeneratedController = class {};
  Object.defineProperty(GeneratedController, 'name', { value: `Generated${index}Controller` });
  ROUTES.forEach(([decorator, path], i) => {
    const name = `route${i}`;
    Object.defineProperty(GeneratedController.prototype, name, {
      value: function handler() {
        return { route: i };
      },
      writable: true,
      configurable: true,
      enumerable: false,
    });
    decorator(path)(GeneratedController.prototype, name, Object.getOwnPropertyDescriptor(GeneratedController.prototype, name)!);
  });
  Controller(prefix)(GeneratedController);
  if (policy !== undefined) CorsPolicy(policy)(GeneratedController);
  return GeneratedController;
}

/**
 * `routeCount` generated routes (a multiple of 20): one controller without prefix, then `/t1`,
 * `/t2`...; `firstPolicy` on the first one.
 */
export function generatedControllers(routeCount: number, firstPolicy?: CorsPolicyArgument): Type[] {
  const controllers: Type[] = [];
  for (let i = 0; i * ROUTES.length < routeCount; i++) {
    controllers.push(routesController(i === 0 ? '' : `t${i}`, i, i === 0 ? firstPolicy : undefined));
  }
  return controllers;
}

/**
 * `count` path patterns as an app with GraphQL, Swagger, static files and auth handlers has,
 * padded with generated ones: half static, half with wildcards or parameters. None covers the
 * scenarios' controller routes, so a request there must cost what it costs without them.
 */
export function benchPaths(count: number): Record<string, CorsPolicyArgument> | undefined {
  if (count === 0) return undefined;
  const open: CorsPolicyArgument = { origin: '*', credentials: false };
  const real: Array<[string, CorsPolicyArgument]> = [
    ['/graphql', { origin: ['https://partner.example.org'], credentials: true }],
    ['/docs/{*rest}', open],
    ['/docs-json', open],
    ['/static/{*file}', open],
    ['/auth{/*rest}', { origin: ['https://login.example.com'], credentials: true }],
    ['/internal/{*rest}', false],
  ];
  const generated = Array.from({ length: count - real.length }, (_, i): [string, CorsPolicyArgument] =>
    i % 2 === 0 ? [`/area-${i}/health`, open] : [`/area-${i}/files/:name`, false],
  );
  return Object.fromEntries([...real, ...generated]);
}

export interface BenchAppOptions {
  readonly variant: VariantSpec;
  /** Generated routes besides /hello and /items/:id. */
  readonly routes: number;
}

/** Creates and initialises the app (not listening). */
export async function createBenchApp({ variant, routes }: BenchAppOptions): Promise<INestApplication> {
  const origins = variant.origins === 10_000 ? manyOrigins(10_000) : [...THREE_ORIGINS];
  const fastify = platformOf(variant) === 'fastify';
  // Set explicitly on Fastify, where `@fastify/cors` defaults to GET,HEAD,POST (and the preflight asks for PATCH).
  const methods = fastify ? { methods: ALLOWED_METHODS } : {};
  const imports = [];
  const providers: Type[] = [];
  if (variant.cors === 'lib') {
    if (variant.origins === 'resolver') {
      imports.push(CorsModule.forRoot({ origin: [BenchOriginResolver], credentials: true, maxAge: 600 }));
      providers.push(BenchOriginResolver);
    } else if (variant.origins === 'resolver-scoped') {
      imports.push(CorsModule.forRoot({ origin: [BenchScopedOriginResolver], credentials: true, maxAge: 600 }));
      providers.push(BenchScopedOriginResolver);
    } else if (variant.origins === 'source') {
      imports.push(CorsModule.forRoot({ origin: [BenchOriginSource], credentials: true, maxAge: 600 }));
      providers.push(BenchOriginSource);
    } else {
      const onDecision = variant.decisions === true ? { onDecision: countDecision } : {};
      imports.push(
        CorsModule.forRoot({
          origin: variant.loopback === true ? [...origins, 'http://localhost:*'] : origins,
          credentials: true,
          maxAge: 600,
          ...methods,
          paths: benchPaths(variant.pathPatterns ?? 0),
          ...onDecision,
        }),
      );
    }
  }

  class BenchAppModule {}
  // A second policy, on routes the scenarios do not reach: their headers stay those of every variant.
  const firstPolicy = variant.perRoute === true ? { maxAge: 601 } : undefined;
  Module({ imports, providers, controllers: [...generatedControllers(routes, firstPolicy), HelloController, ItemsController] })(
    BenchAppModule,
  );

  const app = fastify
    ? await NestFactory.create(BenchAppModule, new FastifyAdapter(), { logger: false })
    : await NestFactory.create(BenchAppModule, { logger: false });
  // Where enableCors puts its middleware: ahead of the routes.
  if (variant.cors === 'floor') {
    if (fastify) (app.getHttpAdapter().getInstance() as FastifyInstance).addHook('onRequest', fastifyFloorHook);
    else app.use(floorMiddleware);
  }
  if (variant.cors === 'enableCors') {
    app.enableCors({ origin: variant.origins === 'callback' ? asyncOriginCallback : origins, credentials: true, maxAge: 600, ...methods });
  }
  await app.init();
  return app;
}
