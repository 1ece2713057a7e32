/**
 * BRIEF §3.4 (guards and errors): a global guard that rejects every request without
 * `Authorization` never breaks a preflight (browsers send no credentials on preflights),
 * and error responses of an allowed origin carry the CORS headers so that the page can read
 * them: the guard's 401, a thrown HttpException, a ValidationPipe 400, an unexpected 500 and,
 * in a `NestFactory.create` app (middleware ahead of the body parser), a malformed-JSON 400.
 * A refused origin's error responses carry no `Access-Control-Allow-Origin`, but `Vary: Origin`.
 */
import {
  Body,
  Controller,
  Get,
  HttpException,
  HttpStatus,
  Injectable,
  Module,
  Param,
  Patch,
  Post,
  UnauthorizedException,
  ValidationPipe,
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
} from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { IsInt, IsString, Min } from 'class-validator';
import request from 'supertest';
import { APP_KINDS_ON_PLATFORMS, type AppKind } from './support/apps.js';
import { CorsModule, CorsPolicy } from '../lib/index.js';

const ALLOWED = 'https://app.example.com';
const PARTNER = 'https://partner.example.com';
const REFUSED = 'https://evil.example.net';
const AUTH = { Authorization: 'Bearer secret' };

/** Rejects every request that has no `Authorization` header with a 401. */
@Injectable()
class RequireAuthorizationGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>();
    if (!req.headers.authorization) throw new UnauthorizedException('missing Authorization');
    return true;
  }
}

class CreateItemDto {
  @IsString() name!: string;
  @IsInt() @Min(1) quantity!: number;
}

@Controller('items')
class ItemsController {
  @Get()
  list() {
    return [{ id: 1 }];
  }

  @Post()
  create(@Body(new ValidationPipe()) dto: CreateItemDto) {
    return { created: dto.name };
  }

  @Patch(':id')
  @CorsPolicy({
    origin: [PARTNER, ALLOWED],
    credentials: true,
    methods: ['GET', 'PATCH'],
    allowedHeaders: ['Authorization', 'Content-Type', 'X-Request-Id'],
    exposedHeaders: ['X-Request-Id'],
    maxAge: 20,
  })
  update(@Param('id') id: string) {
    return { id };
  }

  @Get('teapot')
  teapot() {
    throw new HttpException({ message: 'I am a teapot', reason: 'brewing' }, HttpStatus.I_AM_A_TEAPOT);
  }

  @Get('boom')
  boom() {
    throw new Error('unexpected failure');
  }

  /** An origin function that answers asynchronously: the headers must still be set before the guard runs. */
  @Get('async')
  @CorsPolicy({ origin: async (origin: string) => origin === PARTNER, credentials: true })
  asyncPolicy() {
    throw new Error('unexpected failure');
  }

  @Post('raw')
  raw(@Body() body: unknown) {
    return { received: body };
  }
}

const CORS = CorsModule.forRoot({ origin: [ALLOWED], credentials: true, exposedHeaders: ['X-Trace'] });

/** The global guard comes from an APP_GUARD provider. */
@Module({
  imports: [CORS],
  controllers: [ItemsController],
  providers: [{ provide: APP_GUARD, useClass: RequireAuthorizationGuard }],
})
class AppGuardModule {}

/** The global guard is added with app.useGlobalGuards(). */
@Module({ imports: [CORS], controllers: [ItemsController] })
class PlainModule {}

function varyTokens(value: string | string[] | undefined): Set<string> {
  const text = Array.isArray(value) ? value.join(',') : (value ?? '');
  return new Set(
    text
      .split(',')
      .map((token) => token.trim().toLowerCase())
      .filter(Boolean),
  );
}

function expectAllowed(res: request.Response, origin = ALLOWED): void {
  expect(res.headers['access-control-allow-origin']).toBe(origin);
  expect(res.headers['access-control-allow-credentials']).toBe('true');
  expect(varyTokens(res.headers['vary']).has('origin')).toBe(true);
}

function expectRefused(res: request.Response): void {
  expect(res.headers['access-control-allow-origin']).toBeUndefined();
  expect(res.headers['access-control-allow-credentials']).toBeUndefined();
  expect(res.headers['access-control-expose-headers']).toBeUndefined();
  expect(varyTokens(res.headers['vary']).has('origin')).toBe(true);
}

const useGuard = (app: INestApplication) => app.useGlobalGuards(new RequireAuthorizationGuard());
const kinds: AppKind[] = APP_KINDS_ON_PLATFORMS.flatMap(({ name, create }) => [
  { name: `${name}, guard from APP_GUARD`, create: () => create(AppGuardModule) },
  { name: `${name}, guard from app.useGlobalGuards`, create: () => create(PlainModule, useGuard) },
]);

describe.each(kinds)('$name', ({ create }) => {
  let app: INestApplication;
  let server: ReturnType<INestApplication['getHttpServer']>;

  beforeAll(async () => {
    app = await create();
    server = app.getHttpServer();
  });

  afterAll(async () => {
    await app?.close();
  });

  it('sanity: the guard rejects requests without Authorization and lets authorised ones through', async () => {
    await request(server).get('/items').expect(401);
    const res = await request(server).get('/items').set(AUTH).set('Origin', ALLOWED).expect(200);
    expect(res.body).toEqual([{ id: 1 }]);
    expectAllowed(res);
    expect(res.headers['access-control-expose-headers']).toBe('X-Trace');
  });

  describe('preflights are answered although the guard would reject the request', () => {
    it("answers with the route's policy (2xx, methods, headers, max-age, credentials)", async () => {
      const res = await request(server)
        .options('/items/42')
        .set('Origin', PARTNER)
        .set('Access-Control-Request-Method', 'PATCH')
        .set('Access-Control-Request-Headers', 'authorization, content-type, x-request-id');
      expect(res.status).toBeGreaterThanOrEqual(200);
      expect(res.status).toBeLessThan(300);
      expect(res.status).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe(PARTNER);
      expect(res.headers['access-control-allow-credentials']).toBe('true');
      expect(res.headers['access-control-allow-methods']).toBe('GET,PATCH');
      expect(res.headers['access-control-allow-headers']).toBe('Authorization,Content-Type,X-Request-Id');
      expect(res.headers['access-control-max-age']).toBe('20');
    });

    it('answers a preflight for a route that only has the module defaults', async () => {
      const res = await request(server)
        .options('/items')
        .set('Origin', ALLOWED)
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'content-type, authorization');
      expect(res.status).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
      expect(res.headers['access-control-allow-credentials']).toBe('true');
      // No allowedHeaders configured at module level: the requested ones are reflected.
      expect(res.headers['access-control-allow-headers']).toBe('content-type, authorization');
    });

    it("a refused origin's preflight is not a 401 either, and allows nothing", async () => {
      const res = await request(server).options('/items/42').set('Origin', REFUSED).set('Access-Control-Request-Method', 'PATCH');
      expect(res.status).not.toBe(401);
      expect(res.status).toBeLessThan(300);
      expectRefused(res);
      expect(res.headers['access-control-allow-methods']).toBeUndefined();
    });
  });

  describe('error responses of an allowed origin carry the CORS headers', () => {
    it("the guard's 401", async () => {
      const res = await request(server).get('/items').set('Origin', ALLOWED);
      expect(res.status).toBe(401);
      expectAllowed(res);
      expect(res.headers['access-control-expose-headers']).toBe('X-Trace');
    });

    it("the guard's 401 on a route with its own policy", async () => {
      const res = await request(server).patch('/items/42').set('Origin', PARTNER).send({});
      expect(res.status).toBe(401);
      expectAllowed(res, PARTNER);
      expect(res.headers['access-control-expose-headers']).toBe('X-Request-Id');
    });

    it('a thrown HttpException', async () => {
      const res = await request(server).get('/items/teapot').set(AUTH).set('Origin', ALLOWED);
      expect(res.status).toBe(418);
      expect(res.body).toMatchObject({ reason: 'brewing' });
      expectAllowed(res);
    });

    it("a ValidationPipe's 400", async () => {
      const res = await request(server).post('/items').set(AUTH).set('Origin', ALLOWED).send({ name: 42, quantity: 0 });
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.message)).toMatch(/name/);
      expectAllowed(res);
    });

    it('sanity: a valid body passes the ValidationPipe', async () => {
      const res = await request(server).post('/items').set(AUTH).set('Origin', ALLOWED).send({ name: 'pen', quantity: 2 });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ created: 'pen' });
      expectAllowed(res);
    });

    it('an unexpected 500', async () => {
      const res = await request(server).get('/items/boom').set(AUTH).set('Origin', ALLOWED);
      expect(res.status).toBe(500);
      expectAllowed(res);
    });

    it("the guard's 401 and a 500 on a route whose origin function answers asynchronously", async () => {
      const rejected = await request(server).get('/items/async').set('Origin', PARTNER);
      expect(rejected.status).toBe(401);
      expectAllowed(rejected, PARTNER);
      const failed = await request(server).get('/items/async').set(AUTH).set('Origin', PARTNER);
      expect(failed.status).toBe(500);
      expectAllowed(failed, PARTNER);
      const refused = await request(server).get('/items/async').set('Origin', ALLOWED);
      expect(refused.status).toBe(401);
      expectRefused(refused);
    });

    it('a 404 for a path no route serves (module defaults)', async () => {
      const res = await request(server).get('/nowhere').set(AUTH).set('Origin', ALLOWED);
      expect(res.status).toBe(404);
      expectAllowed(res);
    });
  });

  describe('error responses of a refused origin carry no Access-Control-Allow-Origin, but Vary: Origin', () => {
    it("the guard's 401", async () => {
      const res = await request(server).get('/items').set('Origin', REFUSED);
      expect(res.status).toBe(401);
      expectRefused(res);
    });

    it('a thrown HttpException', async () => {
      const res = await request(server).get('/items/teapot').set(AUTH).set('Origin', REFUSED);
      expect(res.status).toBe(418);
      expectRefused(res);
    });

    it("a ValidationPipe's 400", async () => {
      const res = await request(server).post('/items').set(AUTH).set('Origin', REFUSED).send({ name: 42 });
      expect(res.status).toBe(400);
      expectRefused(res);
    });

    it('an unexpected 500', async () => {
      const res = await request(server).get('/items/boom').set(AUTH).set('Origin', REFUSED);
      expect(res.status).toBe(500);
      expectRefused(res);
    });
  });
});

describe('NestFactory.create app: a malformed JSON body', () => {
  let app: INestApplication;
  let server: ReturnType<INestApplication['getHttpServer']>;

  beforeAll(async () => {
    app = await NestFactory.create(AppGuardModule, { logger: false });
    await app.listen(0, '127.0.0.1');
    server = app.getHttpServer();
  });

  afterAll(async () => {
    await app?.close();
  });

  it('sanity: a well-formed body reaches the handler', async () => {
    const res = await request(server)
      .post('/items/raw')
      .set(AUTH)
      .set('Origin', ALLOWED)
      .set('Content-Type', 'application/json')
      .send('{"ok":true}');
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ received: { ok: true } });
  });

  it("the body parser's 400 carries the CORS headers of an allowed origin", async () => {
    const res = await request(server)
      .post('/items/raw')
      .set(AUTH)
      .set('Origin', ALLOWED)
      .set('Content-Type', 'application/json')
      .send('{"broken":');
    expect(res.status).toBe(400);
    expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(varyTokens(res.headers['vary']).has('origin')).toBe(true);
  });

  it('also without Authorization (the body parser runs before the guard)', async () => {
    const res = await request(server).post('/items/raw').set('Origin', ALLOWED).set('Content-Type', 'application/json').send('{"broken":');
    expect(res.status).toBe(400);
    expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(res.headers['access-control-allow-credentials']).toBe('true');
  });

  it("the body parser's 400 for a refused origin has no Access-Control-Allow-Origin, but Vary: Origin", async () => {
    const res = await request(server)
      .post('/items/raw')
      .set(AUTH)
      .set('Origin', REFUSED)
      .set('Content-Type', 'application/json')
      .send('{"broken":');
    expect(res.status).toBe(400);
    expectRefused(res);
  });

  it('works against the listening URL too', async () => {
    const url = await app.getUrl();
    const res = await request(url.replace('[::1]', '127.0.0.1'))
      .post('/items/raw')
      .set('Origin', ALLOWED)
      .set('Content-Type', 'application/json')
      .send('{"broken":');
    expect(res.status).toBe(400);
    expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
  });
});
