/**
 * Hostile input: huge `Access-Control-Request-Headers`, invalid tokens, control characters,
 * non-ASCII origins, request methods that are not tokens. Never a 500, nothing reflected that the
 * policy does not allow, time linear in the input size, and the server's own header limit (431)
 * does not take the process down.
 *
 * Two servers per platform (Express and Fastify):
 * - `standard`: the app's own server, with Node's default limits (16 KB of headers);
 * - `roomy`: one with `maxHeaderSize` raised (on Express a second `http.Server` over the same
 *   Express instance, on Fastify a second app built with a `serverFactory`), so that 64 KB and
 *   640 KB headers reach the library and its own handling is what is tested.
 *
 * What Node does before the library sees anything (measured on Node 20, llhttp, strict mode):
 * control characters (other than HTAB) and bare CR or LF in a header value, an unknown method
 * (`FOO`, `get`) or a method that is not a token (`G(T`) are answered 400 by Node itself; bytes
 * 0x80..0xFF are accepted and decoded as latin1; optional whitespace around a value is stripped.
 */
import { Controller, Get, Module, Post, Put } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { CorsModule, CorsPolicy } from '../lib/index.js';
import { parseRequestedHeaders } from '../lib/headers/header-tokens.js';
import { matchOrigin } from '../lib/origins/origin-matcher.js';
import { parseOriginRuleString, parseSerializedOrigin } from '../lib/origins/serialized-origin.js';
import type { CorsRequest } from '../lib/cors-request.interface.js';
import { PLATFORMS, type Platform } from './support/apps.js';

const APP = 'https://app.example.com';
const EVIL = 'https://evil.net';
const CONFIGURED_HEADERS = 'Content-Type,X-Request-Id';

/** Reflects the requested headers (no `allowedHeaders`), as the `cors` package does. */
@Controller('reflect')
@CorsPolicy({ origin: [APP], credentials: true, methods: ['GET', 'PUT', 'POST'] })
class ReflectController {
  @Get() read() {
    return { ok: true };
  }
  @Put() write() {
    return { ok: true };
  }
  @Post() create() {
    return { ok: true };
  }
}

/** Configured headers: nothing requested is ever reflected. */
@Controller('fixed')
@CorsPolicy({ origin: [APP], credentials: true, methods: ['GET', 'PUT'], allowedHeaders: ['Content-Type', 'X-Request-Id'] })
class FixedController {
  @Get() read() {
    return { ok: true };
  }
  @Put() write() {
    return { ok: true };
  }
}

@Module({
  imports: [CorsModule.forRoot({ origin: [APP], credentials: true })],
  controllers: [ReflectController, FixedController],
})
class HostileModule {}

let standard: number;
let roomy: number;

/** The ports of one platform's two servers: Node's default header limit, and a raised one. */
async function startServers(platform: Platform): Promise<() => Promise<void>> {
  const moduleRef = await Test.createTestingModule({ imports: [HostileModule] }).compile();
  if (platform === 'fastify') {
    // Fastify owns its server: the roomy one is a second app whose server factory raises the limit.
    const roomyModule = await Test.createTestingModule({ imports: [HostileModule] }).compile();
    const serverFactory = (handler: http.RequestListener) => http.createServer({ maxHeaderSize: 8 * 1024 * 1024 }, handler);
    const apps = [
      moduleRef.createNestApplication(new FastifyAdapter(), { logger: false }),
      roomyModule.createNestApplication(new FastifyAdapter({ serverFactory }), { logger: false }),
    ];
    for (const app of apps) await app.listen(0, '127.0.0.1');
    [standard, roomy] = apps.map((app) => (app.getHttpServer().address() as AddressInfo).port);
    return async () => {
      for (const app of apps) await app.close();
    };
  }
  const app = moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  standard = (app.getHttpServer().address() as AddressInfo).port;
  // A second http.Server over the same Express instance, with the limit raised.
  const roomyServer = http.createServer({ maxHeaderSize: 8 * 1024 * 1024 }, app.getHttpAdapter().getInstance());
  await new Promise<void>((resolve) => roomyServer.listen(0, '127.0.0.1', resolve));
  roomy = (roomyServer.address() as AddressInfo).port;
  return async () => {
    await new Promise((resolve) => roomyServer.close(resolve));
    await app.close();
  };
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | undefined>>;
}

/** An HTTP request with a client that accepts big answers (the answer may reflect a big header). */
function call(port: number, method: string, path: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      { host: '127.0.0.1', port, method, path, headers, maxHeaderSize: 16 * 1024 * 1024, agent: false },
      (response) => {
        response.resume();
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers as Record<string, string> }));
      },
    );
    outgoing.on('error', reject);
    outgoing.end();
  });
}

const preflight = (port: number, path: string, origin: string, requestHeaders: string, method = 'PUT') =>
  call(port, 'OPTIONS', path, {
    Origin: origin,
    'Access-Control-Request-Method': method,
    'Access-Control-Request-Headers': requestHeaders,
  });

/** Writes raw bytes on a socket and reads what comes back until the server closes. */
function raw(port: number, bytes: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(port, '127.0.0.1', () => socket.end(bytes));
    const done = () => {
      const text = Buffer.concat(chunks).toString('latin1');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text });
    };
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // The server may close while we are still writing (431): what it sent first still counts.
    socket.on('error', () => undefined);
    socket.on('close', done);
  });
}

function rawRequest(method: Buffer | string, headerLines: ReadonlyArray<Buffer | string>, path = '/reflect'): Buffer {
  const parts: Buffer[] = [
    Buffer.isBuffer(method) ? method : Buffer.from(method, 'latin1'),
    Buffer.from(` ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n`),
  ];
  for (const line of headerLines) parts.push(Buffer.isBuffer(line) ? line : Buffer.from(line, 'latin1'), Buffer.from('\r\n'));
  parts.push(Buffer.from('Connection: close\r\n\r\n'));
  return Buffer.concat(parts);
}

const headerOf = (text: string, name: string): string | undefined =>
  new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(text.split('\r\n\r\n')[0])?.[1];

/** A test title for a value: JSON, with every non-printable or non-ASCII character escaped. */
const show = (value: string): string =>
  value.length > 64
    ? `${value.length} × ${JSON.stringify(value[0])}`
    : JSON.stringify(value).replace(/[^\x20-\x7e]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
const titled = (values: readonly string[]): Array<[string, string]> => values.map((value) => [show(value), value]);

const varyHasOrigin = (vary: string | undefined): boolean =>
  (vary ?? '').split(',').some((field) => field.trim().toLowerCase() === 'origin');

/** `count` valid header names, comma-separated, about `bytes` long. */
function tokenList(bytes: number): string {
  const names: string[] = [];
  let length = 0;
  for (let index = 0; length < bytes; index++) {
    const name = `X-Custom-Header-${index}`;
    names.push(name);
    length += name.length + 2;
  }
  return names.join(', ');
}

/** Median wall time of `runs` calls, after one warm-up. */
async function medianMs(runs: number, task: () => Promise<unknown> | unknown): Promise<number> {
  await task();
  const times: number[] = [];
  for (let index = 0; index < runs; index++) {
    const start = process.hrtime.bigint();
    await task();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

async function stillServes(): Promise<void> {
  const response = await request(`http://127.0.0.1:${standard}`).get('/reflect').set('Origin', APP).expect(200);
  expect(response.headers['access-control-allow-origin']).toBe(APP);
}

// ---------------------------------------------------------------------------------------------
// Access-Control-Request-Headers of 64 KB (and 640 KB)
// ---------------------------------------------------------------------------------------------

describe.each(PLATFORMS)('on %s', (platform) => {
  let stop: () => Promise<void>;
  beforeAll(async () => {
    stop = await startServers(platform);
  });
  afterAll(() => stop());

  describe('huge Access-Control-Request-Headers (server limit raised so the library sees them)', () => {
    const list64k = tokenList(64 * 1024);

    it('reflects a 64 KB list of valid names for an allowed origin (the policy reflects requested headers)', async () => {
      expect(list64k.length).toBeGreaterThanOrEqual(64 * 1024);
      const answer = await preflight(roomy, '/reflect', APP, list64k);
      expect(answer.status).toBe(204);
      expect(answer.headers['access-control-allow-origin']).toBe(APP);
      expect(answer.headers['access-control-allow-headers']).toBe(list64k);
    });

    it.each([
      ['an invalid name at the end', `${list64k}, x;y`],
      ['an invalid name at the start', `(x), ${list64k}`],
      ['an empty element in the middle', `${list64k.slice(0, 30_000)},,${list64k.slice(30_000)}`],
      ['a space inside a name', `${list64k} x`],
      ['a latin-1 byte', `${list64k}\u00e9`],
      ['64 KB of whitespace and commas', ` ,\t`.repeat(16 * 1024)],
      ['64 KB of one 64 KB token followed by a slash', `${'a'.repeat(64 * 1024)}/`],
    ])('reflects nothing for a 64 KB list with %s', async (_name, value) => {
      const answer = await preflight(roomy, '/reflect', APP, value);
      expect(answer.status).toBe(204);
      expect(answer.headers['access-control-allow-origin']).toBe(APP);
      expect(answer.headers['access-control-allow-headers']).toBeUndefined();
    });

    it('answers configured headers only, never the 64 KB request, when allowedHeaders is set', async () => {
      const answer = await preflight(roomy, '/fixed', APP, list64k);
      expect(answer.status).toBe(204);
      expect(answer.headers['access-control-allow-headers']).toBe(CONFIGURED_HEADERS);
    });

    it('gives a refused origin nothing at all, whatever it asks for', async () => {
      const answer = await preflight(roomy, '/reflect', EVIL, list64k);
      expect(answer.status).toBe(204);
      expect(Object.keys(answer.headers).filter((name) => name.startsWith('access-control-allow-'))).toEqual([]);
      expect(varyHasOrigin(answer.headers.vary)).toBe(true);
    });

    it('takes time linear in the size: 640 KB costs at most a generous multiple of 64 KB', async () => {
      const list640k = tokenList(640 * 1024);
      const broken640k = `${list640k}, x;y`;
      const small = await medianMs(5, () => preflight(roomy, '/reflect', APP, list64k));
      const big = await medianMs(5, () => preflight(roomy, '/reflect', APP, list640k));
      const bigBroken = await medianMs(5, () => preflight(roomy, '/reflect', APP, broken640k));
      // Linear is about 10x; a quadratic parse would be about 100x. The additive slack absorbs
      // the fixed cost of a request on a loaded machine.
      expect(big).toBeLessThan(30 * small + 250);
      expect(bigBroken).toBeLessThan(30 * small + 250);
    });

    it('with Node default limits, answers 431 to a 64 KB header and keeps serving', async () => {
      const answer = await raw(
        standard,
        rawRequest('OPTIONS', [`Origin: ${APP}`, 'Access-Control-Request-Method: PUT', `Access-Control-Request-Headers: ${list64k}`]),
      );
      expect(answer.status).toBe(431);
      await stillServes();
    });
  });

  // ---------------------------------------------------------------------------------------------
  // A 1 MB header: the server's own limit, not a crash
  // ---------------------------------------------------------------------------------------------

  describe('a 1 MB header', () => {
    const megabyte = tokenList(1024 * 1024);

    it.each([
      [
        'Access-Control-Request-Headers',
        'OPTIONS',
        [`Origin: ${APP}`, 'Access-Control-Request-Method: PUT', `Access-Control-Request-Headers: ${megabyte}`],
      ],
      ['Origin', 'GET', [`Origin: https://${'a'.repeat(1024 * 1024)}.example.com`]],
      ['an unrelated header', 'GET', [`Origin: ${APP}`, `X-Padding: ${'x'.repeat(1024 * 1024)}`]],
    ])('in %s is refused with 431 by the server, and the next request succeeds', async (_name, method, lines) => {
      const answer = await raw(standard, rawRequest(method, lines));
      expect(answer.status).toBe(431);
      expect(answer.text).not.toMatch(/access-control-allow/i);
      await stillServes();
    });

    it('parses in well under a second when the limit is raised (library path, 1 MB list)', async () => {
      const start = Date.now();
      const answer = await preflight(roomy, '/reflect', APP, `${megabyte}, x;y`);
      expect(Date.now() - start).toBeLessThan(1_000);
      expect(answer.status).toBe(204);
      expect(answer.headers['access-control-allow-headers']).toBeUndefined();
    });
  });

  // ---------------------------------------------------------------------------------------------
  // The parsers themselves on huge, adversarial inputs
  // ---------------------------------------------------------------------------------------------

  describe('the parsers on huge adversarial inputs', () => {
    const REQUEST = { headers: {}, method: 'GET', url: '/' } as unknown as CorsRequest;
    const pattern = parseOriginRuleString('https://*.app.example.com');
    const rules = {
      reflectAny: false,
      exact: new Set([APP]),
      subdomains: 'kind' in pattern && pattern.kind === 'subdomains' ? [pattern] : [],
      regexps: [/^https:\/\/(?:www\.)?app\.example\.com$/],
      dynamic: [],
      sources: [],
      exactOnly: false,
    };

    /** Shapes that make backtracking regular expressions blow up, scaled to `size` bytes. */
    const shapes: ReadonlyArray<[string, (size: number) => string]> = [
      ['many names then a bad byte', (size) => `${'a,'.repeat(size / 2)}!;`],
      ['whitespace runs between names', (size) => `${'a \t ,\t '.repeat(size / 7)}a b`],
      ['one long name then a bad byte', (size) => `${'a'.repeat(size)}(`],
      ['whitespace only, then a comma', (size) => `${' \t'.repeat(size / 2)},`],
      ['labels then a bad byte (origin)', (size) => `https://${'a.'.repeat(size / 2)}a!`],
      ['a long scheme without ://', (size) => `${'a'.repeat(size)}:/`],
      ['dots and dashes (origin)', (size) => `https://${'-.'.repeat(size / 2)}app.example.com`],
      ['a deep subdomain (origin)', (size) => `https://${'a.'.repeat(size / 2)}app.example.com:`],
    ];

    const work = (value: string) => {
      parseRequestedHeaders(value);
      parseSerializedOrigin(value);
      matchOrigin(rules, value, REQUEST);
    };

    it.each(shapes)('1 MB of "%s" is handled in well under a second, never throwing', (_name, make) => {
      const value = make(1024 * 1024);
      const start = Date.now();
      expect(() => work(value)).not.toThrow();
      expect(Date.now() - start).toBeLessThan(1_000);
    });

    it.each(shapes)('"%s": 640 KB costs at most a generous multiple of 64 KB', async (_name, make) => {
      const small = make(64 * 1024);
      const big = make(640 * 1024);
      const smallMs = await medianMs(5, () => work(small));
      const bigMs = await medianMs(5, () => work(big));
      expect(bigMs).toBeLessThan(30 * smallMs + 50);
    });

    it("a 1 MB deep subdomain is no page's origin (a host has at most 253 bytes); the deepest a page can have still matches", () => {
      expect(matchOrigin(rules, `https://${'a.'.repeat(512 * 1024)}app.example.com`, REQUEST)).toBe(false);
      const deepest = `https://${'a.'.repeat(118)}app.example.com`;
      expect(deepest.length - 'https://'.length).toBe(251);
      expect(matchOrigin(rules, deepest, REQUEST)).toBe(true);
    });
  });

  // ---------------------------------------------------------------------------------------------
  // Invalid tokens in Access-Control-Request-Headers
  // ---------------------------------------------------------------------------------------------

  describe('invalid Access-Control-Request-Headers', () => {
    it.each(
      titled([
        'x-foo;',
        'x foo',
        '(x)',
        '"x-foo"',
        'x/y',
        'x@y',
        'x=y',
        'x:y',
        '[x]',
        '{x}',
        '?',
        '\\',
        'x-foo,,x-bar',
        ',x-foo',
        'x-foo,',
        ',',
        ' , ',
        '\u00e9',
        'x-\u00ff',
        'x-foo\u00a0',
        '\u00a0x-foo',
        '\u00a0', // a latin-1 NBSP alone: not a list of names, must not be reflected
        '\u00a0, \u00a0',
      ]),
    )('reflects nothing for %s (allowed origin, policy reflects requested headers)', async (_title, value) => {
      const response = await request(`http://127.0.0.1:${standard}`)
        .options('/reflect')
        .set('Origin', APP)
        .set('Access-Control-Request-Method', 'PUT')
        .set('Access-Control-Request-Headers', value);
      expect(response.status).toBe(204);
      expect(response.headers['access-control-allow-origin']).toBe(APP);
      expect({ value, allowHeaders: response.headers['access-control-allow-headers'] }).toEqual({ value, allowHeaders: undefined });
    });

    it.each(titled(['\x00', '\x01', '\x08', '\x0b', '\x0c', '\x1b', '\x7f', '\r', '\n', 'x-foo\rX-Evil: 1', 'x-foo\nX-Evil: 1']))(
      'a control character %s is refused by Node with 400, never a 500, and the server keeps serving',
      async (_title, control) => {
        const answer = await raw(
          standard,
          rawRequest('OPTIONS', [`Origin: ${APP}`, 'Access-Control-Request-Method: PUT', `Access-Control-Request-Headers: x-a${control}b`]),
        );
        expect(answer.status).toBe(400);
        expect(answer.text).not.toMatch(/access-control-allow/i);
        await stillServes();
      },
    );

    it('a 64 KB value of control characters is refused, never a 500', async () => {
      const answer = await raw(
        roomy,
        rawRequest('OPTIONS', [
          `Origin: ${APP}`,
          'Access-Control-Request-Method: PUT',
          `Access-Control-Request-Headers: ${'\x01'.repeat(64 * 1024)}`,
        ]),
      );
      expect(answer.status).toBe(400);
    });
  });

  // ---------------------------------------------------------------------------------------------
  // Control characters and non-ASCII in Origin
  // ---------------------------------------------------------------------------------------------

  describe('Origin with control characters or non-ASCII', () => {
    it.each(titled(['\x00', '\x01', '\x08', '\x0b', '\x0c', '\x1b', '\x7f', '\r', '\n']))(
      'control character %s: Node answers 400, never a 500',
      async (_title, control) => {
        for (const method of ['GET', 'OPTIONS']) {
          const lines = [`Origin: ${APP}${control}`, ...(method === 'OPTIONS' ? ['Access-Control-Request-Method: PUT'] : [])];
          const answer = await raw(standard, rawRequest(method, lines));
          expect(answer.status).toBe(400);
          expect(answer.text).not.toMatch(/access-control-allow/i);
        }
        await stillServes();
      },
    );

    const nonAscii: ReadonlyArray<[string, string]> = [
      ['Cyrillic а (homograph)', 'https://\u0430pp.example.com'],
      ['Greek ο in example', 'https://app.examp\u006ce.c\u03bfm'],
      ['fullwidth full stops', 'https://app\uff0eexample\uff0ecom'],
      ['ideographic full stop', 'https://app\u3002example.com'],
      ['a raw IDN label', 'https://b\u00fccher.app.example.com'],
      ['an emoji label', 'https://\u{1f600}.app.example.com'],
      ['a zero-width space', 'https://app.example.com\u200b'],
      ['a byte-order mark', '\ufeffhttps://app.example.com'],
      ['a line separator', 'https://app.example.com\u2028'],
      ['the dotless i', 'https://\u0131.app.example.com'],
      ['the Kelvin sign', 'https://\u212a.app.example.com'],
      ['a right-to-left override', 'https://\u202emoc.live.app.example.com'],
    ];

    it.each(nonAscii)('UTF-8 bytes on the wire (%s): latin1-decoded, refused, no 500', async (_name, origin) => {
      for (const method of ['GET', 'OPTIONS']) {
        const lines = [
          Buffer.concat([Buffer.from('Origin: '), Buffer.from(origin, 'utf8')]),
          ...(method === 'OPTIONS' ? ['Access-Control-Request-Method: PUT'] : []),
        ];
        const answer = await raw(standard, rawRequest(method, lines));
        expect({ origin, method, status: answer.status }).toEqual({ origin, method, status: method === 'GET' ? 200 : 204 });
        expect(answer.text).not.toMatch(/access-control-allow/i);
        expect(varyHasOrigin(headerOf(answer.text, 'Vary'))).toBe(true);
      }
    });

    it.each(
      titled([
        'https://\u00e0pp.example.com',
        'https://app.example.com\u00a0',
        'https://app.ex\u00e4mple.com',
        '\u00ff',
        'https://app.example.com\u0085',
      ]),
    )('latin-1 bytes (%s) sent by supertest: refused, no 500', async (_title, origin) => {
      const get = await request(`http://127.0.0.1:${standard}`).get('/reflect').set('Origin', origin);
      expect(get.status).toBe(200);
      expect(get.headers['access-control-allow-origin']).toBeUndefined();
      expect(get.headers['access-control-allow-credentials']).toBeUndefined();
      expect(varyHasOrigin(get.headers.vary)).toBe(true);
      const options = await request(`http://127.0.0.1:${standard}`)
        .options('/reflect')
        .set('Origin', origin)
        .set('Access-Control-Request-Method', 'PUT');
      expect(options.status).toBe(204);
      expect(options.headers['access-control-allow-origin']).toBeUndefined();
    });
  });

  // ---------------------------------------------------------------------------------------------
  // Methods that are not tokens, and Access-Control-Request-Method that is not one
  // ---------------------------------------------------------------------------------------------

  describe('request methods that are not tokens', () => {
    it.each(titled(['G(T', 'GET\x01', '<script>', 'G,T', 'GE"T', '{}', 'get', 'FOO', '\u00e9']))(
      'request line with method %s: 400 from Node, never a 500',
      async (_title, method) => {
        const answer = await raw(standard, rawRequest(Buffer.from(method, 'latin1'), [`Origin: ${APP}`]));
        expect(answer.status).toBe(400);
        expect(answer.text).not.toMatch(/access-control-allow/i);
        await stillServes();
      },
    );

    it.each(['PROPFIND', 'PURGE', 'M-SEARCH', 'QUERY'])(
      'a method Node knows but no route serves (%s): the defaults answer, never a 500',
      async (method) => {
        const allowed = await raw(standard, rawRequest(method, [`Origin: ${APP}`]));
        expect(allowed.status).toBeGreaterThanOrEqual(400);
        expect(allowed.status).toBeLessThan(500);
        expect(headerOf(allowed.text, 'Access-Control-Allow-Origin')).toBe(APP);
        const refused = await raw(standard, rawRequest(method, [`Origin: ${EVIL}`]));
        expect(refused.status).toBeLessThan(500);
        expect(refused.text).not.toMatch(/access-control-allow/i);
      },
    );

    it.each(titled(['G(T', 'PUT, DELETE', 'PUT DELETE', 'put', '', ' ', 'P\u00e9T', 'PUT\u00a0', '*', 'x'.repeat(8 * 1024)]))(
      'Access-Control-Request-Method %s is never reflected and never a 500',
      async (_title, requested) => {
        for (const path of ['/reflect', '/fixed', '/nowhere']) {
          const response = await request(`http://127.0.0.1:${standard}`)
            .options(path)
            .set('Origin', APP)
            .set('Access-Control-Request-Method', requested);
          expect(response.status).toBeLessThan(500);
          const methods = response.headers['access-control-allow-methods'];
          if (methods !== undefined) {
            for (const method of methods.split(',')) expect(['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE']).toContain(method.trim());
          }
        }
      },
    );

    it.each(titled(['G(T', 'PUT, DELETE', '\u00e9']))(
      'with a refused origin, Access-Control-Request-Method %s gets nothing',
      async (_title, requested) => {
        const response = await request(`http://127.0.0.1:${standard}`)
          .options('/reflect')
          .set('Origin', EVIL)
          .set('Access-Control-Request-Method', requested);
        expect(response.status).toBeLessThan(500);
        expect(Object.keys(response.headers).filter((name) => name.startsWith('access-control-allow-'))).toEqual([]);
      },
    );
  });
});
