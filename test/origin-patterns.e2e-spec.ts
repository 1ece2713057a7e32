/**
 * Issue 28, end to end on Express and Fastify: loopback port rules (`'http://localhost:*'`)
 * allowed with credentials and nothing else; port wildcards on other hosts and subdomain
 * patterns under a public suffix refused at startup wherever a rule is declared (module,
 * `@CorsPolicy`, named policies, `paths`, gateways), with their exact messages; the warnings
 * (production, the opt-out, a RegExp); `debug`, `onDecision` and the policy map.
 */
import { Controller, Get, Module, Put, type INestApplication, type LoggerService, type Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import request from 'supertest';
import {
  CorsConfigurationError,
  CorsModule,
  CorsPolicy,
  CorsPolicyMap,
  type CorsDecision,
  type CorsModuleOptions,
  type CorsPolicyArgument,
} from '../lib/index.js';
import { CorsIoAdapter } from '../lib/websockets/socket-io.js';
import { createPlatformApplication, createPlatformFactoryApp, describeOnPlatforms } from './support/apps.js';
import { varyOf } from './support/headers.js';
import { connectIo } from './support/socket-clients.js';

const APP = 'https://app.example.com';
const LOOPBACK = ['http://localhost:*', 'http://127.0.0.1:*', 'https://[::1]:*'];

/** Records what the app logs; `warnings` are the CorsPolicy ones. */
class RecordingLogger implements LoggerService {
  readonly warnings: string[] = [];
  log(): void {}
  error(): void {}
  warn(message: unknown, context?: unknown): void {
    if (context === 'CorsPolicy') this.warnings.push(String(message));
  }
}

function controller(policy?: CorsPolicyArgument, handlerPolicy?: CorsPolicyArgument): Type {
  @Controller('dev')
  class DevController {
    @Get() read() {
      return { ok: true };
    }
    @Put() write() {
      return { ok: true };
    }
  }
  if (policy !== undefined) CorsPolicy(policy)(DevController);
  if (handlerPolicy !== undefined) {
    CorsPolicy(handlerPolicy)(DevController.prototype, 'read', Object.getOwnPropertyDescriptor(DevController.prototype, 'read')!);
  }
  return DevController;
}

async function build(options: CorsModuleOptions, ctrl: Type = controller(), logger: LoggerService | false = false) {
  @Module({ imports: [CorsModule.forRoot(options)], controllers: [ctrl] })
  class PatternsModule {}
  const moduleRef = await Test.createTestingModule({ imports: [PatternsModule] }).compile();
  return createPlatformApplication(moduleRef, { logger });
}

async function start(options: CorsModuleOptions, ctrl?: Type, logger: LoggerService | false = false): Promise<INestApplication> {
  const app = await build(options, ctrl, logger);
  await app.init();
  await (app.getHttpAdapter().getInstance() as { ready?: () => Promise<unknown> }).ready?.();
  return app;
}

/** The one-line problems of the error app.init() must reject with. */
async function startupErrors(options: CorsModuleOptions, ctrl?: Type): Promise<string[]> {
  const app = await build(options, ctrl);
  let caught: unknown;
  try {
    await app.init();
  } catch (error) {
    caught = error;
  }
  await app.close().catch(() => undefined);
  expect(caught).toBeInstanceOf(CorsConfigurationError);
  return (caught as CorsConfigurationError).message.split('\n').slice(1);
}

async function startupWarnings(options: CorsModuleOptions, ctrl?: Type): Promise<string[]> {
  const logger = new RecordingLogger();
  const app = await start(options, ctrl, logger);
  await app.close();
  return logger.warnings;
}

const suffixError = (declaredAt: string, pattern: string, suffix: string, section: string) => {
  const scheme = pattern.slice(0, pattern.indexOf(':'));
  return (
    `  - ${declaredAt}: option "origin": "${pattern}" is a subdomain pattern directly under the public suffix ${suffix} ` +
    `(${section} section of the Public Suffix List): anyone can get a subdomain there, so it trusts every stranger's page. ` +
    `Fix: list your own subdomains (e.g. "${scheme}://myapp.${suffix}"), or use a pattern under a domain you own ` +
    `(e.g. "${scheme}://*.myapp.${suffix}" when myapp.${suffix} is yours); only if you really mean every page there, ` +
    'set dangerouslyAllowPublicSuffixSubdomains: true on this policy.'
  );
};

describeOnPlatforms('loopback port rules', () => {
  let app: INestApplication;
  beforeAll(async () => (app = await start({ origin: [APP, ...LOOPBACK], credentials: true, methods: ['GET', 'PUT'] })));
  afterAll(() => app.close());

  it.each([
    'http://localhost',
    'http://localhost:1',
    'http://localhost:3001',
    'http://localhost:5173',
    'http://localhost:6006',
    'http://localhost:65535',
    'http://127.0.0.1:8080',
    'https://[::1]',
    'https://[::1]:5173',
  ])('allows %s with credentials (actual and preflight)', async (origin) => {
    const actual = await request(app.getHttpServer()).get('/dev').set('Origin', origin).expect(200);
    expect(actual.headers['access-control-allow-origin']).toBe(origin);
    expect(actual.headers['access-control-allow-credentials']).toBe('true');
    expect(varyOf(actual)).toContain('origin');
    const preflight = await request(app.getHttpServer()).options('/dev').set({ Origin: origin, 'Access-Control-Request-Method': 'PUT' });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(origin);
    expect(preflight.headers['access-control-allow-methods']).toBe('GET,PUT');
  });

  it.each([
    'http://localhost.evil.net:5173',
    'http://localhost:5173.evil.net',
    'http://localhost:0',
    'http://localhost:99999',
    'http://sub.localhost:5173',
    'http://localhost:05173',
    'http://localhost:80',
    'https://[::1]:443',
    'http://LOCALHOST:5173',
    'http://localhost.:5173',
    'http://user@localhost:5173',
    'http://localhost%2e:5173',
    'http://127.0.0.2:5173',
    'https://localhost:5173',
    'http://[::1]:5173',
    'http://localhost:5173, http://localhost:5174',
  ])('refuses %s (actual and preflight), with Vary: Origin', async (origin) => {
    const actual = await request(app.getHttpServer()).get('/dev').set('Origin', origin).expect(200);
    expect(actual.headers['access-control-allow-origin']).toBeUndefined();
    expect(actual.headers['access-control-allow-credentials']).toBeUndefined();
    expect(varyOf(actual)).toContain('origin');
    const preflight = await request(app.getHttpServer()).options('/dev').set({ Origin: origin, 'Access-Control-Request-Method': 'PUT' });
    expect(preflight.status).toBe(204);
    expect(Object.keys(preflight.headers).filter((name) => name.startsWith('access-control-allow-'))).toEqual([]);
  });

  it('is accepted in every place a rule is declared: @CorsPolicy, a named policy, paths', async () => {
    const placed = await start(
      { origin: [APP], policies: { dev: { origin: ['http://localhost:*'] } }, paths: { '/docs/{*rest}': { origin: ['http://[::1]:*'] } } },
      controller({ origin: ['http://127.0.0.1:*'] }, 'dev'),
    );
    try {
      const server = placed.getHttpServer();
      const read = await request(server).get('/dev').set('Origin', 'http://localhost:5173');
      expect(read.headers['access-control-allow-origin']).toBe('http://localhost:5173');
      const write = await request(server).put('/dev').set('Origin', 'http://127.0.0.1:3001');
      expect(write.headers['access-control-allow-origin']).toBe('http://127.0.0.1:3001');
      const docs = await request(server).get('/docs/a').set('Origin', 'http://[::1]:6006');
      expect(docs.headers['access-control-allow-origin']).toBe('http://[::1]:6006');
      const other = await request(server).put('/dev').set('Origin', 'http://localhost:5173');
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await placed.close();
    }
  });
});

describeOnPlatforms('origin patterns refused at startup', () => {
  it.each([
    ['CorsModule.forRoot (module defaults)', (origin: string) => ({ options: { origin: [origin] } })],
    ['@CorsPolicy on DevController', (origin: string) => ({ options: { origin: [APP] }, ctrl: controller({ origin }) })],
    ['@CorsPolicy on DevController.read', (origin: string) => ({ options: { origin: [APP] }, ctrl: controller(undefined, { origin }) })],
    [
      'CorsModule.forRoot policies.dev',
      (origin: string) => ({ options: { origin: [APP], policies: { dev: { origin } } }, ctrl: controller('dev') }),
    ],
    [
      "CorsModule.forRoot paths['/docs/{*rest}']",
      (origin: string) => ({ options: { origin: [APP], paths: { '/docs/{*rest}': { origin: [origin] } } } }),
    ],
  ] as const)('a port wildcard on a public host, declared at %s', async (declaredAt, place) => {
    const { options, ctrl } = place('https://app.example.com:*') as { options: CorsModuleOptions; ctrl?: Type };
    expect(await startupErrors(options, ctrl)).toEqual([
      `  - ${declaredAt}: option "origin": "https://app.example.com:*" has a port wildcard on "app.example.com", which is not ` +
        'localhost, 127.0.0.1 or [::1]; on any other host, any port means any service on it. Fix: list the exact origins with their ports, e.g. "https://app.example.com:8443"; ' +
        'a port wildcard is only for https://localhost:*, https://127.0.0.1:*, https://[::1]:*.',
    ]);
  });

  it.each([
    ['https://*.github.io', 'github.io', 'private'],
    ['https://*.vercel.app', 'vercel.app', 'private'],
    ['https://*.herokuapp.com', 'herokuapp.com', 'private'],
    ['https://*.co.uk', 'co.uk', 'ICANN'],
    ['https://*.s3.amazonaws.com', 's3.amazonaws.com', 'private'],
    ['http://*.github.io:8080', 'github.io', 'private'],
  ])('%s, with or without credentials', async (pattern, suffix, section) => {
    const expected = [suffixError('CorsModule.forRoot (module defaults)', pattern, suffix, section)];
    expect(await startupErrors({ origin: [APP, pattern] })).toEqual(expected);
    expect(await startupErrors({ origin: [APP, pattern], credentials: true })).toEqual(expected);
  });

  it.each([
    ['@CorsPolicy on DevController', { origin: [APP] }, controller({ origin: 'https://*.github.io' })],
    ['@CorsPolicy on DevController.read', { origin: [APP] }, controller(undefined, { origin: ['https://*.github.io'] })],
    ['CorsModule.forRoot policies.pages', { origin: [APP], policies: { pages: { origin: 'https://*.github.io' } } }, controller('pages')],
    [
      "CorsModule.forRoot paths['/docs/{*rest}']",
      { origin: [APP], paths: { '/docs/{*rest}': { origin: ['https://*.github.io'] } } },
      controller(),
    ],
  ] as Array<[string, CorsModuleOptions, Type]>)('a pattern under a public suffix declared at %s', async (declaredAt, options, ctrl) => {
    expect(await startupErrors(options, ctrl)).toEqual([suffixError(declaredAt, 'https://*.github.io', 'github.io', 'private')]);
  });

  it('a pattern under a domain someone owns on a public suffix starts', async () => {
    expect(await startupWarnings({ origin: ['https://*.myapp.github.io', 'https://*.example.co.uk'], credentials: true })).toEqual([]);
  });

  it('the opt-out is validated like the other fields', async () => {
    const errors = await startupErrors({
      origin: [APP],
      dangerouslyAllowPublicSuffixSubdomains: 'yes' as unknown as boolean,
    });
    expect(errors).toEqual([
      '  - CorsModule.forRoot (module defaults): option "dangerouslyAllowPublicSuffixSubdomains": must be a boolean value (got "yes"). Fix: use true or false.',
    ]);
  });
});

describeOnPlatforms('origin patterns warned at startup', () => {
  const previous = process.env.NODE_ENV;
  afterEach(() => {
    if (previous === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = previous;
  });

  it('a loopback port rule while NODE_ENV is production', async () => {
    process.env.NODE_ENV = 'production';
    expect(await startupWarnings({ origin: [APP, 'http://localhost:*', 'http://[::1]:*'], credentials: true })).toEqual([
      'CorsModule.forRoot (module defaults): option "origin": "http://localhost:*", "http://[::1]:*" trust any port on the developer\'s ' +
        "machine while NODE_ENV is production. Fix: declare loopback rules only in development, e.g. origin: [...(process.env.NODE_ENV === 'production' ? [] : ['http://localhost:*'])].",
    ]);
  });

  it('no warning for a loopback port rule in development', async () => {
    process.env.NODE_ENV = 'development';
    expect(await startupWarnings({ origin: [APP, 'http://localhost:*'], credentials: true })).toEqual([]);
  });

  it('a loopback port rule written in upper case is compared as browsers send it', async () => {
    process.env.NODE_ENV = 'test';
    expect(await startupWarnings({ origin: ['HTTP://LOCALHOST:*'] })).toEqual([
      'CorsModule.forRoot (module defaults): option "origin": "HTTP://LOCALHOST:*" is compared as "http://localhost:*", as browsers send it. Fix: write "http://localhost:*".',
    ]);
  });

  it('dangerouslyAllowPublicSuffixSubdomains keeps the pattern, warned, on the policy that sets it', async () => {
    const warnings = await startupWarnings(
      { origin: [APP] },
      controller({ origin: ['https://*.github.io'], dangerouslyAllowPublicSuffixSubdomains: true }),
    );
    expect(warnings).toEqual([
      '@CorsPolicy on DevController: option "dangerouslyAllowPublicSuffixSubdomains": "https://*.github.io" is kept under the public suffix ' +
        "github.io (private section of the Public Suffix List) because dangerouslyAllowPublicSuffixSubdomains is true: every page there, anyone's, " +
        'is trusted. Fix: list your own subdomains (e.g. "https://myapp.github.io"), or use a pattern under a domain you own ' +
        '(e.g. "https://*.myapp.github.io" when myapp.github.io is yours), and remove dangerouslyAllowPublicSuffixSubdomains.',
    ]);
  });

  it('the opt-out is merged like the other fields: a named policy replaces it', async () => {
    const errors = await startupErrors(
      {
        origin: ['https://*.vercel.app'],
        dangerouslyAllowPublicSuffixSubdomains: true,
        policies: { strictPages: { origin: ['https://*.vercel.app'] } },
      },
      controller('strictPages'),
    );
    expect(errors).toEqual([suffixError('CorsModule.forRoot policies.strictPages', 'https://*.vercel.app', 'vercel.app', 'private')]);
  });

  it('a RegExp ending with a public suffix after a wildcard part', async () => {
    expect(await startupWarnings({ origin: [/^https:\/\/[a-z0-9-]+\.github\.io$/] })).toEqual([
      'CorsModule.forRoot (module defaults): option "origin": /^https:\\/\\/[a-z0-9-]+\\.github\\.io$/ ends with the public suffix github.io ' +
        "(private section of the Public Suffix List) after a wildcard part: anyone can get a subdomain there, so it may trust every stranger's page. " +
        'Fix: list your own subdomains (e.g. "https://myapp.github.io"), or use a pattern under a domain you own (e.g. "https://*.myapp.github.io" when myapp.github.io is yours).',
    ]);
  });

  it('no warning for a RegExp under a registrable domain', async () => {
    expect(await startupWarnings({ origin: [/^https:\/\/[a-z0-9-]+\.myapp\.github\.io$/, /^https:\/\/[a-z]+\.example\.com$/] })).toEqual(
      [],
    );
  });
});

describeOnPlatforms('origin patterns in debug, decisions and the policy map', () => {
  let app: INestApplication;
  let logger: RecordingLogger;
  const decisions: CorsDecision[] = [];
  const debugLines = (): string[] => logger.warnings.filter((line) => line.startsWith('Refused'));
  beforeAll(async () => {
    logger = new RecordingLogger();
    app = await start(
      {
        origin: [APP, 'http://localhost:*', 'https://*.example.org'],
        credentials: true,
        debug: true,
        onDecision: (d) => void decisions.push(d),
      },
      controller(),
      logger,
    );
  });
  afterAll(() => app.close());
  beforeEach(() => {
    decisions.length = 0;
    logger.warnings.length = 0;
  });

  it('a decision names the pattern rule that allowed the origin', async () => {
    await request(app.getHttpServer()).get('/dev').set('Origin', 'http://localhost:5173').expect(200);
    await request(app.getHttpServer()).get('/dev').set('Origin', 'https://a.example.org').expect(200);
    await request(app.getHttpServer()).get('/dev').set('Origin', APP).expect(200);
    expect(decisions.map(({ allowed, matchedRule }) => ({ allowed, matchedRule }))).toEqual([
      { allowed: true, matchedRule: 'http://localhost:*' },
      { allowed: true, matchedRule: 'https://*.example.org' },
      { allowed: true, matchedRule: undefined }, // an exact origin explains itself
    ]);
  });

  it.each([
    [
      'http://127.0.0.2:5173',
      '127.0.0.2 is not a loopback host the loopback port rules name (http://localhost:*); each rule names one host exactly',
    ],
    ['https://localhost:5173', 'the loopback port rules (http://localhost:*) name another scheme than https:'],
    ['https://example.org', 'example.org is the apex of https://*.example.org, which covers subdomains only'],
    ['http://a.example.org', 'https://*.example.org covers https: only'],
    ['https://a.example.org:8443', 'https://*.example.org covers the default port only'],
  ])('a refusal of %s says why the nearest rule did not match (debug and decision)', async (origin, detail) => {
    await request(app.getHttpServer()).get('/dev').set('Origin', origin).expect(200);
    expect(decisions).toEqual([expect.objectContaining({ allowed: false, reason: 'origin not trusted', detail })]);
    expect(debugLines()).toEqual([
      expect.stringContaining(`for origin ${JSON.stringify(origin)}: origin not trusted (${detail}). Policy:`),
    ]);
  });

  it('a refusal no pattern rule comes near carries no detail', async () => {
    await request(app.getHttpServer()).get('/dev').set('Origin', 'https://evil.example.net').expect(200);
    expect(decisions).toEqual([expect.not.objectContaining({ detail: expect.anything() })]);
    expect(debugLines()).toEqual([expect.stringContaining('for origin "https://evil.example.net": origin not trusted. Policy:')]);
  });

  it('the policy map shows the rules as declared and the opt-out with its source', async () => {
    const entry = app
      .get(CorsPolicyMap)
      .list()
      .find((row) => row.path === '/dev' && row.method === 'GET');
    expect(entry?.fields?.origin.value).toEqual([APP, 'http://localhost:*', 'https://*.example.org']);
    expect(entry?.fields?.dangerouslyAllowPublicSuffixSubdomains).toEqual({ value: false, source: 'cors package default' });
  });
});

function pagesGateway(argument: CorsPolicyArgument): Type {
  @WebSocketGateway({ namespace: '/pages' })
  class PagesGateway {
    @SubscribeMessage('ping') ping() {
      return { event: 'pong', data: 1 };
    }
  }
  CorsPolicy(argument)(PagesGateway);
  return PagesGateway;
}

async function gatewayApp(gateway: Type): Promise<INestApplication> {
  @Module({ imports: [CorsModule.forRoot({ origin: [APP], credentials: true })], providers: [gateway] })
  class GatewayModule {}
  const app = await createPlatformFactoryApp(GatewayModule, { logger: false });
  app.useWebSocketAdapter(new CorsIoAdapter(app));
  return app;
}

describeOnPlatforms('origin patterns on a WebSocket gateway', () => {
  it('a loopback port rule lets localhost pages connect, and no look-alike', async () => {
    const app = await gatewayApp(pagesGateway({ origin: ['http://localhost:*'] }));
    await app.listen(0, '127.0.0.1');
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    try {
      const allowed = await connectIo(url, '/pages', 'http://localhost:5173', 'websocket');
      expect(allowed.connected).toBe(true);
      if (allowed.connected) allowed.socket.close();
      for (const origin of ['http://localhost:5173.evil.net', 'http://127.0.0.2:5173', 'http://localhost:0']) {
        expect({ origin, connected: (await connectIo(url, '/pages', origin, 'websocket')).connected }).toEqual({
          origin,
          connected: false,
        });
      }
    } finally {
      await app.close();
    }
  });

  it('a pattern under a public suffix on a gateway stops the app', async () => {
    const app = await gatewayApp(pagesGateway({ origin: ['https://*.github.io'] }));
    await expect(app.init()).rejects.toThrow(
      suffixError('@CorsPolicy on PagesGateway', 'https://*.github.io', 'github.io', 'private').slice(4),
    );
    await app.close().catch(() => undefined);
  });
});
