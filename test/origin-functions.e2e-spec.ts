import { Controller, Get, Logger, Module, type INestApplication } from '@nestjs/common';
import { jest } from '@jest/globals';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { createPlatformApplication, describeOnPlatforms, whenReady } from './support/apps.js';
import { CorsModule, type CorsModuleOptions } from '../lib/index.js';

@Controller('things')
class ThingsController {
  @Get() list() {
    return [];
  }
}

async function createApp(options: CorsModuleOptions): Promise<INestApplication> {
  @Module({ imports: [CorsModule.forRoot(options)], controllers: [ThingsController] })
  class AppModule {}
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  const app = createPlatformApplication(moduleRef, { logger: false });
  return whenReady(await app.init());
}

const APP = 'https://a.example.com';

const allowedOrigin = async (options: CorsModuleOptions, origin: string, headers: Record<string, string> = {}) => {
  const app = await createApp(options);
  try {
    const response = await request(app.getHttpServer())
      .get('/things')
      .set({ Origin: origin, ...headers })
      .expect(200);
    return response.headers['access-control-allow-origin'];
  } finally {
    await app.close();
  }
};

describeOnPlatforms('origin functions', () => {
  it('accepts a sync predicate that reads the request', async () => {
    const origin = (value: string, req: { headers: Record<string, unknown> }) =>
      value === 'https://a.example.com' && req.headers['x-tenant'] === 'acme';
    expect(await allowedOrigin({ origin }, 'https://a.example.com', { 'X-Tenant': 'acme' })).toBe('https://a.example.com');
    expect(await allowedOrigin({ origin }, 'https://a.example.com', { 'X-Tenant': 'other' })).toBeUndefined();
  });

  it('accepts an async predicate', async () => {
    const origin = async (value: string) => value.endsWith('.partner.example');
    expect(await allowedOrigin({ origin }, 'https://x.partner.example')).toBe('https://x.partner.example');
    expect(await allowedOrigin({ origin }, 'https://x.evil.example')).toBeUndefined();
  });

  it.each([
    ['true', true, 'https://a.example.com'],
    ['false', false, undefined],
    ['the origin string', 'https://a.example.com', 'https://a.example.com'],
    ['another origin string', 'https://b.example.com', undefined],
    ['a matching RegExp', /^https:\/\/a\.example\.com$/, 'https://a.example.com'],
    ['a list containing it', ['https://b.example.com', 'https://a.example.com'], 'https://a.example.com'],
  ])("accepts the cors package's callback form answering %s", async (_, answer, expected) => {
    const origin = (_value: string, callback: (error: Error | null, allow?: unknown) => void) => {
      setImmediate(() => callback(null, answer));
    };
    expect(await allowedOrigin({ origin: origin as never }, 'https://a.example.com')).toBe(expected);
  });

  it('refuses, without a 500, when the callback reports an error or the predicate throws', async () => {
    const errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      const failing = (_value: string, callback: (error: Error | null) => void) => callback(new Error('lookup failed'));
      expect(await allowedOrigin({ origin: failing as never }, 'https://a.example.com')).toBeUndefined();
      const throwing = () => {
        throw new Error('boom');
      };
      expect(await allowedOrigin({ origin: throwing }, 'https://a.example.com')).toBeUndefined();
      expect(errors.mock.calls.map((call) => String(call[0]))).toEqual([
        expect.stringContaining('lookup failed'),
        expect.stringContaining('boom'),
      ]);
    } finally {
      errors.mockRestore();
    }
  });
});

describeOnPlatforms('debug: true explains every refusal', () => {
  let warnings: jest.SpiedFunction<Logger['warn']>;
  beforeEach(() => (warnings = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined)));
  afterEach(() => warnings.mockRestore());
  const lines = () => warnings.mock.calls.map((call) => String(call[0]));

  it.each([
    ['origin not trusted', { origin: 'https://evil.example.net' }, 'ThingsController.list', 'add the origin to "origin"'],
    ['origin not a serialized origin', { origin: 'https://app.example.com/' }, 'ThingsController.list', 'browsers never send'],
    // No handler serves DELETE /things: the module defaults answer, and the log names the request.
    [
      'method not allowed',
      { origin: 'https://app.example.com', 'access-control-request-method': 'DELETE' },
      'DELETE /things',
      'add the method to "methods"',
    ],
    [
      'header not allowed',
      { origin: 'https://app.example.com', 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-secret' },
      'ThingsController.list',
      'add the header to "allowedHeaders"',
    ],
  ])('logs "%s" with origin, route, policy and fix', async (reason, headers, route, fix) => {
    const app = await createApp({ origin: ['https://app.example.com'], methods: ['GET'], allowedHeaders: ['Content-Type'], debug: true });
    const preflight = 'access-control-request-method' in headers;
    await (preflight ? request(app.getHttpServer()).options('/things') : request(app.getHttpServer()).get('/things')).set(headers);
    await app.close();
    const line = lines().find((text) => text.includes(reason));
    expect(line).toBeDefined();
    expect(line).toContain(JSON.stringify(headers.origin));
    expect(line).toContain(route);
    expect(line).toContain('CorsModule.forRoot (module defaults)');
    expect(line).toContain(fix);
  });

  it('logs nothing without debug', async () => {
    const app = await createApp({ origin: ['https://app.example.com'] });
    await request(app.getHttpServer()).get('/things').set('Origin', 'https://evil.example.net');
    await app.close();
    expect(lines().filter((text) => text.includes('Refused'))).toEqual([]);
  });
});

describeOnPlatforms('a function that answers later through the callback (issue 13)', () => {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  type Callback = (error: Error | null, allow?: unknown) => void;

  it.each([
    ['a timer (the arrow returns its handle)', (origin: string, callback: Callback) => setTimeout(() => callback(null, origin === APP), 5)],
    [
      'setImmediate (the arrow returns its handle)',
      (origin: string, callback: Callback) => setImmediate(() => callback(null, origin === APP)),
    ],
    [
      'a promise chain that calls back (returns a promise of nothing)',
      (origin: string, callback: Callback) => Promise.resolve().then(() => callback(null, origin === APP)),
    ],
    [
      'an async function that calls back after awaiting',
      async (origin: string, callback: Callback) => {
        await sleep(5);
        callback(null, origin === APP);
      },
    ],
  ])('allows the origin it calls back for, from %s', async (_, origin) => {
    expect(await allowedOrigin({ origin: origin as never }, APP)).toBe(APP);
    expect(await allowedOrigin({ origin: origin as never }, 'https://other.example.com')).toBeUndefined();
  });

  it('takes a returned Promise<boolean> as the answer of a predicate', async () => {
    const origin = (value: string) => sleep(5).then(() => value === APP);
    expect(await allowedOrigin({ origin }, APP)).toBe(APP);
    expect(await allowedOrigin({ origin }, 'https://other.example.com')).toBeUndefined();
  });

  it('refuses after resolverTimeoutMs, logged once, a function that returns nothing and never calls back', async () => {
    const errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const app = await createApp({ origin: function silent() {} as never, resolverTimeoutMs: 50 });
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        const started = Date.now();
        const response = await request(app.getHttpServer()).get('/things').set('Origin', APP).expect(200);
        expect(response.headers['access-control-allow-origin']).toBeUndefined();
        expect(Date.now() - started).toBeGreaterThanOrEqual(45);
      }
      expect(errors.mock.calls.map((call) => String(call[0]))).toEqual([expect.stringMatching(/silent did not answer within 50 ms/)]);
    } finally {
      await app.close();
      errors.mockRestore();
    }
  });

  it('waits for the callback when the returned value is neither a boolean nor a promise of one', async () => {
    const origin = (_value: string, callback: Callback) => {
      setTimeout(() => callback(null, false), 5);
      return 'yes';
    };
    expect(await allowedOrigin({ origin: origin as never }, APP)).toBeUndefined();
  });
});
