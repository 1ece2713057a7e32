/**
 * BRIEF §8: `onDecision` gets one `CorsDecision` per request that carries `Origin` and meets an
 * enabled policy, and a hook that throws or is slow changes nothing in the response.
 */
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Controller, Get, Injectable, Logger, Module, Patch, Post, Put, type INestApplication } from '@nestjs/common';
import request, { type Response } from 'supertest';
import {
  CorsConfigurationError,
  CorsModule,
  CorsPolicy,
  type CorsDecision,
  type CorsModuleOptions,
  type CorsOriginResolver,
} from '../lib/index.js';
import { APP_KINDS, APP_KINDS_ON_PLATFORMS } from './support/apps.js';

const TRUSTED = 'https://app.example.com';
const DEFAULTS = 'CorsModule.forRoot (module defaults)';
const THINGS_POLICY = '@CorsPolicy on ThingsController';

@Controller('things')
@CorsPolicy({ methods: ['GET', 'PATCH'], allowedHeaders: ['Content-Type'] })
class ThingsController {
  @Get() list() {
    return [];
  }
  @Put(':id') replace() {
    return {};
  }
  @Patch(':id') update() {
    return {};
  }
}

@Controller('open')
@CorsPolicy({ origin: '*' })
class OpenController {
  @Get() read() {
    return 'open';
  }
}

@Controller('hooks')
@CorsPolicy(false)
class HooksController {
  @Post() receive() {
    return 'ok';
  }
}

@Injectable()
class FailingResolver implements CorsOriginResolver {
  isOriginAllowed(): Promise<boolean> {
    return Promise.reject(new Error('directory down'));
  }
}

/** Answers `true` once the test lets it, so that its lookup holds the one slot meanwhile. */
@Injectable()
class SlowResolver implements CorsOriginResolver {
  static release: (() => void) | undefined;
  isOriginAllowed(): Promise<boolean> {
    return new Promise((resolve) => (SlowResolver.release = () => resolve(true)));
  }
}

function appModule(options: CorsModuleOptions) {
  @Module({
    imports: [CorsModule.forRoot({ origin: [TRUSTED], ...options })],
    controllers: [ThingsController, OpenController, HooksController],
    providers: [FailingResolver, SlowResolver],
  })
  class DecisionsModule {}
  return DecisionsModule;
}

/** Status, body and every CORS-related header: what a hook must never change. */
function visible(res: Response) {
  const headers = Object.entries(res.headers).filter(([name]) => name.startsWith('access-control-') || name === 'vary');
  return { status: res.status, text: res.text, headers: Object.fromEntries(headers) };
}

/** The requests of the acceptance list, in order. */
const REQUESTS: Array<[string, (server: Parameters<typeof request>[0]) => request.Test]> = [
  ['allowed GET', (s) => request(s).get('/things?page=2').set('Origin', TRUSTED)],
  ['refused GET', (s) => request(s).get('/things').set('Origin', 'https://evil.example.net')],
  ['preflight refused for method', (s) => request(s).options('/things/1').set({ Origin: TRUSTED, 'Access-Control-Request-Method': 'PUT' })],
  [
    'preflight refused for header',
    (s) =>
      request(s)
        .options('/things/1')
        .set({ Origin: TRUSTED, 'Access-Control-Request-Method': 'PATCH', 'Access-Control-Request-Headers': 'content-type,x-secret' }),
  ],
  ['malformed origin', (s) => request(s).get('/things').set('Origin', 'https://app.example.com/')],
  ['unknown path', (s) => request(s).get('/nowhere').set('Origin', TRUSTED)],
];

describe.each(APP_KINDS_ON_PLATFORMS)('onDecision on $name', ({ create }) => {
  let app: INestApplication | undefined;
  let errors: jest.SpiedFunction<Logger['error']>;
  beforeEach(() => {
    errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterEach(async () => {
    errors.mockRestore();
    await app?.close();
    app = undefined;
  });

  async function start(options: CorsModuleOptions = {}) {
    const decisions: CorsDecision[] = [];
    app = await create(appModule({ onDecision: (decision) => void decisions.push(decision), ...options }));
    return { server: app.getHttpServer() as Parameters<typeof request>[0], decisions };
  }

  it('reports an allowed actual request with every field, the path without its query', async () => {
    const { server, decisions } = await start();
    await request(server).get('/things?page=2').set('Origin', TRUSTED).expect(200);
    expect(decisions).toEqual([
      {
        preflight: false,
        allowed: true,
        origin: TRUSTED,
        method: 'GET',
        path: '/things',
        route: 'ThingsController.list',
        policy: THINGS_POLICY,
      },
    ]);
    expect(Object.keys(decisions[0]!)).not.toContain('reason');
  });

  it('reports a refused actual request: origin not trusted', async () => {
    const { server, decisions } = await start();
    await request(server).get('/things').set('Origin', 'https://evil.example.net').expect(200);
    expect(decisions).toEqual([
      {
        preflight: false,
        allowed: false,
        origin: 'https://evil.example.net',
        method: 'GET',
        path: '/things',
        route: 'ThingsController.list',
        policy: THINGS_POLICY,
        reason: 'origin not trusted',
      },
    ]);
  });

  it('reports a preflight refused for its method, with the requested method', async () => {
    const { server, decisions } = await start();
    await request(server).options('/things/1').set({ Origin: TRUSTED, 'Access-Control-Request-Method': 'PUT' }).expect(204);
    expect(decisions).toEqual([
      {
        preflight: true,
        allowed: false,
        origin: TRUSTED,
        method: 'PUT',
        path: '/things/1',
        route: 'ThingsController.replace',
        policy: THINGS_POLICY,
        reason: 'method not allowed',
      },
    ]);
  });

  it.each([
    ['a header not in allowedHeaders', 'content-type,x-secret'],
    ['a malformed header list', 'x secret'],
  ])('reports a preflight refused for %s as header not allowed', async (_case, requestedHeaders) => {
    const { server, decisions } = await start();
    await request(server)
      .options('/things/1')
      .set({ Origin: TRUSTED, 'Access-Control-Request-Method': 'PATCH', 'Access-Control-Request-Headers': requestedHeaders });
    expect(decisions).toEqual([
      expect.objectContaining({
        preflight: true,
        allowed: false,
        method: 'PATCH',
        route: 'ThingsController.update',
        reason: 'header not allowed',
      }),
    ]);
  });

  it('reports an allowed preflight', async () => {
    const { server, decisions } = await start();
    await request(server)
      .options('/things/1')
      .set({ Origin: TRUSTED, 'Access-Control-Request-Method': 'PATCH', 'Access-Control-Request-Headers': 'content-type' })
      .expect(204);
    expect(decisions).toEqual([
      {
        preflight: true,
        allowed: true,
        origin: TRUSTED,
        method: 'PATCH',
        path: '/things/1',
        route: 'ThingsController.update',
        policy: THINGS_POLICY,
      },
    ]);
  });

  it('reports a malformed origin as not a serialized origin', async () => {
    const { server, decisions } = await start();
    await request(server).get('/things').set('Origin', 'https://app.example.com/');
    expect(decisions).toEqual([
      expect.objectContaining({ allowed: false, origin: 'https://app.example.com/', reason: 'origin not a serialized origin' }),
    ]);
  });

  it('reports an unknown path with no route and the module defaults', async () => {
    const { server, decisions } = await start();
    await request(server).get('/nowhere/else?x=1').set('Origin', TRUSTED).expect(404);
    expect(decisions).toEqual([
      { preflight: false, allowed: true, origin: TRUSTED, method: 'GET', path: '/nowhere/else', route: undefined, policy: DEFAULTS },
    ]);
  });

  it("reports a wildcard policy's answer as allowed", async () => {
    const { server, decisions } = await start();
    await request(server).get('/open').set('Origin', 'https://anyone.example.net').expect(200);
    expect(decisions).toEqual([
      expect.objectContaining({ allowed: true, route: 'OpenController.read', policy: '@CorsPolicy on OpenController' }),
    ]);
  });

  it('reports an origin function that failed as resolver failed', async () => {
    const failing = () => {
      throw new Error('directory down');
    };
    const { server, decisions } = await start({ origin: [failing] });
    await request(server).get('/nowhere').set('Origin', TRUSTED);
    expect(decisions).toEqual([expect.objectContaining({ allowed: false, reason: 'resolver failed' })]);
  });

  it('reports a resolver class that failed as resolver failed, for every request that waited on the lookup', async () => {
    const { server, decisions } = await start({ origin: [FailingResolver], resolverTimeoutMs: 50 });
    await Promise.all([1, 2, 3].map(() => request(server).get('/nowhere').set('Origin', TRUSTED)));
    expect(decisions).toEqual([1, 2, 3].map(() => expect.objectContaining({ allowed: false, reason: 'resolver failed' })));
  });

  it('reports an origin refused for want of a free lookup slot (no queue) as resolver busy', async () => {
    SlowResolver.release = undefined;
    const { server, decisions } = await start({ origin: [SlowResolver], resolverMaxInFlight: 1, resolverMaxQueued: 0 });
    const first = request(server)
      .get('/nowhere')
      .set('Origin', 'https://first.example.com')
      .then((res) => res);
    while (SlowResolver.release === undefined) await new Promise((resolve) => setTimeout(resolve, 5));
    await request(server).get('/nowhere').set('Origin', 'https://second.example.com').expect(404);
    (SlowResolver.release as () => void)();
    await first;
    expect(decisions).toEqual([
      expect.objectContaining({ allowed: false, origin: 'https://second.example.com', reason: 'resolver busy' }),
      expect.objectContaining({ allowed: true, origin: 'https://first.example.com' }),
    ]);
  });

  it('reports a path policy by its pattern, with no route', async () => {
    const { server, decisions } = await start({ paths: { '/graphql': { origin: ['https://gql.example.com'] } } });
    await request(server).post('/graphql').set('Origin', 'https://gql.example.com');
    await request(server).post('/graphql').set('Origin', TRUSTED);
    expect(decisions).toEqual([
      expect.objectContaining({ allowed: true, path: '/graphql', route: undefined, policy: "CorsModule.forRoot paths['/graphql']" }),
      expect.objectContaining({ allowed: false, reason: 'origin not trusted', policy: "CorsModule.forRoot paths['/graphql']" }),
    ]);
  });

  it('reports nothing for requests without Origin', async () => {
    const { server, decisions } = await start();
    await request(server).get('/things').expect(200);
    await request(server).get('/open').expect(200);
    await request(server).options('/things/1').set('Access-Control-Request-Method', 'PATCH');
    expect(decisions).toEqual([]);
  });

  it('reports nothing on a route with CORS off', async () => {
    const { server, decisions } = await start();
    await request(server).post('/hooks').set('Origin', TRUSTED).expect(201);
    await request(server).options('/hooks').set({ Origin: TRUSTED, 'Access-Control-Request-Method': 'POST' });
    expect(decisions).toEqual([]);
  });

  it('reports exactly one decision per CORS request', async () => {
    const { server, decisions } = await start();
    for (const [, send] of REQUESTS) await send(server);
    expect(decisions.map((d) => [d.preflight, d.allowed, d.reason])).toEqual([
      [false, true, undefined],
      [false, false, 'origin not trusted'],
      [true, false, 'method not allowed'],
      [true, false, 'header not allowed'],
      [false, false, 'origin not a serialized origin'],
      [false, true, undefined],
    ]);
  });

  describe('a failing or slow hook', () => {
    async function responses(options: CorsModuleOptions) {
      const created = await create(appModule(options));
      try {
        const seen = [];
        for (const [, send] of REQUESTS) seen.push(visible(await send(created.getHttpServer() as Parameters<typeof request>[0])));
        return seen;
      } finally {
        await created.close();
      }
    }

    const hooks: Array<[string, () => unknown]> = [
      [
        'throws',
        () => {
          throw new Error('metrics backend down');
        },
      ],
      ['rejects', () => Promise.reject(new Error('audit log down'))],
    ];

    it.each(hooks)('changes nothing in the responses when it %s, and is logged once per burst', async (_case, hook) => {
      const expected = await responses({});
      expect(await responses({ onDecision: hook })).toEqual(expected);
      // Rejections are reported after the response: let them land.
      await new Promise((resolve) => setImmediate(resolve));
      const lines = errors.mock.calls.map((call) => String(call[0])).filter((line) => line.includes('onDecision failed'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/metrics backend down|audit log down/);
    });

    it('does not wait for a promise the hook returns', async () => {
      const expected = await responses({});
      // A promise that never settles: were it awaited, the first request would never be answered.
      expect(await responses({ onDecision: () => new Promise(() => undefined) })).toEqual(expected);
    });
  });
});

describe('onDecision is validated at startup', () => {
  it('refuses a value that is not a function', async () => {
    const { createTestingApp } = await import('./support/apps.js');
    const caught = await createTestingApp(appModule({ onDecision: 'log' as never })).then(
      (app) => app.close(),
      (error: unknown) => error,
    );
    expect(caught).toBeInstanceOf(CorsConfigurationError);
    expect(String(caught)).toContain('onDecision');
    expect(String(caught)).toContain('must be a function');
  });
});

describe('the policy a decision names', () => {
  it('is where each route declared it, also when two controllers use the same named policy', async () => {
    @Controller('first')
    @CorsPolicy('shared')
    class FirstController {
      @Get() read() {
        return 'first';
      }
    }
    @Controller('second')
    @CorsPolicy('shared')
    class SecondController {
      @Get() read() {
        return 'second';
      }
    }
    const decisions: CorsDecision[] = [];
    @Module({
      imports: [
        CorsModule.forRoot({
          origin: [TRUSTED],
          policies: { shared: { origin: [TRUSTED] } },
          onDecision: (decision) => void decisions.push(decision),
        }),
      ],
      controllers: [FirstController, SecondController],
    })
    class SharedPolicyModule {}
    const app = await APP_KINDS[0].create(SharedPolicyModule);
    try {
      await request(app.getHttpServer()).get('/first').set('Origin', TRUSTED).expect(200);
      await request(app.getHttpServer()).get('/second').set('Origin', TRUSTED).expect(200);
      expect(decisions.map((decision) => decision.policy)).toEqual(['@CorsPolicy on FirstController', '@CorsPolicy on SecondController']);
    } finally {
      await app.close();
    }
  });
});
