/**
 * Parity on Fastify: `app.enableCors(o)` on `FastifyAdapter` is `@fastify/cors`. For each option
 * set, an app with `app.enableCors(o)` and one with `CorsModule.forRoot(o)`, both on Fastify, get
 * the same requests. Where `@fastify/cors` differs from the `cors` package, the library follows
 * `cors` (one option table, one behaviour on both platforms) or its own security rules: each such
 * difference is asserted on its own in "deviations from @fastify/cors", and the table compares
 * everything else. See the README, "Fastify".
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Get, Header, HttpCode, Options, Patch, Post, type INestApplication } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { whenReady } from './support/apps.js';
import { CorsModule, type CorsPolicyOptions } from '../lib/index.js';

type EnableCorsOptions = Parameters<INestApplication['enableCors']>[0];
type HttpServer = Parameters<typeof request>[0];

const APP = 'https://app.example.com';
const ADMIN = 'https://admin.example.com';
const EVIL = 'https://evil.example.net';
const CORS_PACKAGE_METHODS = 'GET,HEAD,PUT,PATCH,POST,DELETE';
const FASTIFY_CORS_METHODS = 'GET,HEAD,POST';

@Controller('items')
class ItemsController {
  @Get() list() {
    return [{ id: 1 }];
  }
  @Post() create() {
    return { id: 2 };
  }
  @Patch(':id') update() {
    return { id: 1 };
  }
  @Get('accept')
  @Header('Vary', 'Accept')
  accept() {
    return { id: 3 };
  }
  @Options() @HttpCode(200) optionsList() {
    return 'options handler';
  }
}

async function fastifyApp(options: object | undefined, withModule: boolean): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: withModule ? [CorsModule.forRoot((options ?? {}) as CorsPolicyOptions)] : [],
    controllers: [ItemsController],
  }).compile();
  const app = moduleRef.createNestApplication(new FastifyAdapter(), { logger: false });
  if (!withModule) app.enableCors(options as EnableCorsOptions);
  return whenReady(await app.init());
}

interface Pair {
  readonly fastifyCors: HttpServer;
  readonly lib: HttpServer;
  close(): Promise<void>;
}

async function bootPair(options: object | undefined): Promise<Pair> {
  const corsApp = await fastifyApp(options, false);
  const libApp = await fastifyApp(options, true);
  return {
    fastifyCors: corsApp.getHttpServer(),
    lib: libApp.getHttpServer(),
    close: async () => {
      await corsApp.close();
      await libApp.close();
    },
  };
}

interface Probe {
  readonly name: string;
  readonly method: 'get' | 'head' | 'post' | 'options';
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly preflight: boolean;
}

const actual = (name: string, method: Probe['method'], origin: string): Probe => ({
  name,
  method,
  path: '/items',
  headers: { Origin: origin },
  preflight: false,
});
const preflight = (name: string, origin: string, requestMethod: string, path: string, requestHeaders?: string): Probe => ({
  name,
  method: 'options',
  path,
  headers: {
    Origin: origin,
    'Access-Control-Request-Method': requestMethod,
    ...(requestHeaders === undefined ? {} : { 'Access-Control-Request-Headers': requestHeaders }),
  },
  preflight: true,
});

/** Requests from an allowed origin: where both must send the same CORS answer. */
const PROBES: readonly Probe[] = [
  actual('GET from an allowed origin', 'get', APP),
  actual('HEAD from an allowed origin', 'head', APP),
  actual('POST from an allowed origin', 'post', APP),
  preflight('preflight PATCH, no Access-Control-Request-Headers', APP, 'PATCH', '/items/42'),
  preflight("preflight PATCH with 'X-Foo'", APP, 'PATCH', '/items/42', 'X-Foo'),
  preflight("preflight PATCH with 'x-foo,x-bar'", APP, 'PATCH', '/items/42', 'x-foo,x-bar'),
  preflight("preflight POST with 'Content-Type'", APP, 'POST', '/items', 'Content-Type'),
];

interface OptionSet {
  readonly name: string;
  readonly options: object | undefined;
}

const OPTION_SETS: readonly OptionSet[] = [
  { name: 'defaults (no options)', options: undefined },
  { name: 'origin: true', options: { origin: true } },
  { name: "origin: '*'", options: { origin: '*' } },
  { name: 'origin: one string', options: { origin: APP } },
  { name: 'origin: a list', options: { origin: [APP, ADMIN] } },
  { name: 'origin: an anchored RegExp', options: { origin: /^https:\/\/(app|admin)\.example\.com$/ } },
  { name: 'origin: a mixed list (string and RegExp)', options: { origin: [ADMIN, /^https:\/\/app\.example\.com$/] } },
  {
    name: 'origin: a callback allowing every origin',
    options: { origin: (_origin: string | undefined, callback: (error: Error | null, allow: boolean) => void) => callback(null, true) },
  },
  { name: 'credentials: true', options: { origin: [APP], credentials: true } },
  { name: 'methods as a string', options: { origin: [APP], methods: 'GET,POST,PATCH' } },
  { name: 'methods as an array', options: { origin: [APP], methods: ['GET', 'POST', 'PATCH'] } },
  { name: 'allowedHeaders explicit (array)', options: { origin: [APP], allowedHeaders: ['Content-Type', 'X-Foo'] } },
  { name: 'exposedHeaders', options: { origin: [APP], exposedHeaders: ['X-Total-Count', 'X-Request-Id'] } },
  { name: 'maxAge: 600', options: { origin: [APP], maxAge: 600 } },
  { name: 'optionsSuccessStatus: 200', options: { origin: [APP], optionsSuccessStatus: 200 } },
  {
    name: 'everything together',
    options: {
      origin: [APP, ADMIN],
      credentials: true,
      methods: ['GET', 'PATCH'],
      allowedHeaders: ['Content-Type', 'X-Foo'],
      exposedHeaders: ['X-Total-Count'],
      maxAge: 600,
      optionsSuccessStatus: 200,
    },
  },
];

interface Observed {
  readonly status: number;
  readonly accessControl: Record<string, string>;
  readonly vary: string[];
}

async function send(server: HttpServer, probe: Probe): Promise<Observed> {
  let req = request(server)[probe.method](probe.path);
  for (const [name, value] of Object.entries(probe.headers)) req = req.set(name, value);
  return observe(await req);
}

function observe(res: request.Response): Observed {
  const headers = res.headers as Record<string, string | undefined>;
  const accessControl: Record<string, string> = {};
  for (const name of Object.keys(headers).sort()) if (name.startsWith('access-control-')) accessControl[name] = String(headers[name]);
  return { status: res.status, accessControl, vary: tokens(headers.vary) };
}

function tokens(value: string | undefined): string[] {
  return [
    ...new Set(
      (value ?? '')
        .split(',')
        .map((token) => token.trim().toLowerCase())
        .filter(Boolean),
    ),
  ].sort();
}

/**
 * The known, deliberate differences taken out of a comparison, each asserted in its own test below:
 * list values compared as lists (`@fastify/cors` joins arrays with ", ", `cors` with ","), the
 * default `methods` (deviation 1) and `Vary: Origin` for a single-string origin (deviation 3).
 */
function comparable(observed: Observed, set: OptionSet): Observed {
  const accessControl = { ...observed.accessControl };
  for (const name of ['access-control-allow-methods', 'access-control-allow-headers', 'access-control-expose-headers']) {
    if (accessControl[name] !== undefined) accessControl[name] = tokens(accessControl[name]).join(',');
  }
  const methodsUnset = set.options === undefined || !('methods' in set.options);
  if (methodsUnset) delete accessControl['access-control-allow-methods'];
  const singleString = set.options !== undefined && typeof (set.options as { origin?: unknown }).origin === 'string';
  const vary = singleString ? observed.vary.filter((token) => token !== 'origin') : observed.vary;
  return { ...observed, accessControl, vary };
}

describe('parity with app.enableCors() on FastifyAdapter (@fastify/cors)', () => {
  describe.each(OPTION_SETS)('$name', (set) => {
    let pair: Pair | undefined;
    beforeAll(async () => {
      pair = await bootPair(set.options);
    });
    afterAll(async () => {
      await pair?.close();
    });

    it.each(PROBES)('$name › same status, Access-Control-* headers and Vary tokens (known deviations aside)', async (probe) => {
      const viaFastifyCors = comparable(await send(pair!.fastifyCors, probe), set);
      const viaLib = comparable(await send(pair!.lib, probe), set);
      expect(viaLib).toEqual(viaFastifyCors);
      expect(viaLib.accessControl['access-control-allow-origin']).toBeDefined();
    });
  });
});

describe('deviations from @fastify/cors (the library follows cors, or its own security rules)', () => {
  const pairs = new Map<string, Pair>();
  const pairFor = async (name: string, options: object | undefined) => {
    let pair = pairs.get(name);
    if (pair === undefined) pairs.set(name, (pair = await bootPair(options)));
    return pair;
  };
  afterAll(async () => {
    await Promise.all([...pairs.values()].map((pair) => pair.close()));
  });

  it(`1. default methods: @fastify/cors allows ${FASTIFY_CORS_METHODS}, the library the cors package's ${CORS_PACKAGE_METHODS}`, async () => {
    const pair = await pairFor('list', { origin: [APP] });
    const probe = preflight('PATCH', APP, 'PATCH', '/items/42');
    expect((await send(pair.fastifyCors, probe)).accessControl['access-control-allow-methods']).toBe(FASTIFY_CORS_METHODS);
    expect((await send(pair.lib, probe)).accessControl['access-control-allow-methods']).toBe(CORS_PACKAGE_METHODS);
  });

  it('2. an OPTIONS without Access-Control-Request-Method: @fastify/cors answers 400 Invalid Preflight Request, the library lets it reach the @Options handler', async () => {
    const pair = await pairFor('list', { origin: [APP] });
    const viaFastifyCors = await request(pair.fastifyCors).options('/items').set('Origin', APP);
    expect(viaFastifyCors.status).toBe(400);
    expect(viaFastifyCors.text).toContain('Invalid Preflight Request');
    const viaLib = await request(pair.lib).options('/items').set('Origin', APP);
    expect(viaLib.status).toBe(200);
    expect(viaLib.text).toBe('options handler');
    expect(viaLib.headers['access-control-allow-origin']).toBe(APP);
  });

  it('2. an OPTIONS without Origin: @fastify/cors answers 400, the library lets it reach the @Options handler untouched', async () => {
    const pair = await pairFor('list', { origin: [APP] });
    expect((await request(pair.fastifyCors).options('/items')).status).toBe(400);
    const viaLib = await request(pair.lib).options('/items');
    expect(viaLib.status).toBe(200);
    expect(viaLib.text).toBe('options handler');
  });

  it('3. a single-string origin: @fastify/cors sends no Vary: Origin, the library does (its answer depends on the Origin: other origins are refused)', async () => {
    const pair = await pairFor('string', { origin: APP });
    const viaFastifyCors = await send(pair.fastifyCors, actual('GET', 'get', EVIL));
    const viaLib = await send(pair.lib, actual('GET', 'get', EVIL));
    expect(viaFastifyCors.vary).not.toContain('origin');
    expect(viaFastifyCors.accessControl['access-control-allow-origin']).toBe(APP);
    expect(viaLib.vary).toContain('origin');
    expect(viaLib.accessControl).toEqual({});
  });

  it("4. a handler's own Vary: @fastify/cors loses Origin, the library keeps it", async () => {
    const pair = await pairFor('list', { origin: [APP] });
    const viaFastifyCors = await request(pair.fastifyCors).get('/items/accept').set('Origin', APP);
    const viaLib = await request(pair.lib).get('/items/accept').set('Origin', APP);
    expect(tokens(viaFastifyCors.headers.vary as string | undefined)).toEqual(['accept']);
    expect(tokens(viaLib.headers.vary as string | undefined)).toEqual(['accept', 'origin']);
  });

  it('5. a refused origin: @fastify/cors still sends Access-Control-Allow-Methods (and the rest) on its preflight, the library sends no Access-Control-* header', async () => {
    const pair = await pairFor('list', { origin: [APP] });
    const probe = preflight('refused', EVIL, 'PATCH', '/items/42', 'X-Foo');
    const viaFastifyCors = await send(pair.fastifyCors, probe);
    const viaLib = await send(pair.lib, probe);
    expect(viaLib.status).toBe(viaFastifyCors.status);
    expect(viaFastifyCors.accessControl['access-control-allow-methods']).toBe(FASTIFY_CORS_METHODS);
    expect(viaLib.accessControl).toEqual({});
    expect(viaLib.vary).toContain('origin');
  });

  it("7. allowedHeaders '': @fastify/cors sends an empty Access-Control-Allow-Headers, the library reflects the requested headers as cors does (and varies on them)", async () => {
    const pair = await pairFor('reflected', { origin: [APP], allowedHeaders: '' });
    const probe = preflight('reflected', APP, 'PATCH', '/items/42', 'X-Foo');
    const viaFastifyCors = await send(pair.fastifyCors, probe);
    const viaLib = await send(pair.lib, probe);
    expect(viaFastifyCors.accessControl['access-control-allow-headers']).toBe('');
    expect(viaLib.accessControl['access-control-allow-headers']).toBe('X-Foo');
    expect(viaLib.vary).toContain('access-control-request-headers');
  });

  it("8. preflightContinue on a path without an @Options handler: @fastify/cors's catch-all OPTIONS route answers 200, the library hands the preflight to Nest's routing (404, as cors on Express)", async () => {
    const pair = await pairFor('continue', { origin: [APP], preflightContinue: true });
    const probe = preflight('continue', APP, 'PATCH', '/items/42');
    const viaFastifyCors = await send(pair.fastifyCors, probe);
    const viaLib = await send(pair.lib, probe);
    expect(viaFastifyCors.status).toBe(200);
    expect(viaLib.status).toBe(404);
    expect(viaLib.accessControl['access-control-allow-origin']).toBe(APP);
    // Where the route has its own @Options handler, both reach it.
    const handled = preflight('continue', APP, 'POST', '/items');
    expect((await send(pair.lib, handled)).status).toBe(200);
    expect((await send(pair.fastifyCors, handled)).status).toBe(200);
  });

  it('6. list values: @fastify/cors joins an array with ", ", the library with "," as cors does (the same list to a browser)', async () => {
    const pair = await pairFor('exposed', { origin: [APP], exposedHeaders: ['X-Total-Count', 'X-Request-Id'] });
    const viaFastifyCors = await send(pair.fastifyCors, actual('GET', 'get', APP));
    const viaLib = await send(pair.lib, actual('GET', 'get', APP));
    expect(viaFastifyCors.accessControl['access-control-expose-headers']).toBe('X-Total-Count, X-Request-Id');
    expect(viaLib.accessControl['access-control-expose-headers']).toBe('X-Total-Count,X-Request-Id');
  });

  it('9. allowedHeaders: [] and exposedHeaders: []: @fastify/cors sends each header with an empty value, the library sends neither, as cors does on Express (a browser reads both the same)', async () => {
    const pair = await pairFor('empty lists', { origin: [APP], allowedHeaders: [], exposedHeaders: [] });
    const probe = preflight('empty lists', APP, 'PATCH', '/items/42', 'X-Foo');
    const preflightViaFastifyCors = await send(pair.fastifyCors, probe);
    const preflightViaLib = await send(pair.lib, probe);
    expect(preflightViaFastifyCors.accessControl['access-control-allow-headers']).toBe('');
    expect(preflightViaLib.accessControl).not.toHaveProperty('access-control-allow-headers');
    // An empty list is a list: nothing reflected, so no Vary on the requested headers either.
    expect(preflightViaLib.vary).not.toContain('access-control-request-headers');
    expect(preflightViaLib.accessControl['access-control-allow-origin']).toBe(APP);
    const actualViaFastifyCors = await send(pair.fastifyCors, actual('GET', 'get', APP));
    const actualViaLib = await send(pair.lib, actual('GET', 'get', APP));
    expect(actualViaFastifyCors.accessControl['access-control-expose-headers']).toBe('');
    expect(actualViaLib.accessControl).not.toHaveProperty('access-control-expose-headers');
    expect(actualViaLib.accessControl['access-control-allow-origin']).toBe(APP);
  });
});
