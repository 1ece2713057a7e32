/**
 * BRIEF §3.5 and §4: every refused configuration fails `app.init()` with a
 * `CorsConfigurationError` whose message names the option, where it was declared
 * (`Controller.handler`, the controller, or `CorsModule.forRoot`) and the fix; every warning
 * is logged through Nest's Logger with the context 'CorsPolicy', and the app still starts.
 */
import { jest } from '@jest/globals';
import { Controller, Get, Injectable, Logger, Module, Patch, type INestApplication, type LoggerService, type Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import request from 'supertest';
import { PLATFORMS, type Platform } from './support/apps.js';
import {
  CorsConfigurationError,
  CorsModule,
  CorsPolicy,
  type CorsModuleOptions,
  type CorsOriginResolver,
  type CorsPolicyArgument,
} from '../lib/index.js';

const VALID_DEFAULTS: CorsModuleOptions = { origin: ['https://app.example.com'] };

type Placement = 'module' | 'controller' | 'handler' | 'path';

/** A controller with an undecorated `list` handler and an `update` handler. */
function buildController(controllerPolicy?: CorsPolicyArgument, handlerPolicy?: CorsPolicyArgument): Type {
  @Controller('orders')
  class OrdersController {
    @Get() list() {
      return [];
    }
    @Patch(':id') update() {
      return {};
    }
  }
  if (controllerPolicy !== undefined) CorsPolicy(controllerPolicy)(OrdersController);
  if (handlerPolicy !== undefined) {
    const descriptor = Object.getOwnPropertyDescriptor(OrdersController.prototype, 'update')!;
    CorsPolicy(handlerPolicy)(OrdersController.prototype, 'update', descriptor);
  }
  return OrdersController;
}

interface Fixture {
  readonly moduleOptions: CorsModuleOptions;
  readonly controller: Type;
  readonly providers?: Type[];
}

/** Puts a policy in the module defaults, on the controller, or on the `update` handler. */
function place(policy: Record<string, unknown>, placement: Placement): Fixture {
  switch (placement) {
    case 'module':
      return { moduleOptions: policy as CorsModuleOptions, controller: buildController() };
    case 'controller':
      return { moduleOptions: VALID_DEFAULTS, controller: buildController(policy as CorsPolicyArgument) };
    case 'handler':
      return { moduleOptions: VALID_DEFAULTS, controller: buildController(undefined, policy as CorsPolicyArgument) };
    case 'path':
      return {
        moduleOptions: { ...VALID_DEFAULTS, paths: { '/docs/{*rest}': policy as CorsPolicyArgument } },
        controller: buildController(),
      };
  }
}

/** Where the message must say the option was declared. */
const LOCATION: Record<Placement, string> = {
  module: 'CorsModule.forRoot',
  controller: 'OrdersController',
  handler: 'OrdersController.update',
  path: "paths['/docs/{*rest}']",
};

async function createApp(fixture: Fixture, logger: LoggerService | false = false): Promise<INestApplication> {
  @Module({
    imports: [CorsModule.forRoot(fixture.moduleOptions)],
    controllers: [fixture.controller],
    providers: fixture.providers ?? [],
  })
  class AppModule {}
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  return platform === 'fastify'
    ? moduleRef.createNestApplication(new FastifyAdapter(), { logger })
    : moduleRef.createNestApplication({ logger });
}

/** The platform the apps of the running block are built on (each top-level block runs on both). */
let platform: Platform = 'express';

/** Runs a block once per platform, with `createApp` building apps on it. */
function onEachPlatform(name: string, body: () => void): void {
  describe.each(PLATFORMS)(`${name} (%s)`, (current) => {
    beforeAll(() => {
      platform = current;
    });
    afterAll(() => {
      platform = 'express';
    });
    body();
  });
}

async function closeQuietly(app: INestApplication): Promise<void> {
  try {
    await app.close();
  } catch {
    // an app whose init failed may not close cleanly; nothing is listening anyway
  }
}

/** Runs app.init() and returns the CorsConfigurationError it must reject with. */
async function initError(fixture: Fixture): Promise<CorsConfigurationError> {
  const app = await createApp(fixture);
  let caught: unknown;
  try {
    await app.init();
  } catch (error) {
    caught = error;
  } finally {
    await closeQuietly(app);
  }
  expect(caught).toBeInstanceOf(CorsConfigurationError);
  return caught as CorsConfigurationError;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The message names the option (as a whole word), the location and the fix. */
function expectNamed(error: CorsConfigurationError, option: string, location: string): void {
  const message = error.message;
  expect(message).toMatch(new RegExp(`\\b${escapeRegExp(option)}\\b`));
  expect(message).toContain(location);
  expect(message).toContain('Fix');
  // One problem line carries all three, not three unrelated lines.
  const line = message
    .split('\n')
    .find((text) => text.includes(location) && new RegExp(`\\b${escapeRegExp(option)}\\b`).test(text) && text.includes('Fix'));
  expect(line).toBeDefined();
}

interface RefusedCase {
  readonly name: string;
  readonly policy: Record<string, unknown>;
  readonly option: string;
  /** Something the explanation must mention (the offending value, usually). */
  readonly mentions?: string;
}

const ALL_PLACEMENTS: Placement[] = ['module', 'controller', 'handler', 'path'];

const REFUSED: RefusedCase[] = [
  { name: "credentials: true with origin '*'", policy: { origin: '*', credentials: true }, option: 'origin', mentions: 'credentials' },
  {
    name: 'an origin with a path',
    policy: { origin: 'https://app.example.com/api' },
    option: 'origin',
    mentions: 'https://app.example.com/api',
  },
  {
    name: 'an origin with a path, in a list',
    policy: { origin: ['https://ok.example.com', 'https://app.example.com/api'] },
    option: 'origin',
    mentions: 'https://app.example.com/api',
  },
  {
    name: 'an origin with a trailing slash',
    policy: { origin: 'https://app.example.com/' },
    option: 'origin',
    mentions: 'https://app.example.com/',
  },
  { name: 'an origin without a scheme', policy: { origin: 'app.example.com' }, option: 'origin', mentions: 'app.example.com' },
  {
    name: 'an origin without a scheme, "//app.example.com"',
    policy: { origin: '//app.example.com' },
    option: 'origin',
    mentions: '//app.example.com',
  },
  {
    name: "a wildcard in a middle label ('https://app.*.com')",
    policy: { origin: 'https://app.*.com' },
    option: 'origin',
    mentions: 'https://app.*.com',
  },
  {
    name: "a wildcard glued to a label ('https://*example.com')",
    policy: { origin: 'https://*example.com' },
    option: 'origin',
    mentions: 'https://*example.com',
  },
  {
    name: "a wildcard in the last label ('https://example.*')",
    policy: { origin: 'https://example.*' },
    option: 'origin',
    mentions: 'https://example.*',
  },
  { name: "'*' inside a list", policy: { origin: ['https://app.example.com', '*'] }, option: 'origin', mentions: "'*'" },
  { name: "an invalid method token ('GE T')", policy: { methods: ['GET', 'GE T'] }, option: 'methods', mentions: 'GE T' },
  {
    name: "an invalid method token in a comma-separated string ('GET,PO ST')",
    policy: { methods: 'GET,PO ST' },
    option: 'methods',
    mentions: 'PO ST',
  },
  {
    name: "an invalid header name ('X Bad')",
    policy: { allowedHeaders: ['Content-Type', 'X Bad'] },
    option: 'allowedHeaders',
    mentions: 'X Bad',
  },
  { name: "an invalid exposed header name ('X:Bad')", policy: { exposedHeaders: ['X:Bad'] }, option: 'exposedHeaders', mentions: 'X:Bad' },
  { name: 'a negative maxAge', policy: { maxAge: -1 }, option: 'maxAge', mentions: '-1' },
  { name: 'a non-integer maxAge (1.5)', policy: { maxAge: 1.5 }, option: 'maxAge', mentions: '1.5' },
  { name: 'optionsSuccessStatus 300', policy: { optionsSuccessStatus: 300 }, option: 'optionsSuccessStatus', mentions: '300' },
  { name: 'optionsSuccessStatus 199', policy: { optionsSuccessStatus: 199 }, option: 'optionsSuccessStatus', mentions: '199' },
  { name: "an unknown option key ('origins')", policy: { origins: ['https://app.example.com'] }, option: 'origins' },
  {
    name: 'an origin with a query',
    policy: { origin: 'https://app.example.com?x=1' },
    option: 'origin',
    mentions: 'https://app.example.com?x=1',
  },
  {
    name: 'an origin with userinfo',
    policy: { origin: 'https://user@app.example.com' },
    option: 'origin',
    mentions: 'https://user@app.example.com',
  },
  {
    name: "a double wildcard ('https://*.*.example.com')",
    policy: { origin: 'https://*.*.example.com' },
    option: 'origin',
    mentions: 'https://*.*.example.com',
  },
  {
    name: "a wildcard port ('https://app.example.com:*')",
    policy: { origin: 'https://app.example.com:*' },
    option: 'origin',
    mentions: 'https://app.example.com:*',
  },
  { name: 'maxAge as a string', policy: { maxAge: '600' }, option: 'maxAge' },
  { name: 'credentials that is not a boolean', policy: { credentials: 'true' }, option: 'credentials' },
];

/** Options of CorsModule.forRoot that are not policy options: refused in a @CorsPolicy. */
const MODULE_ONLY: RefusedCase[] = [
  { name: "'policies'", policy: { policies: {} }, option: 'policies' },
  { name: "'debug'", policy: { debug: true }, option: 'debug' },
  { name: "'resolverCache'", policy: { resolverCache: { ttlMs: 10 } }, option: 'resolverCache' },
  { name: "'resolverTimeoutMs'", policy: { resolverTimeoutMs: 10 }, option: 'resolverTimeoutMs' },
];

onEachPlatform('refused configurations fail app.init() with CorsConfigurationError', () => {
  describe.each(ALL_PLACEMENTS)('declared in %s', (placement) => {
    it.each(REFUSED)('$name', async ({ policy, option, mentions }) => {
      const error = await initError(place(policy, placement));
      expectNamed(error, option, LOCATION[placement]);
      if (mentions !== undefined) expect(error.message).toContain(mentions);
      expect(error.problems.some((problem) => problem.option === option)).toBe(true);
      expect(error.problems.every((problem) => problem.fix.length > 0)).toBe(true);
    });
  });

  describe.each(['controller', 'handler', 'path'] as const)('a module-level option in a @CorsPolicy on the %s', (placement) => {
    it.each(MODULE_ONLY)('$name', async ({ policy, option }) => {
      const error = await initError(place({ origin: ['https://app.example.com'], ...policy }, placement));
      expectNamed(error, option, LOCATION[placement]);
    });
  });

  describe('module-level settings', () => {
    it('a negative resolverCache.ttlMs', async () => {
      const error = await initError({ moduleOptions: { ...VALID_DEFAULTS, resolverCache: { ttlMs: -1 } }, controller: buildController() });
      expectNamed(error, 'ttlMs', 'CorsModule.forRoot');
    });

    it('an unknown key in resolverCache', async () => {
      const error = await initError({
        moduleOptions: { ...VALID_DEFAULTS, resolverCache: { ttl: 5 } as unknown as CorsModuleOptions['resolverCache'] },
        controller: buildController(),
      });
      expectNamed(error, 'ttl', 'CorsModule.forRoot');
    });

    it('a resolverTimeoutMs of 0', async () => {
      const error = await initError({ moduleOptions: { ...VALID_DEFAULTS, resolverTimeoutMs: 0 }, controller: buildController() });
      expectNamed(error, 'resolverTimeoutMs', 'CorsModule.forRoot');
    });

    it('sanity: every documented module option and the isGlobal extra start', async () => {
      const app = await createApp({
        moduleOptions: {
          ...VALID_DEFAULTS,
          policies: { partners: { origin: ['https://partner.example.com'], credentials: true } },
          debug: false,
          resolverCache: { ttlMs: 0, maxEntries: 10 },
          resolverTimeoutMs: 500,
          isGlobal: true,
        } as CorsModuleOptions,
        controller: buildController(undefined, 'partners'),
      });
      try {
        await expect(app.init()).resolves.toBe(app);
      } finally {
        await app.close();
      }
    });
  });

  describe("credentials and '*' declared at different levels", () => {
    it("credentials in the module defaults, '*' on a handler: names the handler's Controller.handler", async () => {
      const error = await initError({
        moduleOptions: { origin: ['https://app.example.com'], credentials: true },
        controller: buildController(undefined, { origin: '*' }),
      });
      expectNamed(error, 'origin', 'OrdersController.update');
      expect(error.message).toContain(
        '@CorsPolicy on OrdersController.update: option "origin": origin \'*\' cannot be used with credentials: true ' +
          '(credentials declared at CorsModule.forRoot (module defaults)); browsers refuse that answer. ' +
          "Fix: list the trusted origins instead of '*', or set credentials: false in CorsModule.forRoot (module defaults).",
      );
    });

    it("credentials on the controller, '*' on a handler", async () => {
      const error = await initError({
        moduleOptions: VALID_DEFAULTS,
        controller: buildController({ credentials: true }, { origin: '*' }),
      });
      expectNamed(error, 'origin', 'OrdersController.update');
      expect(error.message).toContain('credentials');
    });

    it("'*' in the module defaults, credentials on a handler: names the handler's Controller.handler", async () => {
      const error = await initError({
        moduleOptions: { origin: '*' },
        controller: buildController(undefined, { credentials: true }),
      });
      expect(error.message).toContain('OrdersController.update');
      expect(error.message).toMatch(/\borigin\b/);
      expect(error.message).toContain('credentials');
      expect(error.message).toContain('Fix');
    });

    it("the cors package's default origin ('*') with credentials: true in the module defaults", async () => {
      const error = await initError({ moduleOptions: { credentials: true }, controller: buildController() });
      expectNamed(error, 'origin', 'CorsModule.forRoot');
      // The module's options, said once, and no route to blame.
      expect(error.message).toContain(
        'CorsModule.forRoot (module defaults) (the `cors` package default): option "origin": origin \'*\' cannot be used with credentials: true; ' +
          "browsers refuse that answer. Fix: list the trusted origins instead of '*', or set credentials: false in CorsModule.forRoot (module defaults).",
      );
      expect(error.message).not.toContain('on this route');
      expect(error.message).not.toContain('declared at CorsModule.forRoot (module defaults))');
    });

    it("'*' and credentials: true in one @CorsPolicy: the handler named once, the fix there", async () => {
      const error = await initError({
        moduleOptions: VALID_DEFAULTS,
        controller: buildController(undefined, { origin: '*', credentials: true }),
      });
      expect(error.message).toContain(
        '@CorsPolicy on OrdersController.update: option "origin": origin \'*\' cannot be used with credentials: true; browsers refuse that answer. ' +
          "Fix: list the trusted origins instead of '*', or set credentials: false in @CorsPolicy on OrdersController.update.",
      );
    });
  });

  describe('a named policy', () => {
    it('an unknown named policy on a handler', async () => {
      const error = await initError({
        moduleOptions: { ...VALID_DEFAULTS, policies: { partners: { origin: ['https://partner.example.com'] } } },
        controller: buildController(undefined, 'partnerz'),
      });
      expect(error.message).toContain('partnerz');
      expect(error.message).toContain('OrdersController.update');
      expect(error.message).toContain('policies');
      expect(error.message).toContain('Fix');
    });

    it('an unknown named policy on a controller', async () => {
      const error = await initError({
        moduleOptions: VALID_DEFAULTS,
        controller: buildController('partners'),
      });
      expect(error.message).toContain("'partners'");
      expect(error.message).toContain('OrdersController');
      expect(error.message).toContain('policies');
      expect(error.message).toContain('Fix');
    });

    it('an unknown named policy is reported together with the other problems of the app', async () => {
      const error = await initError({
        moduleOptions: { ...VALID_DEFAULTS, maxAge: -1 },
        controller: buildController(undefined, 'partnerz'),
      });
      expect(error.problems.map((problem) => problem.option).sort()).toEqual(['maxAge', 'policy name']);
    });

    it("an invalid named policy is reported at 'CorsModule.forRoot policies.<name>'", async () => {
      const error = await initError({
        moduleOptions: { ...VALID_DEFAULTS, policies: { partners: { origin: 'https://partner.example.com', maxAge: -5 } } },
        controller: buildController(undefined, 'partners'),
      });
      expectNamed(error, 'maxAge', 'CorsModule.forRoot');
      expect(error.message).toContain('partners');
    });

    it("a named policy with credentials and '*'", async () => {
      const error = await initError({
        moduleOptions: { ...VALID_DEFAULTS, policies: { open: { origin: '*', credentials: true } } },
        controller: buildController(undefined, 'open'),
      });
      expect(error.message).toMatch(/\borigin\b/);
      expect(error.message).toContain('open');
      expect(error.message).toContain('Fix');
    });
  });

  describe('a resolver class that no module provides', () => {
    @Injectable()
    class PartnerOrigins implements CorsOriginResolver {
      isOriginAllowed(origin: string): boolean {
        return origin === 'https://partner.example.com';
      }
    }

    it.each(ALL_PLACEMENTS)('declared in %s: the message says where to add it', async (placement) => {
      const error = await initError(place({ origin: [PartnerOrigins] }, placement));
      expectNamed(error, 'origin', LOCATION[placement]);
      expect(error.message).toContain('PartnerOrigins');
      expect(error.message).toMatch(/providers/);
    });

    it('sanity: the same resolver, provided by the app module, starts', async () => {
      const app = await createApp({
        moduleOptions: VALID_DEFAULTS,
        controller: buildController(undefined, { origin: [PartnerOrigins] }),
        providers: [PartnerOrigins],
      });
      try {
        await expect(app.init()).resolves.toBe(app);
      } finally {
        await app.close();
      }
    });
  });

  describe('a path policy (paths)', () => {
    const withPaths = (paths: Record<string, unknown>): Fixture => ({
      moduleOptions: { ...VALID_DEFAULTS, policies: { partners: { origin: ['https://partner.example.com'] } }, paths } as CorsModuleOptions,
      controller: buildController(),
    });

    it("an unknown named policy is reported at paths['<pattern>']", async () => {
      const error = await initError(withPaths({ '/graphql': 'partnerz' }));
      expectNamed(error, 'policy name', "paths['/graphql']");
      expect(error.message).toContain("'partnerz'");
      expect(error.message).toContain("'partners'");
    });

    it.each([
      ['a parameter without a name', '/files/:'],
      ['a bare wildcard (path-to-regexp v8 wants a name)', '/docs/*'],
      ['an unclosed group', '/docs{/*rest'],
      ['a regexp group', '/files/(.*)'],
    ])('an invalid pattern: %s', async (_, pattern) => {
      const error = await initError(withPaths({ [pattern]: { origin: '*' } }));
      expect(error.problems.map((problem) => problem.option)).toEqual([`paths['${pattern}']`]);
      expect(error.message).toContain(`paths['${pattern}']`);
      expect(error.message).toContain('not a valid route pattern');
      expect(error.message).toContain('Fix');
    });

    it('a pattern without a leading slash', async () => {
      const error = await initError(withPaths({ graphql: 'partners' }));
      expect(error.problems.map((problem) => problem.option)).toEqual(["paths['graphql']"]);
      expect(error.message).toContain("write '/graphql'");
    });

    it.each([42, null, ['/a']])('an argument that is not an options object, a name or false (%p)', async (argument) => {
      const error = await initError(withPaths({ '/graphql': argument }));
      expectNamed(error, 'paths', "paths['/graphql']");
    });

    it("'*' on a path with the credentials of the module defaults", async () => {
      const error = await initError({
        moduleOptions: { origin: ['https://app.example.com'], credentials: true, paths: { '/docs/{*rest}': { origin: '*' } } },
        controller: buildController(),
      });
      expectNamed(error, 'origin', "paths['/docs/{*rest}']");
      expect(error.message).toContain('credentials');
    });

    it('paths that is not an object', async () => {
      const error = await initError(withPaths('/graphql' as unknown as Record<string, unknown>));
      expectNamed(error, 'paths', 'CorsModule.forRoot');
    });

    it('sanity: valid paths start', async () => {
      const app = await createApp(withPaths({ '/graphql': 'partners', '/docs/{*rest}': { origin: '*' }, '/internal/{*rest}': false }));
      try {
        await expect(app.init()).resolves.toBe(app);
      } finally {
        await app.close();
      }
    });
  });

  it('reports every problem of the app at once', async () => {
    const error = await initError({
      moduleOptions: { origin: ['https://app.example.com/'] },
      controller: buildController({ maxAge: -1 }, { methods: ['GE T'] }),
    });
    expectNamed(error, 'origin', 'CorsModule.forRoot');
    expectNamed(error, 'maxAge', 'OrdersController');
    expectNamed(error, 'methods', 'OrdersController.update');
  });
});

/**
 * Issue 13: `app.enableCors(delegate)` accepts an options delegate; Nest's module builder would
 * turn one (or a string, a list...) into `{}`, i.e. origin '*'. They must stop the app instead.
 */
onEachPlatform('values that are not options objects fail app.init(), never fall back to origin *', () => {
  const delegate = (_request: unknown, callback: (error: Error | null, options: object) => void) =>
    callback(null, { origin: 'https://x.example' });
  const notOptions: ReadonlyArray<readonly [string, unknown, string]> = [
    ['an options delegate', delegate, 'got a function'],
    ['a string', 'https://x.example', 'got a string'],
    ['an array', ['https://x.example'], 'got an array'],
    ['null', null, 'got null'],
    ['a promise', Promise.resolve({ origin: 'https://x.example' }), 'got a promise'],
  ];

  it.each(notOptions)('CorsModule.forRoot(%s)', async (_, value, got) => {
    const error = await initError({ moduleOptions: value as CorsModuleOptions, controller: buildController() });
    expectNamed(error, 'options', 'CorsModule.forRoot');
    expect(error.message).toContain(got);
  });

  it('CorsModule.forRoot(delegate) says what to use instead: an origin function or a resolver class', async () => {
    const error = await initError({ moduleOptions: delegate as unknown as CorsModuleOptions, controller: buildController() });
    expect(error.message).toContain('app.enableCors((request, callback) => callback(null, options))');
    expect(error.message).toMatch(/Fix: .*origin function.*resolver class/);
  });

  it('CorsModule.forRoot(promise) points to forRootAsync', async () => {
    const error = await initError({ moduleOptions: Promise.resolve({}) as unknown as CorsModuleOptions, controller: buildController() });
    expect(error.message).toMatch(/Fix: .*CorsModule\.forRootAsync\(\{ useFactory/);
  });

  it.each(notOptions.filter(([name]) => name !== 'a promise'))('a CorsModule.forRootAsync factory returning %s', async (_, value, got) => {
    @Module({ imports: [CorsModule.forRootAsync({ useFactory: () => value as CorsModuleOptions })], controllers: [buildController()] })
    class AsyncAppModule {}
    const moduleRef = await Test.createTestingModule({ imports: [AsyncAppModule] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    const init = app.init();
    await expect(init).rejects.toBeInstanceOf(CorsConfigurationError);
    const error = (await init.catch((caught: unknown) => caught)) as CorsConfigurationError;
    await closeQuietly(app);
    expectNamed(error, 'options', 'CorsModule.forRootAsync');
    expect(error.message).toContain(got);
  });

  it.each(notOptions.filter(([name]) => name !== 'a string'))('a path policy that is %s', async (_, value, got) => {
    const error = await initError({
      moduleOptions: { ...VALID_DEFAULTS, paths: { '/graphql': value as false } },
      controller: buildController(),
    });
    expectNamed(error, 'paths', "paths['/graphql']");
    expect(error.message).toContain(got);
  });

  it.each(notOptions)('paths given as %s', async (_, value, got) => {
    const error = await initError({
      moduleOptions: { ...VALID_DEFAULTS, paths: value as Record<string, false> },
      controller: buildController(),
    });
    expectNamed(error, 'paths', 'CorsModule.forRoot');
    expect(error.message).toContain(got);
  });

  it.each(notOptions)('a named policy that is %s', async (_, value, got) => {
    const error = await initError({
      moduleOptions: { ...VALID_DEFAULTS, policies: { partners: value as CorsModuleOptions } },
      controller: buildController(),
    });
    expectNamed(error, 'policies.partners', 'CorsModule.forRoot policies.partners');
    expect(error.message).toContain(got);
  });

  it('policies given as a function', async () => {
    const error = await initError({
      moduleOptions: { ...VALID_DEFAULTS, policies: delegate as unknown as CorsModuleOptions['policies'] },
      controller: buildController(),
    });
    expectNamed(error, 'policies', 'CorsModule.forRoot');
    expect(error.message).toContain('got a function');
  });

  // A string there is a policy name: only the other kinds.
  it.each(notOptions.filter(([name]) => name !== 'a string'))('@CorsPolicy(%s) on a handler and on a controller', async (_, value, got) => {
    for (const [controller, location] of [
      [buildController(undefined, value as CorsPolicyArgument), 'OrdersController.update'],
      [buildController(value as CorsPolicyArgument), 'OrdersController'],
    ] as const) {
      const error = await initError({ moduleOptions: VALID_DEFAULTS, controller });
      expectNamed(error, 'CorsPolicy argument', location);
      expect(error.message).toContain(got);
    }
  });

  it('sanity: CorsModule.forRoot() without options starts with the cors package defaults', async () => {
    @Module({ imports: [CorsModule.forRoot()], controllers: [buildController()] })
    class DefaultsModule {}
    const moduleRef = await Test.createTestingModule({ imports: [DefaultsModule] }).compile();
    const app = await moduleRef.createNestApplication({ logger: false }).init();
    try {
      const response = await request(app.getHttpServer()).get('/orders').set('Origin', 'https://x.example').expect(200);
      expect(response.headers['access-control-allow-origin']).toBe('*');
    } finally {
      await app.close();
    }
  });
});

/** A LoggerService that records every call, as Nest passes them (message, context). */
class RecordingLogger implements LoggerService {
  readonly calls: Array<{ level: string; message: string; context: string | undefined }> = [];
  private record(level: string, message: unknown, rest: unknown[]): void {
    const context = rest.length > 0 && typeof rest[rest.length - 1] === 'string' ? (rest[rest.length - 1] as string) : undefined;
    this.calls.push({ level, message: String(message), context });
  }
  log(message: unknown, ...rest: unknown[]) {
    this.record('log', message, rest);
  }
  error(message: unknown, ...rest: unknown[]) {
    this.record('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]) {
    this.record('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]) {
    this.record('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]) {
    this.record('verbose', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]) {
    this.record('fatal', message, rest);
  }

  corsWarnings(): string[] {
    return this.calls.filter((call) => call.level === 'warn' && call.context === 'CorsPolicy').map((call) => call.message);
  }
}

/** Starts the app with a recording logger; the app must start (warnings never stop it). */
async function startupWarnings(fixture: Fixture): Promise<{ warnings: string[]; logger: RecordingLogger }> {
  const logger = new RecordingLogger();
  const app = await createApp(fixture, logger);
  try {
    await expect(app.init()).resolves.toBe(app);
  } finally {
    await app.close();
  }
  return { warnings: logger.corsWarnings(), logger };
}

interface WarnedCase {
  readonly name: string;
  readonly policy: Record<string, unknown>;
  readonly option: string;
  /** What the warning must explain. */
  readonly mentions: RegExp;
}

const WARNED: WarnedCase[] = [
  { name: 'origin: true with credentials', policy: { origin: true, credentials: true }, option: 'origin', mentions: /credentials/ },
  { name: "a trusted 'null' origin", policy: { origin: ['https://app.example.com', 'null'] }, option: 'origin', mentions: /null/ },
  {
    name: 'a RegExp not anchored at the start',
    policy: { origin: /https:\/\/app\.example\.com$/ },
    option: 'origin',
    mentions: /anchored/,
  },
  { name: 'a RegExp not anchored at the end', policy: { origin: /^https:\/\/app\.example\.com/ }, option: 'origin', mentions: /anchored/ },
  {
    name: 'a RegExp whose alternation leaves each branch anchored at one end only',
    policy: { origin: /^https:\/\/a\.example\.com|https:\/\/b\.example\.com$/ },
    option: 'origin',
    mentions: /anchored/,
  },
  { name: "a RegExp with an unescaped '.'", policy: { origin: /^https:\/\/app.example\.com$/ }, option: 'origin', mentions: /unescaped/ },
  {
    name: 'http: trusted next to https: of the same host',
    policy: { origin: ['https://app.example.com', 'http://app.example.com'] },
    option: 'origin',
    mentions: /http:\/\/app\.example\.com/,
  },
  {
    name: 'http: trusted next to an https: subdomain pattern of the same host',
    policy: { origin: ['https://*.example.com', 'http://*.example.com'] },
    option: 'origin',
    mentions: /http:\/\/\*\.example\.com/,
  },
  {
    name: 'http: with a port trusted next to https: of the same host',
    policy: { origin: ['https://app.example.com', 'http://app.example.com:8080'] },
    option: 'origin',
    mentions: /http:\/\/app\.example\.com:8080/,
  },
  {
    name: 'http: trusted for a host that an https: subdomain pattern covers',
    policy: { origin: ['https://*.example.com', 'http://app.example.com'] },
    option: 'origin',
    mentions: /http:\/\/app\.example\.com/,
  },
  {
    name: "allowedHeaders '*' (never covers Authorization)",
    policy: { allowedHeaders: '*' },
    option: 'allowedHeaders',
    mentions: /Authorization/,
  },
  {
    name: "allowedHeaders ['*', 'Content-Type']",
    policy: { allowedHeaders: ['*', 'Content-Type'] },
    option: 'allowedHeaders',
    mentions: /Authorization/,
  },
  {
    name: "a method written in lower case ('patch')",
    policy: { methods: ['GET', 'patch'] },
    option: 'methods',
    mentions: /patch[\s\S]*PATCH/,
  },
];

onEachPlatform("warned configurations start, and log through Nest's Logger with context CorsPolicy", () => {
  describe.each(ALL_PLACEMENTS)('declared in %s', (placement) => {
    it.each(WARNED)('$name', async ({ policy, option, mentions }) => {
      const { warnings } = await startupWarnings(place(policy, placement));
      const matching = warnings.filter(
        (warning) =>
          new RegExp(`\\b${escapeRegExp(option)}\\b`).test(warning) && mentions.test(warning) && warning.includes(LOCATION[placement]),
      );
      // On failure, show every CorsPolicy warning that was logged.
      expect(matching.length > 0 ? 'a matching warning was logged' : warnings).toBe('a matching warning was logged');
    });
  });

  it('a valid configuration logs no CorsPolicy warning (the logger records, so the check is not vacuous)', async () => {
    const { warnings, logger } = await startupWarnings({
      moduleOptions: {
        origin: [
          'https://app.example.com',
          'https://*.example.com',
          /^https:\/\/[a-z]+\.example\.org$/,
          /^(?:https:\/\/a\.example\.net|https:\/\/b\.example\.net)$/,
          'http://localhost:3000',
        ],
        credentials: true,
        methods: ['GET', 'PATCH'],
        allowedHeaders: ['Content-Type', 'Authorization'],
        maxAge: 600,
      },
      controller: buildController({ origin: ['https://partner.example.com'] }, { methods: ['PATCH'], maxAge: 20 }),
    });
    expect(warnings).toEqual([]);
    expect(logger.calls.length).toBeGreaterThan(0); // Nest's own startup logs reached the recorder
  });

  it('the warning is logged once, even when many routes share the policy', async () => {
    const { warnings } = await startupWarnings(place({ methods: ['GET', 'patch'] }, 'module'));
    expect(
      warnings.filter((warning) => warning.includes('"patch"') || warning.includes("'patch'") || /\bpatch\b/.test(warning)),
    ).toHaveLength(1);
  });

  describe('through Logger.prototype.warn', () => {
    const spyOnWarn = () => jest.spyOn(Logger.prototype, 'warn');
    let warn: ReturnType<typeof spyOnWarn>;

    beforeEach(() => {
      warn = spyOnWarn();
    });

    afterEach(() => {
      warn.mockRestore();
    });

    function corsWarnCalls(): string[] {
      return warn.mock.contexts
        .map((context: unknown, index: number) => ({
          context: (context as { context?: string }).context,
          message: String(warn.mock.calls[index][0]),
        }))
        .filter((call) => call.context === 'CorsPolicy')
        .map((call) => call.message);
    }

    it("a lower-case method is warned by a Logger('CorsPolicy')", async () => {
      const app = await createApp(place({ methods: ['patch'] }, 'handler'));
      try {
        await app.init();
      } finally {
        await app.close();
      }
      const messages = corsWarnCalls();
      expect(messages.some((message) => message.includes('OrdersController.update') && /\bmethods\b/.test(message))).toBe(true);
    });

    it('a valid configuration: no warn call with the CorsPolicy context', async () => {
      const app = await createApp(place({ methods: ['PATCH'] }, 'handler'));
      try {
        await app.init();
      } finally {
        await app.close();
      }
      expect(corsWarnCalls()).toEqual([]);
    });
  });
});
