/**
 * Parity with `app.enableCors()` (the `cors` package): for every option set of the table, a Nest
 * app with `app.enableCors(o)` and one with `CorsModule.forRoot(o)` serve the same controller, and
 * every request of the request table is sent to both in the same test run.
 *
 * What is compared depends on what the policy decides for the request's origin:
 * - allowed origin, `'*'` policy, CORS off: status, every `Access-Control-*` header (name and
 *   value) and the set of `Vary` tokens must be identical;
 * - refused origin or no `Origin`: status and `Vary` tokens only. The `Access-Control-*` headers
 *   differ on purpose (the library sends none, `cors` sends several): asserted in "deliberate deviations";
 * - an origin callback that answers `false`: `cors` skips itself entirely (no `Vary`, and a
 *   preflight falls through to routing), so only the status of actual requests is compared; the
 *   rest is asserted in "deliberate deviations".
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Get, HttpCode, Options, Patch, Post, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { CorsConfigurationError, CorsModule, type CorsPolicyOptions } from '../lib/index.js';

type EnableCorsOptions = Parameters<INestApplication['enableCors']>[0];
type HttpServer = Parameters<typeof request>[0];

const APP = 'https://app.example.com';
const ADMIN = 'https://admin.example.com';
const EVIL = 'https://evil.example.net';

// ---------------------------------------------------------------------------------------------
// Fixture: one controller, served by both apps.

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
  // Reached by preflights only with preflightContinue, and by OPTIONS requests that are not preflights.
  @Options() @HttpCode(200) optionsList() {
    return 'options handler';
  }
  @Options(':id') @HttpCode(200) optionsItem() {
    return 'options handler';
  }
}

interface AppPair {
  /** `app.enableCors(o)` */
  readonly cors: HttpServer;
  /** `CorsModule.forRoot(o)` */
  readonly lib: HttpServer;
  close(): Promise<void>;
}

async function bootWithEnableCors(options: object | undefined): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({ controllers: [ItemsController] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  app.enableCors(options as EnableCorsOptions);
  return app.init();
}

async function bootWithCorsModule(options: object): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [CorsModule.forRoot(options as CorsPolicyOptions)],
    controllers: [ItemsController],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  return app.init();
}

async function bootPair(options: object | undefined): Promise<AppPair> {
  const corsApp = await bootWithEnableCors(options);
  const libApp = await bootWithCorsModule(options ?? {});
  return {
    cors: corsApp.getHttpServer(),
    lib: libApp.getHttpServer(),
    close: async () => {
      await corsApp.close();
      await libApp.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Requests.

interface Probe {
  readonly name: string;
  readonly kind: 'actual' | 'preflight';
  readonly method: 'get' | 'head' | 'post' | 'options';
  readonly path: string;
  readonly origin: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: object;
}

const actual = (name: string, method: Probe['method'], origin: string | undefined, body?: object): Probe => ({
  name,
  kind: 'actual',
  method,
  path: '/items',
  origin,
  headers: origin === undefined ? {} : { Origin: origin },
  body,
});

const preflight = (name: string, origin: string, requestMethod: string, path: string, requestHeaders?: string): Probe => ({
  name,
  kind: 'preflight',
  method: 'options',
  path,
  origin,
  headers: {
    Origin: origin,
    'Access-Control-Request-Method': requestMethod,
    ...(requestHeaders === undefined ? {} : { 'Access-Control-Request-Headers': requestHeaders }),
  },
});

const REQUEST_HEADER_SPELLINGS = ['X-Foo', 'x-foo,x-bar', 'X-Foo, X-Bar', ' x-foo ,  content-type'];

const PROBES: readonly Probe[] = [
  actual('GET from an allowed origin', 'get', APP),
  actual('GET from a refused origin', 'get', EVIL),
  actual('GET without Origin', 'get', undefined),
  actual('HEAD from an allowed origin', 'head', APP),
  actual('POST from an allowed origin', 'post', APP, { name: 'x' }),
  actual('POST from a refused origin', 'post', EVIL, { name: 'x' }),
  preflight('preflight PATCH allowed, no Access-Control-Request-Headers', APP, 'PATCH', '/items/42'),
  ...REQUEST_HEADER_SPELLINGS.map((spelling) =>
    preflight(`preflight PATCH allowed with '${spelling}'`, APP, 'PATCH', '/items/42', spelling),
  ),
  preflight("preflight POST allowed with 'Content-Type'", APP, 'POST', '/items', 'Content-Type'),
  preflight("preflight PATCH refused with 'X-Foo'", EVIL, 'PATCH', '/items/42', 'X-Foo'),
  preflight("preflight PATCH refused with ' x-foo ,  content-type'", EVIL, 'PATCH', '/items/42', ' x-foo ,  content-type'),
];

// ---------------------------------------------------------------------------------------------
// Option sets.

/**
 * What a policy decides for a request origin (`undefined`: no `Origin` header):
 * - `allow`: the origin is reflected;
 * - `wildcard`: `Access-Control-Allow-Origin: *` for everyone;
 * - `refuse`: refused (or no Origin), `cors` still runs;
 * - `refuse-silently`: the `cors` origin callback answers `false`, so `cors` does nothing at all;
 * - `off`: CORS off (`origin: false`), neither app sends anything.
 */
type Decision = 'allow' | 'wildcard' | 'refuse' | 'refuse-silently' | 'off';

interface OptionSet {
  readonly name: string;
  /** Passed as is to `app.enableCors()` and `CorsModule.forRoot()`; `undefined`: no options at all. */
  readonly options: object | undefined;
  readonly decide: (origin: string | undefined) => Decision;
}

type OriginCallback = (error: Error | null, allow?: boolean | string | RegExp | Array<string | RegExp>) => void;

const listed =
  (...origins: string[]) =>
  (origin: string | undefined): Decision =>
    origin !== undefined && origins.includes(origin) ? 'allow' : 'refuse';
const anyOrigin = (origin: string | undefined): Decision => (origin === undefined ? 'refuse' : 'allow');
const wildcard = (): Decision => 'wildcard';

const OPTION_SETS: readonly OptionSet[] = [
  { name: 'defaults (no options)', options: undefined, decide: wildcard },
  { name: 'origin: true', options: { origin: true }, decide: anyOrigin },
  { name: "origin: '*'", options: { origin: '*' }, decide: wildcard },
  { name: 'origin: one string', options: { origin: APP }, decide: listed(APP) },
  { name: 'origin: a list', options: { origin: [APP, ADMIN] }, decide: listed(APP, ADMIN) },
  { name: 'origin: an anchored RegExp', options: { origin: /^https:\/\/(app|admin)\.example\.com$/ }, decide: listed(APP, ADMIN) },
  {
    name: 'origin: a mixed list (string and RegExp)',
    options: { origin: [ADMIN, /^https:\/\/app\.example\.com$/] },
    decide: listed(APP, ADMIN),
  },
  {
    name: 'origin: a callback allowing every origin',
    options: { origin: (_origin: string | undefined, callback: OriginCallback) => callback(null, true) },
    decide: anyOrigin,
  },
  {
    name: 'origin: a callback allowing one origin (false for the others)',
    options: { origin: (origin: string | undefined, callback: OriginCallback) => callback(null, origin === APP) },
    decide: (origin) => (origin === APP ? 'allow' : 'refuse-silently'),
  },
  {
    name: 'origin: a callback answering a list',
    options: { origin: (_origin: string | undefined, callback: OriginCallback) => callback(null, [APP, ADMIN]) },
    decide: listed(APP, ADMIN),
  },
  {
    name: 'origin: a callback calling back later, on a timer (the arrow returns the timer)',
    options: { origin: (origin: string | undefined, callback: OriginCallback) => setTimeout(() => callback(null, origin === APP), 5) },
    decide: (origin) => (origin === APP ? 'allow' : 'refuse-silently'),
  },
  {
    name: 'origin: a callback calling back from setImmediate (the arrow returns the handle)',
    options: { origin: (_origin: string | undefined, callback: OriginCallback) => setImmediate(() => callback(null, true)) },
    decide: anyOrigin,
  },
  {
    name: 'origin: a callback calling back at the end of a promise chain',
    options: {
      origin: (_origin: string | undefined, callback: OriginCallback) =>
        Promise.resolve([APP, ADMIN]).then((origins) => callback(null, origins)),
    },
    decide: listed(APP, ADMIN),
  },
  {
    name: 'origin: a callback refusing every origin',
    options: { origin: (_origin: string | undefined, callback: OriginCallback) => callback(null, false) },
    decide: () => 'refuse-silently',
  },
  { name: 'origin: false', options: { origin: false }, decide: () => 'off' },
  { name: 'credentials: true', options: { origin: [APP], credentials: true }, decide: listed(APP) },
  { name: 'origin: true with credentials (warned)', options: { origin: true, credentials: true }, decide: anyOrigin },
  { name: 'methods as a string', options: { origin: [APP], methods: 'GET, POST, PATCH' }, decide: listed(APP) },
  { name: 'methods as an array', options: { origin: [APP], methods: ['GET', 'POST', 'PATCH'] }, decide: listed(APP) },
  { name: 'allowedHeaders explicit (array)', options: { origin: [APP], allowedHeaders: ['Content-Type', 'X-Foo'] }, decide: listed(APP) },
  { name: 'allowedHeaders explicit (string)', options: { origin: [APP], allowedHeaders: 'Content-Type, X-Foo' }, decide: listed(APP) },
  { name: "allowedHeaders '' (reflected)", options: { origin: [APP], allowedHeaders: '' }, decide: listed(APP) },
  { name: 'exposedHeaders', options: { origin: [APP], exposedHeaders: ['X-Total-Count', 'X-Request-Id'] }, decide: listed(APP) },
  { name: 'maxAge: 0', options: { origin: [APP], maxAge: 0 }, decide: listed(APP) },
  { name: 'maxAge: 600', options: { origin: [APP], maxAge: 600 }, decide: listed(APP) },
  { name: 'preflightContinue: true', options: { origin: [APP], preflightContinue: true }, decide: listed(APP) },
  { name: 'optionsSuccessStatus: 200', options: { origin: [APP], optionsSuccessStatus: 200 }, decide: listed(APP) },
  {
    name: "origin: '*' with exposedHeaders, allowedHeaders and maxAge",
    options: { origin: '*', exposedHeaders: 'X-Total-Count', allowedHeaders: ['Content-Type'], maxAge: 600 },
    decide: wildcard,
  },
  {
    name: 'everything together',
    options: {
      origin: [APP, ADMIN],
      credentials: true,
      methods: ['GET', 'PATCH'],
      allowedHeaders: ['Content-Type', 'X-Foo', 'X-Bar'],
      exposedHeaders: ['X-Total-Count'],
      maxAge: 600,
      optionsSuccessStatus: 200,
    },
    decide: listed(APP, ADMIN),
  },
];

// ---------------------------------------------------------------------------------------------
// Sending and comparing.

interface Observed {
  readonly status: number;
  /** Every `access-control-*` header, name (lower case) → value. */
  readonly accessControl: Record<string, string>;
  /** The `Vary` header as a sorted set of lower-case tokens. */
  readonly vary: string[];
  readonly text: string;
}

async function send(server: HttpServer, probe: Probe): Promise<Observed> {
  let req = request(server)[probe.method](probe.path);
  for (const [name, value] of Object.entries(probe.headers)) req = req.set(name, value);
  const res = probe.body === undefined ? await req : await req.send(probe.body);
  return observe(res);
}

function observe(res: request.Response): Observed {
  const headers = res.headers as Record<string, string | string[] | undefined>;
  const accessControl: Record<string, string> = {};
  for (const name of Object.keys(headers).sort()) {
    if (name.startsWith('access-control-')) accessControl[name] = String(headers[name]);
  }
  const varyValue = headers.vary;
  const varyText = Array.isArray(varyValue) ? varyValue.join(',') : (varyValue ?? '');
  const vary = [
    ...new Set(
      varyText
        .split(',')
        .map((token) => token.trim().toLowerCase())
        .filter((token) => token !== ''),
    ),
  ].sort();
  return { status: res.status, accessControl, vary, text: res.text ?? '' };
}

type Mode = 'full' | 'status-and-vary' | 'status';

const MODE_TITLES: Record<Mode, string> = {
  full: 'same status, Access-Control-* headers and Vary tokens',
  'status-and-vary': 'same status and Vary tokens (Access-Control-* differ deliberately, see deviations)',
  status: "same status only (cors's callback refused: cors sends nothing, see deviations)",
};

function modeOf(decision: Decision, probe: Probe): Mode | undefined {
  switch (decision) {
    case 'allow':
    case 'wildcard':
    case 'off':
      return 'full';
    case 'refuse':
      return 'status-and-vary';
    case 'refuse-silently':
      // cors lets such a preflight fall through to routing: nothing in common, see deviation 5.
      return probe.kind === 'actual' ? 'status' : undefined;
  }
}

function expectedAllowOrigin(decision: Decision, origin: string | undefined): string | undefined {
  if (decision === 'wildcard') return '*';
  if (decision === 'allow') return origin;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// The parity table.

describe('parity with app.enableCors()', () => {
  describe.each(OPTION_SETS)('$name', (set) => {
    let pair: AppPair | undefined;
    beforeAll(async () => {
      pair = await bootPair(set.options);
    });
    afterAll(async () => {
      await pair?.close();
    });

    const rows = PROBES.flatMap((probe) => {
      const decision = set.decide(probe.origin);
      const mode = modeOf(decision, probe);
      return mode === undefined ? [] : [{ probe, decision, mode, title: `${probe.name} › ${MODE_TITLES[mode]}` }];
    });

    it.each(rows)('$title', async ({ probe, decision, mode }) => {
      const viaCors = await send(pair!.cors, probe);
      const viaLib = await send(pair!.lib, probe);
      expect(viaLib.status).toBe(viaCors.status);
      if (mode === 'status') return;
      expect(viaLib.vary).toEqual(viaCors.vary);
      if (mode === 'status-and-vary') return;
      expect(viaLib.accessControl).toEqual(viaCors.accessControl);
      // Guards against both apps failing the same way (e.g. both sending nothing).
      expect(viaLib.accessControl['access-control-allow-origin']).toBe(expectedAllowOrigin(decision, probe.origin));
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Deliberate deviations: each asserted on its own, never compared for equality.

const setNamed = (name: string): OptionSet => {
  const set = OPTION_SETS.find((candidate) => candidate.name === name);
  if (set === undefined) throw new Error(`no option set named ${name}`);
  return set;
};
const probeNamed = (name: string): Probe => {
  const probe = PROBES.find((candidate) => candidate.name === name);
  if (probe === undefined) throw new Error(`no probe named ${name}`);
  return probe;
};

const GET_REFUSED = probeNamed('GET from a refused origin');
const GET_NO_ORIGIN = probeNamed('GET without Origin');
const PREFLIGHT_REFUSED = probeNamed("preflight PATCH refused with 'X-Foo'");

describe('deliberate deviations', () => {
  describe('1 and 2. a refused origin, or a request without Origin, gets no Access-Control-* header from the library, only Vary: Origin', () => {
    const refusingSets = OPTION_SETS.filter((set) => {
      const decisions = PROBES.map((probe) => set.decide(probe.origin));
      return decisions.includes('refuse') || decisions.includes('refuse-silently');
    });

    describe.each(refusingSets)('$name', (set) => {
      let pair: AppPair | undefined;
      beforeAll(async () => {
        pair = await bootPair(set.options);
      });
      afterAll(async () => {
        await pair?.close();
      });

      const rows = PROBES.filter((probe) => ['refuse', 'refuse-silently'].includes(set.decide(probe.origin))).map((probe) => ({
        probe,
        title: `${probe.name} › the library sends no Access-Control-* header and Vary: Origin`,
      }));

      it.each(rows)('$title', async ({ probe }) => {
        const viaLib = await send(pair!.lib, probe);
        expect(viaLib.accessControl).toEqual({});
        expect(viaLib.vary).toContain('origin');
        if (probe.kind === 'preflight') {
          const status = (set.options as CorsPolicyOptions | undefined)?.optionsSuccessStatus ?? 204;
          const continues = (set.options as CorsPolicyOptions | undefined)?.preflightContinue === true;
          expect(viaLib.status).toBe(continues ? 200 : status);
          if (continues) expect(viaLib.text).toBe('options handler');
        }
      });
    });
  });

  describe('1. what cors sends to a refused origin that the library does not', () => {
    let single: AppPair | undefined;
    let everything: AppPair | undefined;
    beforeAll(async () => {
      single = await bootPair(setNamed('origin: one string').options);
      everything = await bootPair(setNamed('everything together').options);
    });
    afterAll(async () => {
      await single?.close();
      await everything?.close();
    });

    it('single-string origin, GET from a refused origin: cors sends the configured origin as Allow-Origin, the library nothing', async () => {
      const viaCors = await send(single!.cors, GET_REFUSED);
      const viaLib = await send(single!.lib, GET_REFUSED);
      expect(viaCors.accessControl).toEqual({ 'access-control-allow-origin': APP });
      expect(viaLib.accessControl).toEqual({});
      expect(viaCors.vary).toEqual(['origin']);
      expect(viaLib.vary).toEqual(['origin']);
    });

    it('refused preflight: cors sends Allow-Credentials, Allow-Methods, Allow-Headers, Max-Age and Expose-Headers, the library none (same status)', async () => {
      const viaCors = await send(everything!.cors, PREFLIGHT_REFUSED);
      const viaLib = await send(everything!.lib, PREFLIGHT_REFUSED);
      expect(viaCors.accessControl).toEqual({
        'access-control-allow-credentials': 'true',
        'access-control-allow-headers': 'Content-Type,X-Foo,X-Bar',
        'access-control-allow-methods': 'GET,PATCH',
        'access-control-expose-headers': 'X-Total-Count',
        'access-control-max-age': '600',
      });
      expect(viaLib.accessControl).toEqual({});
      expect(viaLib.status).toBe(200);
      expect(viaCors.status).toBe(200);
      expect(viaLib.vary).toEqual(['origin']);
    });

    it('refused actual request with credentials and exposedHeaders: cors sends Allow-Credentials and Expose-Headers, the library none', async () => {
      const viaCors = await send(everything!.cors, GET_REFUSED);
      const viaLib = await send(everything!.lib, GET_REFUSED);
      expect(viaCors.accessControl).toEqual({
        'access-control-allow-credentials': 'true',
        'access-control-expose-headers': 'X-Total-Count',
      });
      expect(viaLib.accessControl).toEqual({});
      expect(viaLib.vary).toEqual(['origin']);
    });
  });

  describe('2. a request without Origin', () => {
    let single: AppPair | undefined;
    let everything: AppPair | undefined;
    let star: AppPair | undefined;
    beforeAll(async () => {
      single = await bootPair(setNamed('origin: one string').options);
      everything = await bootPair(setNamed('everything together').options);
      star = await bootPair(setNamed("origin: '*' with exposedHeaders, allowedHeaders and maxAge").options);
    });
    afterAll(async () => {
      await single?.close();
      await everything?.close();
      await star?.close();
    });

    it('single-string origin: cors sends Allow-Origin anyway, the library does not; both send Vary: Origin', async () => {
      const viaCors = await send(single!.cors, GET_NO_ORIGIN);
      const viaLib = await send(single!.lib, GET_NO_ORIGIN);
      expect(viaCors.accessControl).toEqual({ 'access-control-allow-origin': APP });
      expect(viaLib.accessControl).toEqual({});
      expect(viaCors.vary).toEqual(['origin']);
      expect(viaLib.vary).toEqual(['origin']);
      expect(viaLib.status).toBe(200);
    });

    it('credentials and exposedHeaders: cors sends Allow-Credentials and Expose-Headers, the library nothing but Vary: Origin', async () => {
      const viaCors = await send(everything!.cors, GET_NO_ORIGIN);
      const viaLib = await send(everything!.lib, GET_NO_ORIGIN);
      expect(viaCors.accessControl).toEqual({
        'access-control-allow-credentials': 'true',
        'access-control-expose-headers': 'X-Total-Count',
      });
      expect(viaLib.accessControl).toEqual({});
      expect(viaLib.vary).toEqual(['origin']);
    });

    it("'*' policy: the library sends Access-Control-Allow-Origin: * like cors does", async () => {
      const viaLib = await send(star!.lib, GET_NO_ORIGIN);
      expect(viaLib.accessControl).toEqual({ 'access-control-allow-origin': '*', 'access-control-expose-headers': 'X-Total-Count' });
      expect(viaLib.vary).toEqual([]);
    });
  });

  describe('3. an OPTIONS request that is not a preflight is not answered as one by the library', () => {
    let pair: AppPair | undefined;
    beforeAll(async () => {
      pair = await bootPair({ origin: [APP] });
    });
    afterAll(async () => {
      await pair?.close();
    });

    const notPreflight = (name: string, path: string, headers: Record<string, string>): Probe => ({
      name,
      kind: 'actual',
      method: 'options',
      path,
      origin: headers.Origin,
      headers,
    });

    it('OPTIONS without Origin: the library lets it reach the @Options handler, cors answers 204', async () => {
      const probe = notPreflight('OPTIONS without Origin', '/items/42', { 'Access-Control-Request-Method': 'PATCH' });
      const viaCors = await send(pair!.cors, probe);
      const viaLib = await send(pair!.lib, probe);
      expect(viaCors.status).toBe(204);
      expect(viaCors.accessControl).toHaveProperty('access-control-allow-methods');
      expect(viaLib.status).toBe(200);
      expect(viaLib.text).toBe('options handler');
      expect(viaLib.accessControl).toEqual({});
      expect(viaLib.vary).toEqual(['origin']);
    });

    it('OPTIONS with Origin but no Access-Control-Request-Method: the library treats it as an actual request', async () => {
      const probe = notPreflight('OPTIONS without Access-Control-Request-Method', '/items/42', { Origin: APP });
      const viaCors = await send(pair!.cors, probe);
      const viaLib = await send(pair!.lib, probe);
      expect(viaCors.status).toBe(204);
      expect(viaCors.accessControl).toHaveProperty('access-control-allow-methods');
      expect(viaLib.status).toBe(200);
      expect(viaLib.text).toBe('options handler');
      expect(viaLib.accessControl).toEqual({ 'access-control-allow-origin': APP });
      expect(viaLib.vary).toEqual(['origin']);
    });

    it('OPTIONS without Origin on a path without an @Options handler: the library gives the 404 of routing, cors 204', async () => {
      const probe = notPreflight('OPTIONS without Origin', '/nowhere', {});
      const viaCors = await send(pair!.cors, probe);
      const viaLib = await send(pair!.lib, probe);
      expect(viaCors.status).toBe(204);
      expect(viaLib.status).toBe(404);
      expect(viaLib.accessControl).toEqual({});
    });
  });

  describe('4. insecure or invalid configurations are refused at startup (cors accepts them silently)', () => {
    const cases: Array<{ title: string; options: object; option: string }> = [
      { title: "origin '*' with credentials: true", options: { origin: '*', credentials: true }, option: 'origin' },
      { title: "'*' inside an origin list", options: { origin: ['*', APP] }, option: 'origin' },
      { title: 'an origin with a trailing slash', options: { origin: `${APP}/` }, option: 'origin' },
      { title: 'a negative maxAge', options: { origin: [APP], maxAge: -1 }, option: 'maxAge' },
      {
        title: 'optionsSuccessStatus outside 200-299',
        options: { origin: [APP], optionsSuccessStatus: 404 },
        option: 'optionsSuccessStatus',
      },
    ];

    it.each(cases)(
      '$title › CorsModule app.init() rejects with a CorsConfigurationError naming "$option"; enableCors boots',
      async ({ options, option }) => {
        const corsApp = await bootWithEnableCors(options);
        await corsApp.close();

        const moduleRef = await Test.createTestingModule({
          imports: [CorsModule.forRoot(options as CorsPolicyOptions)],
          controllers: [ItemsController],
        }).compile();
        const app = moduleRef.createNestApplication({ logger: false });
        let error: unknown;
        try {
          await app.init();
        } catch (caught) {
          error = caught;
        } finally {
          await app.close().catch(() => undefined);
        }
        expect(error).toBeInstanceOf(CorsConfigurationError);
        const problems = (error as CorsConfigurationError).problems;
        expect(problems.map((problem) => problem.option)).toContain(option);
        expect((error as Error).message).toContain(`option "${option}"`);
      },
    );

    it("origin '*' with credentials: cors sends Allow-Origin: * with Allow-Credentials: true (a combination browsers refuse)", async () => {
      const corsApp = await bootWithEnableCors({ origin: '*', credentials: true });
      try {
        const viaCors = await send(corsApp.getHttpServer(), probeNamed('GET from an allowed origin'));
        expect(viaCors.accessControl).toEqual({ 'access-control-allow-origin': '*', 'access-control-allow-credentials': 'true' });
      } finally {
        await corsApp.close();
      }
    });
  });

  describe('5. an origin callback that refuses (callback(null, false))', () => {
    let pair: AppPair | undefined;
    beforeAll(async () => {
      pair = await bootPair(setNamed('origin: a callback refusing every origin').options);
    });
    afterAll(async () => {
      await pair?.close();
    });

    it('GET: cors sends no header at all (not even Vary), the library sends Vary: Origin; same status', async () => {
      const viaCors = await send(pair!.cors, GET_REFUSED);
      const viaLib = await send(pair!.lib, GET_REFUSED);
      expect(viaCors.accessControl).toEqual({});
      expect(viaCors.vary).toEqual([]);
      expect(viaLib.accessControl).toEqual({});
      expect(viaLib.vary).toEqual(['origin']);
      expect(viaLib.status).toBe(viaCors.status);
    });

    it('GET without Origin: cors calls the callback with undefined and sends nothing, the library sends Vary: Origin', async () => {
      const viaCors = await send(pair!.cors, GET_NO_ORIGIN);
      const viaLib = await send(pair!.lib, GET_NO_ORIGIN);
      expect(viaCors.vary).toEqual([]);
      expect(viaLib.vary).toEqual(['origin']);
      expect(viaLib.accessControl).toEqual({});
    });

    it('preflight: cors lets it fall through to routing (the @Options handler), the library answers it as a refused preflight (204, Vary only)', async () => {
      const viaCors = await send(pair!.cors, PREFLIGHT_REFUSED);
      const viaLib = await send(pair!.lib, PREFLIGHT_REFUSED);
      expect(viaCors.status).toBe(200);
      expect(viaCors.text).toBe('options handler');
      expect(viaCors.accessControl).toEqual({});
      expect(viaCors.vary).toEqual([]);
      expect(viaLib.status).toBe(204);
      expect(viaLib.accessControl).toEqual({});
      expect(viaLib.vary).toEqual(['access-control-request-headers', 'origin']);
    });
  });

  describe("6. origin: true never reflects the literal origin 'null'", () => {
    let pair: AppPair | undefined;
    beforeAll(async () => {
      pair = await bootPair({ origin: true });
    });
    afterAll(async () => {
      await pair?.close();
    });

    it.each([
      actual('GET with Origin: null', 'get', 'null'),
      preflight('preflight PATCH with Origin: null', 'null', 'PATCH', '/items/42', 'X-Foo'),
    ])('$name › cors reflects "null", the library sends no Access-Control-Allow-Origin', async (probe) => {
      const viaCors = await send(pair!.cors, probe);
      const viaLib = await send(pair!.lib, probe);
      expect(viaCors.accessControl['access-control-allow-origin']).toBe('null');
      expect(viaLib.accessControl).toEqual({});
      expect(viaLib.vary).toContain('origin');
      expect(viaLib.status).toBe(viaCors.status);
    });
  });

  // Not among the deviations listed in the issue, but deliberate (BRIEF §4, and the comment on
  // reflectableHeaders in lib/cors.middleware.ts): cors reflects whatever it receives.
  describe('7. what the library never reflects, whatever the configuration', () => {
    let pair: AppPair | undefined;
    beforeAll(async () => {
      pair = await bootPair({ origin: true });
    });
    afterAll(async () => {
      await pair?.close();
    });

    it.each([
      { origin: 'https://evil.example.net@app.example.com', why: 'userinfo' },
      { origin: 'HTTPS://APP.EXAMPLE.COM', why: 'upper case' },
      { origin: 'https://app.example.com/', why: 'a trailing slash' },
    ])('origin: true, Origin with $why ("$origin") › cors reflects it, the library refuses it (Vary: Origin only)', async ({ origin }) => {
      const probe = actual(`GET with Origin ${origin}`, 'get', origin);
      const viaCors = await send(pair!.cors, probe);
      const viaLib = await send(pair!.lib, probe);
      expect(viaCors.accessControl).toEqual({ 'access-control-allow-origin': origin });
      expect(viaLib.accessControl).toEqual({});
      expect(viaLib.vary).toEqual(['origin']);
      expect(viaLib.status).toBe(viaCors.status);
    });

    it.each(['X-Foo;bar', 'X-Foo,', 'X-Foo, "x-bar"'])(
      "malformed Access-Control-Request-Headers '%s' › cors reflects it verbatim, the library answers the preflight without Allow-Headers",
      async (requested) => {
        const probe = preflight(`preflight with ${requested}`, APP, 'PATCH', '/items/42', requested);
        const viaCors = await send(pair!.cors, probe);
        const viaLib = await send(pair!.lib, probe);
        expect(viaCors.accessControl['access-control-allow-headers']).toBe(requested);
        expect(viaLib.accessControl).not.toHaveProperty('access-control-allow-headers');
        expect(viaLib.accessControl['access-control-allow-origin']).toBe(APP);
        expect(viaLib.status).toBe(viaCors.status);
        expect(viaLib.vary).toEqual(viaCors.vary);
      },
    );
  });
});
