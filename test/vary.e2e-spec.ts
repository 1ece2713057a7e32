/**
 * BRIEF §3.2 (Vary): whenever the answer depends on the request's Origin the response carries
 * `Vary: Origin` (also for a refused origin and for a request without Origin); preflights vary
 * on `Access-Control-Request-Headers` when the allowed headers are reflected; an existing Vary
 * is appended to, never overwritten, including one the handler sets itself later
 * (`@Header('Vary', ...)`, `res.setHeader`, `res.vary`); tokens are never duplicated.
 * Vary is compared as a set of lower-case tokens (plus an explicit duplicate check).
 */
import { Controller, Get, Header, Module, Patch, Res, type INestApplication } from '@nestjs/common';
import type { Response as ExpressResponse } from 'express';
import type { FastifyReply } from 'fastify';
import request from 'supertest';
import { APP_KINDS_ON_PLATFORMS, type AppKind } from './support/apps.js';
import { CorsModule, CorsPolicy } from '../lib/index.js';

const ALLOWED = 'https://app.example.com';
const REFUSED = 'https://evil.example.net';

/** The Vary header as a list of lower-case tokens (duplicates kept, to detect them). */
function varyList(res: request.Response): string[] {
  const value = res.headers['vary'] as string | string[] | undefined;
  const text = Array.isArray(value) ? value.join(',') : (value ?? '');
  return text
    .split(',')
    .map((token) => token.trim().toLowerCase())
    .filter(Boolean);
}

/**
 * The response a handler gets with `@Res()`: Express's, or Fastify's reply. Each handler below
 * sets its `Vary` with the platform's own API (Express `res.setHeader`/`res.vary`/`res.set`,
 * Fastify `reply.header`/`reply.headers`/`reply.raw`), and the assertion is the same on both.
 */
type Response = ExpressResponse | FastifyReply;
const isFastifyReply = (res: Response): res is FastifyReply => 'raw' in res && typeof (res as FastifyReply).header === 'function';

/** `res.setHeader('Vary', value)` on Express; `reply.header('Vary', value)` on Fastify. */
function setVary(res: Response, value: string | string[]): void {
  if (isFastifyReply(res)) res.header('Vary', value);
  else res.setHeader('Vary', value);
}

function varySet(res: request.Response): Set<string> {
  return new Set(varyList(res));
}

function expectVary(res: request.Response, expected: string[]): void {
  expect(varySet(res)).toEqual(new Set(expected.map((token) => token.toLowerCase())));
  expectNoDuplicateVary(res);
}

function expectNoDuplicateVary(res: request.Response): void {
  const list = varyList(res);
  expect(list).toHaveLength(new Set(list).size);
}

@Controller('v')
@CorsPolicy({ origin: [ALLOWED], credentials: true })
class VaryController {
  @Get('plain')
  plain() {
    return { ok: true };
  }

  @Get('header')
  @Header('Vary', 'Accept')
  header() {
    return { ok: true };
  }

  @Get('header-list')
  @Header('Vary', 'Accept, Accept-Language')
  headerList() {
    return { ok: true };
  }

  @Get('set-header')
  setHeader(@Res({ passthrough: true }) res: Response) {
    setVary(res, 'Accept-Encoding');
    return { ok: true };
  }

  @Get('set-header-array')
  setHeaderArray(@Res({ passthrough: true }) res: Response) {
    setVary(res, ['Accept-Encoding', 'Accept']);
    return { ok: true };
  }

  @Get('express-vary')
  expressVary(@Res({ passthrough: true }) res: Response) {
    if (isFastifyReply(res)) res.raw.setHeader('Vary', 'X-Thing');
    else res.vary('X-Thing');
    return { ok: true };
  }

  @Get('express-set')
  expressSet(@Res({ passthrough: true }) res: Response) {
    if (isFastifyReply(res)) res.headers({ Vary: 'X-Other' });
    else res.set('Vary', 'X-Other');
    return { ok: true };
  }

  @Get('write-head')
  writeHead(@Res() res: Response) {
    const raw = isFastifyReply(res) ? res.raw : res;
    raw.writeHead(200, { Vary: 'Accept', 'Content-Type': 'text/plain' });
    raw.end('ok');
  }

  // Handlers that name Origin themselves, in various spellings: never duplicated.
  @Get('dup-header')
  @Header('Vary', 'Origin')
  dupHeader() {
    return { ok: true };
  }

  @Get('dup-lower')
  @Header('Vary', 'origin, accept')
  dupLower() {
    return { ok: true };
  }

  @Get('dup-set-header')
  dupSetHeader(@Res({ passthrough: true }) res: Response) {
    if (isFastifyReply(res)) {
      res.header('Vary', 'Accept, Origin');
      res.raw.setHeader('Vary', 'Accept, Origin');
    } else {
      res.setHeader('Vary', 'Accept, Origin');
      res.vary('Origin');
      res.vary('Accept');
    }
    return { ok: true };
  }

  @Get('dup-twice')
  dupTwice(@Res({ passthrough: true }) res: Response) {
    setVary(res, 'Accept');
    setVary(res, 'Accept-Encoding');
    return { ok: true };
  }

  // What a handler sees of the CORS headers before the response is sent, and one it replaces.
  @Get('read-cors')
  readCors(@Res({ passthrough: true }) res: Response) {
    const raw = isFastifyReply(res) ? res.raw : res;
    const seen = {
      allowOrigin: isFastifyReply(res) ? res.getHeader('access-control-allow-origin') : res.getHeader('Access-Control-Allow-Origin'),
      hasCredentials: raw.hasHeader('access-control-allow-credentials'),
      vary: raw.getHeader('vary'),
      names: raw
        .getHeaderNames()
        .filter((name) => name.startsWith('access-control-') || name === 'vary')
        .sort(),
    };
    raw.removeHeader('Access-Control-Allow-Credentials');
    if (isFastifyReply(res)) res.header('X-Seen', JSON.stringify(seen));
    else res.setHeader('X-Seen', JSON.stringify(seen));
    return { ok: true };
  }

  @Patch('reflect')
  reflect() {
    return { ok: true };
  }

  @Patch('listed')
  @CorsPolicy({ allowedHeaders: ['Content-Type', 'X-Request-Id'] })
  listed() {
    return { ok: true };
  }

  @Get('star')
  @CorsPolicy({ origin: '*', credentials: false })
  star() {
    return { ok: true };
  }

  @Get('star-accept')
  @CorsPolicy({ origin: '*', credentials: false })
  @Header('Vary', 'Accept')
  starAccept() {
    return { ok: true };
  }

  @Get('off')
  @CorsPolicy(false)
  off() {
    return { ok: true };
  }
}

@Module({
  imports: [CorsModule.forRoot({ origin: [ALLOWED] })],
  controllers: [VaryController],
})
class AppModule {}

const kinds: AppKind[] = APP_KINDS_ON_PLATFORMS.map(({ name, create }) => ({ name, create: () => create(AppModule) }));

describe.each(kinds)('Vary ($name)', ({ create }) => {
  let app: INestApplication;
  let server: ReturnType<INestApplication['getHttpServer']>;

  beforeAll(async () => {
    app = await create();
    server = app.getHttpServer();
  });

  afterAll(async () => {
    await app?.close();
  });

  describe('a Vary set by the handler keeps Origin', () => {
    it("@Header('Vary', 'Accept') answers with both Accept and Origin", async () => {
      const res = await request(server).get('/v/header').set('Origin', ALLOWED).expect(200);
      expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
      expectVary(res, ['Accept', 'Origin']);
    });

    it("@Header('Vary', 'Accept, Accept-Language') keeps both and adds Origin", async () => {
      const res = await request(server).get('/v/header-list').set('Origin', ALLOWED).expect(200);
      expectVary(res, ['Accept', 'Accept-Language', 'Origin']);
    });

    it("res.setHeader('Vary', 'Accept-Encoding') through @Res({ passthrough: true }) (Fastify: reply.header)", async () => {
      const res = await request(server).get('/v/set-header').set('Origin', ALLOWED).expect(200);
      expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
      expectVary(res, ['Accept-Encoding', 'Origin']);
    });

    it('res.setHeader with an array value (Fastify: reply.header)', async () => {
      const res = await request(server).get('/v/set-header-array').set('Origin', ALLOWED).expect(200);
      expectVary(res, ['Accept-Encoding', 'Accept', 'Origin']);
    });

    it("res.vary('X-Thing') (Fastify: reply.raw.setHeader)", async () => {
      const res = await request(server).get('/v/express-vary').set('Origin', ALLOWED).expect(200);
      expectVary(res, ['X-Thing', 'Origin']);
    });

    it("Express res.set('Vary', 'X-Other') (Fastify: reply.headers({ Vary }))", async () => {
      const res = await request(server).get('/v/express-set').set('Origin', ALLOWED).expect(200);
      expectVary(res, ['X-Other', 'Origin']);
    });

    it("res.writeHead(200, { Vary: 'Accept' }) (Fastify: reply.raw.writeHead)", async () => {
      const res = await request(server).get('/v/write-head').set('Origin', ALLOWED).expect(200);
      expect(res.text).toBe('ok');
      expectVary(res, ['Accept', 'Origin']);
    });

    it('a handler that sets Vary twice keeps only its last value, plus Origin', async () => {
      const res = await request(server).get('/v/dup-twice').set('Origin', ALLOWED).expect(200);
      expectVary(res, ['Accept-Encoding', 'Origin']);
    });
  });

  describe('a handler sees the CORS headers before the response is sent', () => {
    it('reads them as set, and a header it removes is not sent', async () => {
      const res = await request(server).get('/v/read-cors').set('Origin', ALLOWED).expect(200);
      expect(JSON.parse(String(res.headers['x-seen']))).toEqual({
        allowOrigin: ALLOWED,
        hasCredentials: true,
        vary: 'Origin',
        names: ['access-control-allow-credentials', 'access-control-allow-origin', 'vary'],
      });
      expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
      expect(res.headers['access-control-allow-credentials']).toBeUndefined();
      expectVary(res, ['Origin']);
    });
  });

  describe('Vary: Origin whenever the answer depends on the Origin', () => {
    it('an allowed origin', async () => {
      const res = await request(server).get('/v/plain').set('Origin', ALLOWED).expect(200);
      expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
      expectVary(res, ['Origin']);
    });

    it('a refused origin still gets Vary: Origin (and no Access-Control-Allow-Origin)', async () => {
      const res = await request(server).get('/v/plain').set('Origin', REFUSED).expect(200);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      expectVary(res, ['Origin']);
    });

    it("a refused origin on a handler with @Header('Vary', 'Accept') gets Accept and Origin", async () => {
      const res = await request(server).get('/v/header').set('Origin', REFUSED).expect(200);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      expectVary(res, ['Accept', 'Origin']);
    });

    it('a refused origin with res.setHeader keeps Origin', async () => {
      const res = await request(server).get('/v/set-header').set('Origin', REFUSED).expect(200);
      expectVary(res, ['Accept-Encoding', 'Origin']);
    });

    it('a request without Origin gets Vary: Origin on an origin-dependent policy', async () => {
      const res = await request(server).get('/v/plain').expect(200);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      expectVary(res, ['Origin']);
    });

    it("a request without Origin on a handler with @Header('Vary', 'Accept') gets both", async () => {
      const res = await request(server).get('/v/header').expect(200);
      expectVary(res, ['Accept', 'Origin']);
    });

    it('a 404 (module defaults, origin-dependent) gets Vary: Origin', async () => {
      const res = await request(server).get('/nowhere').set('Origin', ALLOWED).expect(404);
      expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
      expectVary(res, ['Origin']);
    });
  });

  describe("a '*' policy does not vary on Origin (as the cors package)", () => {
    it("answers '*' without Vary: Origin", async () => {
      const res = await request(server).get('/v/star').set('Origin', 'https://anyone.example.org').expect(200);
      expect(res.headers['access-control-allow-origin']).toBe('*');
      expect(varySet(res).has('origin')).toBe(false);
    });

    it('also without an Origin', async () => {
      const res = await request(server).get('/v/star').expect(200);
      expect(varySet(res).has('origin')).toBe(false);
    });

    it("keeps the handler's own Vary untouched", async () => {
      const res = await request(server).get('/v/star-accept').set('Origin', 'https://anyone.example.org').expect(200);
      expect(res.headers['access-control-allow-origin']).toBe('*');
      expectVary(res, ['Accept']);
    });

    it("a '*' preflight does not vary on Origin", async () => {
      const res = await request(server)
        .options('/v/star')
        .set('Origin', 'https://anyone.example.org')
        .set('Access-Control-Request-Method', 'GET');
      expect(res.status).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe('*');
      expect(varySet(res).has('origin')).toBe(false);
    });
  });

  describe('a route with CORS off', () => {
    it('adds no CORS header', async () => {
      const res = await request(server).get('/v/off').set('Origin', ALLOWED).expect(200);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      expect(varySet(res).has('origin')).toBe(false);
    });
  });

  describe('preflights', () => {
    it('with reflected allowedHeaders, vary on Access-Control-Request-Headers (and Origin)', async () => {
      const res = await request(server)
        .options('/v/reflect')
        .set('Origin', ALLOWED)
        .set('Access-Control-Request-Method', 'PATCH')
        .set('Access-Control-Request-Headers', 'x-custom, content-type');
      expect(res.status).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
      expect(res.headers['access-control-allow-headers']).toBe('x-custom, content-type');
      const tokens = varySet(res);
      expect(tokens.has('access-control-request-headers')).toBe(true);
      expect(tokens.has('origin')).toBe(true);
      expectNoDuplicateVary(res);
    });

    it('with reflected allowedHeaders, also when the preflight requests no header', async () => {
      const res = await request(server).options('/v/reflect').set('Origin', ALLOWED).set('Access-Control-Request-Method', 'PATCH');
      expect(res.status).toBe(204);
      expect(varySet(res).has('access-control-request-headers')).toBe(true);
      expectNoDuplicateVary(res);
    });

    it('a refused preflight with reflected allowedHeaders still varies on Origin', async () => {
      const res = await request(server)
        .options('/v/reflect')
        .set('Origin', REFUSED)
        .set('Access-Control-Request-Method', 'PATCH')
        .set('Access-Control-Request-Headers', 'x-custom');
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      expect(res.headers['access-control-allow-headers']).toBeUndefined();
      expect(varySet(res).has('origin')).toBe(true);
      expectNoDuplicateVary(res);
    });

    it('with listed allowedHeaders, the answer does not vary on Access-Control-Request-Headers', async () => {
      const res = await request(server)
        .options('/v/listed')
        .set('Origin', ALLOWED)
        .set('Access-Control-Request-Method', 'PATCH')
        .set('Access-Control-Request-Headers', 'x-custom');
      expect(res.status).toBe(204);
      expect(res.headers['access-control-allow-headers']).toBe('Content-Type,X-Request-Id');
      const tokens = varySet(res);
      expect(tokens.has('access-control-request-headers')).toBe(false);
      expect(tokens.has('origin')).toBe(true);
      expectNoDuplicateVary(res);
    });
  });

  describe('Vary tokens are never duplicated', () => {
    it("@Header('Vary', 'Origin')", async () => {
      const res = await request(server).get('/v/dup-header').set('Origin', ALLOWED).expect(200);
      expectVary(res, ['Origin']);
    });

    it("@Header('Vary', 'Origin') for a refused origin and without Origin", async () => {
      expectVary(await request(server).get('/v/dup-header').set('Origin', REFUSED).expect(200), ['Origin']);
      expectVary(await request(server).get('/v/dup-header').expect(200), ['Origin']);
    });

    it("@Header('Vary', 'origin, accept') in lower case", async () => {
      const res = await request(server).get('/v/dup-lower').set('Origin', ALLOWED).expect(200);
      expectVary(res, ['Origin', 'Accept']);
    });

    it("res.setHeader('Vary', 'Accept, Origin') then res.vary('Origin') and res.vary('Accept') (Fastify: reply.header, then reply.raw.setHeader)", async () => {
      const res = await request(server).get('/v/dup-set-header').set('Origin', ALLOWED).expect(200);
      expectVary(res, ['Accept', 'Origin']);
    });

    it('is a single Vary field line', async () => {
      const res = await request(server).get('/v/header').set('Origin', ALLOWED).expect(200);
      expect(typeof res.headers['vary']).toBe('string');
      expect(res.headers['vary'] as string).not.toMatch(/,\s*,/);
    });
  });
});
