// NestJS 11, CommonJS, jest + ts-jest + supertest: the package's CommonJS entry must load
// through jest's own require().
import request from 'supertest';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { CorsOriginCache } from 'nestjs-cors-policy';
import { assertCorsAllowed, assertCorsRefused, createCorsBrowser } from 'nestjs-cors-policy/testing';
import { AppModule, DbOrigins } from './app.module.js';
import { cases, expectedResolverCalls, mismatches } from './cases.js';

describe('nestjs-cors-policy from the packed tarball (NestJS 11, jest, CommonJS)', () => {
  let app: INestApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication({ logger: ['error', 'warn'] });
    await app.init();
  });
  afterAll(async () => {
    await app?.close();
  });

  it("loads the package's CommonJS entry", () => {
    const entry = require.resolve('nestjs-cors-policy');
    expect(entry).toMatch(/\/node_modules\/nestjs-cors-policy\/dist\/cjs\/index\.js$/);
  });

  for (const c of cases) {
    it(c.name, async () => {
      const method = c.method.toLowerCase() as 'get' | 'patch' | 'options';
      let call = request(app.getHttpServer())[method](c.path);
      for (const [name, value] of Object.entries(c.headers)) call = call.set(name, value);
      const response = await call;
      expect(mismatches(c, response.status, (name) => response.headers[name] as string | undefined)).toEqual([]);
    });
  }

  it('asked the resolver instance from the container, once per origin', () => {
    expect(app.get(DbOrigins).asked).toEqual(expectedResolverCalls);
  });

  it('CorsOriginCache is injectable and invalidation makes the resolver be asked again', async () => {
    app.get(CorsOriginCache).invalidate('https://db.example.com');
    const response = await request(app.getHttpServer()).get('/partners').set('origin', 'https://db.example.com');
    expect(response.headers['access-control-allow-origin']).toBe('https://db.example.com');
    expect(app.get(DbOrigins).asked).toEqual([...expectedResolverCalls, 'https://db.example.com']);
  });

  it('nestjs-cors-policy/testing judges calls as a browser would', async () => {
    const outcome = await createCorsBrowser(app, { origin: 'https://a.example.com' }).fetch('/orders/42', {
      method: 'PATCH',
      credentials: 'include',
    });
    assertCorsAllowed(outcome);
    expect(outcome.preflight?.status).toBe(204);
    assertCorsRefused(await createCorsBrowser(app, { origin: 'https://evil.example.net' }).fetch('/orders'));
  });
});
