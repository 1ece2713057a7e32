/**
 * `nestjs-cors-policy/testing`: requests as browsers send them, verdicts as browsers reach them
 * (Fetch standard), against hand-written servers (to prove it fails where a browser fails) and
 * against the library on both kinds of app.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingHttpHeaders, type OutgoingHttpHeaders, type Server } from 'node:http';
import { Controller, Get, Header, Module, Patch, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { CorsDecisionHub, CorsModule, CorsPolicy } from '../lib/index.js';
import { assertCorsAllowed, assertCorsRefused, createCorsBrowser, recordCorsDecisions } from '../lib/testing/index.js';
import { APP_KINDS_ON_PLATFORMS, createPlatformFactoryApp, createTestingApp, PLATFORMS, platformName } from './support/apps.js';

const PAGE = 'https://app.example.com';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

/** A hand-written server: answers every request with `answer`, and records what it received. */
function handWritten(answer: (method: string) => { status?: number; headers: OutgoingHttpHeaders }) {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    const { status = 200, headers } = answer(req.method ?? '');
    res.writeHead(status, headers);
    res.end(req.method === 'OPTIONS' ? '' : 'body');
  });
  return { server, seen };
}

describe('what the kit sends', () => {
  const { server, seen } = handWritten(() => ({ headers: { 'Access-Control-Allow-Origin': '*' } }));
  afterEach(() => void seen.splice(0));

  it.each([
    ['a plain GET', {}],
    ['a POST with a string body (text/plain)', { method: 'POST', body: 'hello' }],
    ['a form POST', { method: 'post', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'a=1' }],
    ['safelisted headers', { headers: { Accept: 'application/json', 'Accept-Language': 'fr-CH, en;q=0.8', Range: 'bytes=0-99' } }],
  ])('no preflight for %s', async (_case, init) => {
    await createCorsBrowser(server, { origin: PAGE }).fetch('/x', init);
    expect(seen.map((request) => request.method)).toEqual([(init as { method?: string }).method?.toUpperCase() ?? 'GET']);
    expect(seen[0]!.headers.origin).toBe(PAGE);
  });

  it('a preflight for a JSON body, custom headers or another method, with the sorted lower-case header list', async () => {
    const { server: permissive, seen: received } = handWritten(() => ({
      headers: {
        'Access-Control-Allow-Origin': PAGE,
        'Access-Control-Allow-Credentials': 'true',
        'Access-Control-Allow-Methods': 'PATCH',
        'Access-Control-Allow-Headers': 'Content-Type, X-A, X-Request-Id',
        Vary: 'Origin',
      },
    }));
    const outcome = await createCorsBrowser(permissive, { origin: PAGE }).fetch('/items/1?x=1', {
      method: 'PATCH',
      headers: { 'X-Request-Id': '1', 'Content-Type': 'application/json', 'x-a': '2', Accept: 'text/html' },
      credentials: 'include',
      cookie: 'session=1',
    });
    assertCorsAllowed(outcome);
    expect(received.map((request) => [request.method, request.url])).toEqual([
      ['OPTIONS', '/items/1?x=1'],
      ['PATCH', '/items/1?x=1'],
    ]);
    const [preflight, actual] = received;
    expect(preflight!.headers['access-control-request-method']).toBe('PATCH');
    expect(preflight!.headers['access-control-request-headers']).toBe('content-type,x-a,x-request-id');
    expect(preflight!.headers.cookie).toBeUndefined(); // preflights never carry credentials
    expect(actual!.headers.cookie).toBe('session=1');
    expect(actual!.headers['x-request-id']).toBe('1');
  });

  it('upper-cases the six standard methods only, as fetch() does', async () => {
    const browser = createCorsBrowser(server, { origin: PAGE });
    await browser.fetch('/x', { method: 'delete' });
    expect(seen[0]!.headers['access-control-request-method']).toBe('DELETE');
    // `patch` is sent as typed, and methods compare case-sensitively: Allow-Methods PATCH does not cover it.
    const { server: patchOnly } = handWritten(() => ({
      headers: { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Methods': 'PATCH' },
    }));
    const outcome = await createCorsBrowser(patchOnly, { origin: PAGE }).fetch('/x', { method: 'patch' });
    expect(outcome.preflight?.requestHeaders['Access-Control-Request-Method']).toBe('patch');
    assertCorsRefused(outcome, { step: 'preflight', reason: 'method patch is not in Access-Control-Allow-Methods "PATCH"' });
  });

  it('a preflight for a safelisted header with a value browsers do not safelist', async () => {
    await createCorsBrowser(server, { origin: PAGE }).fetch('/x', {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain', Accept: 'a'.repeat(129) },
    });
    expect(seen[0]!.headers['access-control-request-headers']).toBe('accept');
  });

  it('sends no cookie without credentials: include', async () => {
    await createCorsBrowser(server, { origin: PAGE }).fetch('/x', { cookie: 'session=1' });
    expect(seen[0]!.headers.cookie).toBeUndefined();
  });

  it('refuses, with an Error, a header no page can set', async () => {
    await expect(createCorsBrowser(server, { origin: PAGE }).fetch('/x', { headers: { Cookie: 'a=1' } })).rejects.toThrow(
      /cannot set the header Cookie.*credentials: 'include'/,
    );
    await expect(createCorsBrowser(server, { origin: PAGE }).fetch('/x', { headers: { Origin: 'https://x.example' } })).rejects.toThrow(
      Error,
    );
  });
});

describe('where a browser refuses, the kit refuses', () => {
  const exposing = { 'Access-Control-Allow-Origin': PAGE, Vary: 'Origin' };

  it('right Access-Control-Allow-Origin but no Access-Control-Allow-Credentials, for a credentialed call (a Nest handler)', async () => {
    @Controller('me')
    class MeController {
      @Get()
      @Header('Access-Control-Allow-Origin', PAGE)
      @Header('Vary', 'Origin')
      me() {
        return { name: 'me' };
      }
    }
    @Module({ controllers: [MeController] })
    class HandWrittenModule {}
    const app = await createTestingApp(HandWrittenModule);
    try {
      const browser = createCorsBrowser(app, { origin: PAGE });
      const credentialed = await browser.fetch('/me', { credentials: 'include' });
      expect(credentialed.allowed).toBe(false);
      expect(credentialed.response?.status).toBe(200); // the server answered; the browser hides it
      expect(credentialed.refusal?.reason).toContain('Access-Control-Allow-Credentials is missing');
      expect(() => assertCorsAllowed(credentialed)).toThrow(/Expected CORS to allow the call.*Access-Control-Allow-Credentials/s);
      expect(() => assertCorsRefused(credentialed, { step: 'response', reason: 'Access-Control-Allow-Credentials' })).not.toThrow();
      // The same answer is fine for a call without credentials.
      assertCorsAllowed(await browser.fetch('/me'));
    } finally {
      await app.close();
    }
  });

  it.each([
    ['no Access-Control-Allow-Origin', {}, {}, 'no Access-Control-Allow-Origin'],
    ['another origin', { 'Access-Control-Allow-Origin': 'https://other.example.com' }, {}, "not the page's origin"],
    ['two Access-Control-Allow-Origin fields', { 'Access-Control-Allow-Origin': [PAGE, PAGE] }, {}, "not the page's origin"],
    [
      "'*' for a credentialed call",
      { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Credentials': 'true' },
      { credentials: 'include' },
      '"*"',
    ],
    [
      'Allow-Credentials not exactly true',
      { ...exposing, 'Access-Control-Allow-Credentials': 'True' },
      { credentials: 'include' },
      '"True"',
    ],
  ])('an actual response with %s', async (_case, headers, init, reason) => {
    const { server } = handWritten(() => ({ headers }));
    const outcome = await createCorsBrowser(server, { origin: PAGE }).fetch('/x', init as object);
    expect(outcome.allowed).toBe(false);
    expect(outcome.readableHeaders).toEqual({});
    expect(outcome.refusal).toEqual(expect.objectContaining({ step: 'response', reason: expect.stringContaining(reason) }));
  });

  const preflightCases: Array<[string, OutgoingHttpHeaders, object, string]> = [
    ['a status that is not ok', { ...exposing }, { method: 'PUT', status: 403 }, 'status 403'],
    ['a method not allowed', { ...exposing, 'Access-Control-Allow-Methods': 'GET, POST' }, { method: 'PUT' }, 'method PUT'],
    [
      "'*' methods for a credentialed call",
      { ...exposing, 'Access-Control-Allow-Credentials': 'true', 'Access-Control-Allow-Methods': '*' },
      { method: 'PUT', credentials: 'include' },
      'method PUT',
    ],
    ['a header not allowed', { ...exposing, 'Access-Control-Allow-Headers': 'content-type' }, { headers: { 'X-Id': '1' } }, 'header x-id'],
    [
      "Authorization under '*'",
      { ...exposing, 'Access-Control-Allow-Headers': '*' },
      { headers: { Authorization: 'Bearer x' } },
      'never covers Authorization',
    ],
    [
      "'*' headers for a credentialed call",
      { ...exposing, 'Access-Control-Allow-Credentials': 'true', 'Access-Control-Allow-Headers': '*' },
      { headers: { 'X-Id': '1' }, credentials: 'include' },
      'header x-id',
    ],
  ];
  it.each(preflightCases)('a preflight answer with %s', async (_case, headers, init, reason) => {
    const status = (init as { status?: number }).status ?? 204;
    const { server, seen } = handWritten((method) => (method === 'OPTIONS' ? { status, headers } : { headers }));
    const outcome = await createCorsBrowser(server, { origin: PAGE }).fetch('/x', init);
    expect(outcome.refusal).toEqual(expect.objectContaining({ step: 'preflight', reason: expect.stringContaining(reason) }));
    expect(outcome.response).toBeUndefined();
    expect(seen.map((request) => request.method)).toEqual(['OPTIONS']); // the browser never sends the request
  });

  it.each([
    [
      "'*' methods and headers without credentials",
      { 'Access-Control-Allow-Methods': '*', 'Access-Control-Allow-Headers': '*' },
      { method: 'PUT', headers: { 'X-Id': '1' } },
    ],
    [
      'Authorization listed by name next to *',
      { 'Access-Control-Allow-Methods': 'PUT', 'Access-Control-Allow-Headers': '*, Authorization' },
      { method: 'PUT', headers: { Authorization: 'x' } },
    ],
    ['header names in another case', { 'Access-Control-Allow-Headers': 'X-ID' }, { headers: { 'x-id': '1' } }],
  ])('passes a preflight answer with %s', async (_case, headers, init) => {
    const { server } = handWritten(() => ({ headers: { ...exposing, ...headers } }));
    assertCorsAllowed(await createCorsBrowser(server, { origin: PAGE }).fetch('/x', init));
  });

  it('reads only the exposed and safelisted headers', async () => {
    const { server } = handWritten(() => ({
      headers: {
        ...exposing,
        'Access-Control-Expose-Headers': 'X-Total',
        'X-Total': '3',
        'X-Secret': 's',
        'Content-Type': 'text/plain',
        'Set-Cookie': 'a=1',
      },
    }));
    const outcome = await createCorsBrowser(server, { origin: PAGE }).fetch('/x');
    expect(outcome.canRead('x-total')).toBe(true);
    expect(outcome.canRead('Content-Type')).toBe(true);
    expect(outcome.canRead('X-Secret')).toBe(false);
    expect(outcome.canRead('Set-Cookie')).toBe(false);
    expect(() => assertCorsAllowed(outcome, { readable: ['X-Total', 'X-Secret'] })).toThrow(/cannot read X-Secret/);
  });

  it("'*' exposes every header but Set-Cookie without credentials, none with them", async () => {
    const headers = { 'Access-Control-Expose-Headers': '*', 'X-Secret': 's', 'Access-Control-Allow-Credentials': 'true' };
    const { server } = handWritten(() => ({ headers: { ...exposing, ...headers } }));
    const browser = createCorsBrowser(server, { origin: PAGE });
    expect((await browser.fetch('/x')).canRead('X-Secret')).toBe(true);
    expect((await browser.fetch('/x', { credentials: 'include' })).canRead('X-Secret')).toBe(false);
  });

  it('reports a reflected origin without Vary: Origin as a problem, and fails assertCorsAllowed', async () => {
    const { server } = handWritten(() => ({ headers: { 'Access-Control-Allow-Origin': PAGE } }));
    const outcome = await createCorsBrowser(server, { origin: PAGE }).fetch('/x');
    expect(outcome.allowed).toBe(true);
    expect(outcome.problems).toEqual([expect.stringContaining('no Vary: Origin')]);
    expect(() => assertCorsAllowed(outcome)).toThrow(/Vary: Origin/);
    expect(() => assertCorsAllowed(outcome, { ignoreVary: true })).not.toThrow();
  });

  it('fails assertCorsRefused when the browser allows', async () => {
    const { server } = handWritten(() => ({ headers: { 'Access-Control-Allow-Origin': '*' } }));
    const outcome = await createCorsBrowser(server, { origin: PAGE }).fetch('/x');
    expect(() => assertCorsRefused(outcome)).toThrow(/Expected CORS to refuse the call: the browser lets the page read the response/);
  });
});

@Controller('orders')
@CorsPolicy({ credentials: true, exposedHeaders: ['X-Total-Count'], allowedHeaders: ['Content-Type', 'X-Request-Id'] })
class OrdersController {
  @Get()
  @Header('X-Total-Count', '2')
  list() {
    return [];
  }
  @Patch(':id') update() {
    return {};
  }
}

const recorder = recordCorsDecisions();

@Module({
  imports: [CorsModule.forRoot({ origin: [PAGE], methods: ['GET', 'PATCH'], onDecision: recorder.onDecision })],
  controllers: [OrdersController],
})
class LibraryModule {}

describe.each(APP_KINDS_ON_PLATFORMS)('the kit against the library on $name', ({ create }) => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await create(LibraryModule);
  });
  afterAll(() => app.close());
  afterEach(() => recorder.clear());

  it('allows a credentialed read of an exposed header, and reports the decision', async () => {
    const outcome = await createCorsBrowser(app, { origin: PAGE }).fetch('/orders', { credentials: 'include' });
    assertCorsAllowed(outcome, { readable: ['X-Total-Count'] });
    expect(outcome.decisions).toEqual([expect.objectContaining({ preflight: false, allowed: true, route: 'OrdersController.list' })]);
  });

  it('allows a PATCH with JSON after its preflight', async () => {
    const outcome = await createCorsBrowser(app, { origin: PAGE }).fetch('/orders/1', {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json', 'X-Request-Id': '7' },
      body: '{}',
      credentials: 'include',
    });
    assertCorsAllowed(outcome);
    expect(outcome.preflight?.status).toBe(204);
    expect(outcome.decisions.map((decision) => decision.preflight)).toEqual([true, false]);
  });

  it('refuses an untrusted origin, with the library reason found through the module options', async () => {
    const outcome = await createCorsBrowser(app, { origin: 'https://evil.example.net' }).fetch('/orders');
    assertCorsRefused(outcome, { step: 'response', reason: 'no Access-Control-Allow-Origin', decisionReason: 'origin not trusted' });
    expect(outcome.describe()).toContain('the library decided (actual): refused, origin not trusted');
  });

  it('refuses a preflight for a header the policy does not allow, at the preflight', async () => {
    const outcome = await createCorsBrowser(app, { origin: PAGE }).fetch('/orders/1', { method: 'PATCH', headers: { 'X-Secret': '1' } });
    assertCorsRefused(outcome, { step: 'preflight', reason: 'header x-secret', decisionReason: 'header not allowed' });
  });

  it('fails assertCorsRefused with the library reason when it differs', async () => {
    const outcome = await createCorsBrowser(app, { origin: 'https://evil.example.net' }).fetch('/orders');
    expect(() => assertCorsRefused(outcome, { decisionReason: 'method not allowed' })).toThrow(
      /origin not trusted, not method not allowed/,
    );
  });
});

describe('targets', () => {
  let server: Server | undefined;
  afterEach(() => void server?.close());

  it('refuses, with an Error, something that is not an app or a server', () => {
    expect(() => createCorsBrowser({ getHttpServer: () => undefined }, { origin: PAGE })).toThrow(/pass a Nest application/);
  });

  it('shares one port between concurrent fetches to an app that does not listen, and closes it after', async () => {
    server = handWritten(() => ({ headers: { 'Access-Control-Allow-Origin': '*' } })).server;
    const browser = createCorsBrowser(server, { origin: PAGE });
    const outcomes = await Promise.all([browser.fetch('/a'), browser.fetch('/b', { method: 'PUT' }), browser.fetch('/c')]);
    expect(outcomes.map((outcome) => outcome.allowed)).toEqual([true, false, true]);
    expect(server.listening).toBe(false);
  });

  it('uses a server that already listens, and leaves it listening', async () => {
    server = handWritten(() => ({ headers: { 'Access-Control-Allow-Origin': '*' } })).server;
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    assertCorsAllowed(await createCorsBrowser(server, { origin: PAGE }).fetch('/x'));
    expect(server.listening).toBe(true);
  });
});

describe.each(PLATFORMS)('an app after app.init() alone, no listen() and no ready(), on %s', (platform) => {
  let app: INestApplication;
  beforeAll(async () => {
    // As a user writes it: NestFactory.create and init(); on Fastify, nobody calls getInstance().ready().
    app = await (await createPlatformFactoryApp(LibraryModule, { logger: false }, platform)).init();
  });
  afterAll(() => app.close());
  afterEach(() => recorder.clear());

  it(`answers the first fetch on ${platformName(platform)}`, async () => {
    const outcome = await createCorsBrowser(app, { origin: PAGE, timeoutMs: 2_000 }).fetch('/orders', { credentials: 'include' });
    assertCorsAllowed(outcome, { readable: ['X-Total-Count'] });
    expect(app.getHttpServer().listening).toBe(false);
  });

  it('answers a preflight and its request as well', async () => {
    const outcome = await createCorsBrowser(app, { origin: PAGE, timeoutMs: 2_000 }).fetch('/orders/1', {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
    assertCorsAllowed(outcome);
  });
});

describe('a server that never answers', () => {
  const sockets = new Set<import('node:net').Socket>();
  const silent = createServer(() => undefined); // takes every request, answers none
  silent.on('connection', (socket) => sockets.add(socket));
  afterAll(() => {
    for (const socket of sockets) socket.destroy();
  });

  it('fails the fetch after timeoutMs with a message that says which request and what to check', async () => {
    const started = Date.now();
    const fetching = createCorsBrowser(silent, { origin: PAGE, timeoutMs: 300 }).fetch('/slow?x=1');
    await expect(fetching).rejects.toThrow(/nestjs-cors-policy\/testing: GET \/slow\?x=1 got no answer within 300 ms/);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(silent.listening).toBe(false); // the kit still closes the port it opened
  });

  it('times out a preflight too, and names it', async () => {
    const fetching = createCorsBrowser(silent, { origin: PAGE, timeoutMs: 200 }).fetch('/slow', { method: 'DELETE' });
    await expect(fetching).rejects.toThrow(/OPTIONS \/slow \(the preflight\) got no answer within 200 ms/);
  });

  it("has a default timeout shorter than jest's 5 s, so that its message is the one a test prints", async () => {
    const started = Date.now();
    await expect(createCorsBrowser(silent, { origin: PAGE }).fetch('/slow')).rejects.toThrow(/got no answer within 4000 ms/);
    expect(Date.now() - started).toBeLessThan(4_900);
  });
});

// The app's own module, as users have it: no onDecision, nothing for tests in it.
@Module({
  imports: [CorsModule.forRoot({ origin: [PAGE], methods: ['GET', 'PATCH'] })],
  controllers: [OrdersController],
})
class RealAppModule {}

describe.each(APP_KINDS_ON_PLATFORMS)('recordCorsDecisions(app) on an app of the real module, $name', ({ create }) => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await create(RealAppModule);
  });
  afterAll(() => app.close());

  it("records the library's decisions, found by the browser of that app", async () => {
    const decisions = recordCorsDecisions(app);
    try {
      const outcome = await createCorsBrowser(app, { origin: 'https://evil.example.net' }).fetch('/orders');
      assertCorsRefused(outcome, { step: 'response', decisionReason: 'origin not trusted' });
      const allowed = await createCorsBrowser(app.getHttpServer(), { origin: PAGE }).fetch('/orders/1', { method: 'PATCH' });
      assertCorsAllowed(allowed);
      expect(allowed.decisions.map((decision) => [decision.preflight, decision.route])).toEqual([
        [true, 'OrdersController.update'],
        [false, 'OrdersController.update'],
      ]);
      expect(decisions.decisions).toHaveLength(3);
    } finally {
      decisions.detach();
    }
  });

  it('records nothing once detached, and the app answers as before', async () => {
    const decisions = recordCorsDecisions(app);
    decisions.detach();
    const outcome = await createCorsBrowser(app, { origin: 'https://evil.example.net' }).fetch('/orders');
    expect(outcome.allowed).toBe(false);
    expect(outcome.decisions).toEqual([]);
    expect(decisions.decisions).toEqual([]);
  });

  it('keeps the response unchanged when a hub listener throws, and the other listeners get the decision', async () => {
    const hub = app.get(CorsDecisionHub);
    const stop = hub.subscribe(() => {
      throw new Error('listener failed');
    });
    const decisions = recordCorsDecisions(app);
    try {
      assertCorsAllowed(await createCorsBrowser(app, { origin: PAGE }).fetch('/orders', { credentials: 'include' }));
      expect(decisions.decisions).toEqual([expect.objectContaining({ allowed: true, route: 'OrdersController.list' })]);
    } finally {
      stop();
      decisions.detach();
    }
  });
});

describe('recordCorsDecisions(app), attach points', () => {
  it('attaches before app.init(), and hands decisions to the module option onDecision as well', async () => {
    const own: unknown[] = [];
    @Module({
      imports: [CorsModule.forRoot({ origin: [PAGE], onDecision: (decision) => void own.push(decision) })],
      controllers: [OrdersController],
    })
    class WithHookModule {}
    const moduleRef = await Test.createTestingModule({ imports: [WithHookModule] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    const decisions = recordCorsDecisions(app);
    await app.init();
    try {
      const outcome = await createCorsBrowser(app, { origin: PAGE, decisions }).fetch('/orders');
      assertCorsAllowed(outcome);
      expect(decisions.decisions).toHaveLength(1);
      expect(own).toEqual(decisions.decisions);
    } finally {
      await app.close();
    }
  });

  it('refuses, with an Error, an app without CorsModule', async () => {
    @Module({ controllers: [OrdersController] })
    class NoCorsModule {}
    const app = (await Test.createTestingModule({ imports: [NoCorsModule] }).compile()).createNestApplication({ logger: false });
    try {
      expect(() => recordCorsDecisions(app)).toThrow(
        /found no CorsDecisionHub in the app: pass a Nest application whose modules import CorsModule/,
      );
    } finally {
      await app.close();
    }
  });
});
